"""Moving an inventory to a connection's dial plan: the action ``canonicalise_numbers``.

A connection read without a dial plan keeps its numbers as its device spelled them (``0301234567``);
another device may spell the same number ``+49301234567``. Once the connection has a dial plan
(:mod:`number_inventory.dial_plan`) its reads give the canonical form, and its next read is refused
until this action has run (``store.reads._check_dial_plan``): kept as it is, it would cool every old
spelling and register the canonical ones as new numbers.

The action plans from the inventory rows that the plan could spell otherwise (numbers without a
``+``) and the connection's kept registrations. For each canonical number, the rows spelling it
(the canonical row included, when there is one) are merged only when that is unambiguous:

- every row but at most one is ``Available``, or the rows that are not share status, usage, vendor,
  tag and release date (both spellings Used by the device: the same number, seen twice);
- no two rows carry different sites, or different labels.

The merged row keeps the values of the row that is not Available (else the canonical row's, else
the first spelling's), under the canonical number; the other spellings are deleted. Every deletion,
insertion and change is recorded in the history (reason :data:`REASON`, the operator and their note,
and what was merged into what); the connection's kept registrations are renamed with them, so its
next read, under the plan, finds them as they are. Anything else is a finding for an operator
(:data:`AMBIGUOUS`; :data:`NOT_VALID` for a number the connection registers that the plan does not
read as a valid number: its reads would skip it, and it would cool while in use), and while any
remain the plan is not accepted: the connection's reads stay refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from number_inventory.dial_plan import CANONICALISE_ACTION, DialPlan

#: The action's name (number_inventory_action's ``action``).
ACTION = CANONICALISE_ACTION
#: The history's reason for every change the action writes.
REASON = "canonicalised"
#: Finding: the spellings of one number cannot be merged without choosing between them.
AMBIGUOUS = "ambiguous_spellings"
#: Finding: a number the connection registers is not a valid number under its dial plan.
NOT_VALID = "not_valid_under_dial_plan"
#: The values a row carries over to its canonical number.
VALUES = ("status", "usage", "vendor", "tag", "release_date", "site", "label")
#: The values that say what a number is doing: rows that are not Available must agree on them.
STATE = ("status", "usage", "vendor", "tag", "release_date")
AVAILABLE = "Available"


@dataclass
class CanonicalPlan:
    """What the action writes: ``moves`` (an old spelling, its canonical number and what the history
    says), ``targets`` (each canonical number's merged values and what the history says),
    ``registrations`` (the connection's kept registrations renamed: old, canonical), ``findings``
    (number, check, before values, why) and ``left_alone`` (inventory rows that are not valid numbers
    under the plan and that the connection does not register: no read will touch them)."""

    moves: list[tuple[str, str, str]] = field(default_factory=list)
    targets: list[dict[str, Any]] = field(default_factory=list)
    registrations: list[tuple[str, str]] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    left_alone: list[str] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        """Whether the connection's reads may go on under the plan once this is written."""
        return not self.findings

    def counts(self) -> dict[str, int]:
        return {
            "renamed_or_merged": len(self.moves),
            "canonical_numbers": len(self.targets),
            "registrations_renamed": len(self.registrations),
            "findings": len(self.findings),
            "left_alone": len(self.left_alone),
        }


def candidates(plan: DialPlan, numbers: Iterable[str]) -> dict[str, str | None]:
    """``number -> canonical form`` (``None``: not valid under the plan) of the numbers the plan
    spells otherwise."""
    found = {}
    for number in numbers:
        canonical = plan.canonical(number)
        if canonical != number:
            found[number] = canonical
    return found


def plan_canonical(
    canonical: Mapping[str, str | None], rows: Mapping[str, Mapping[str, Any]], registered: Iterable[str]
) -> CanonicalPlan:
    """Plan the action from ``canonical`` (:func:`candidates` of the inventory's and the connection's
    numbers), the inventory ``rows`` of those numbers and of their canonical forms (by number, the
    :data:`VALUES`; a number missing is not in the inventory) and the numbers the connection's kept
    read ``registered``."""
    registered = set(registered)
    result = CanonicalPlan()
    groups: dict[str, list[str]] = {}
    for number, target in sorted(canonical.items()):
        if target is not None:
            groups.setdefault(target, []).append(number)
        elif number in registered:
            result.findings.append(
                _finding(
                    number,
                    NOT_VALID,
                    rows.get(number),
                    "the connection registers it, and under its dial plan it is not a valid number: "
                    "its reads would skip it and it would cool while in use; correct the device's "
                    "number or the dial plan",
                )
            )
        else:
            result.left_alone.append(number)
    for target, spellings in sorted(groups.items()):
        members = [n for n in (target, *spellings) if n in rows]
        if not any(n in rows for n in spellings):  # only the kept read spells it otherwise
            result.registrations.extend((n, target) for n in spellings if n in registered)
            continue
        merged, why = _merge([(n, rows[n]) for n in members], target)
        if why:
            result.findings.extend(
                _finding(n, AMBIGUOUS, rows[n], f"{', '.join(members)} are one number, {target}: {why}")
                for n in members
            )
            continue
        moved = [n for n in spellings if n in rows]
        for number in moved:
            result.moves.append((number, target, f"{_verb(members, target)} {target}"))
        sources = ", ".join(moved)
        note = f"merged from {sources}" if target in rows else f"renamed from {sources}"
        result.targets.append({"number": target, **merged, "detail": note})
        result.registrations.extend((n, target) for n in spellings if n in registered)
    return result


def _verb(members: list[str], target: str) -> str:
    return "merged into" if len(members) > 1 else "renamed to"


def _merge(members: list[tuple[str, Mapping[str, Any]]], target: str) -> tuple[dict[str, Any], str]:
    """The merged values of one number's rows, or why they cannot be merged."""
    busy = [(n, row) for n, row in members if row["status"] != AVAILABLE]
    states = {tuple(_empty(row[k]) for k in STATE) for _, row in busy}
    if len(states) > 1:
        return {}, "its spellings are in different states (" + "; ".join(
            f"{n}: {_state(row)}" for n, row in busy
        ) + "), and only an operator can say which is right"
    rows = dict(members)
    base = busy[0][1] if busy else rows.get(target, members[0][1])
    merged = {k: base[k] for k in VALUES}
    for key in ("site", "label"):
        values = {_empty(row[key]) for _, row in members} - {""}
        if len(values) > 1:
            return {}, f"its spellings carry different {key}s ({', '.join(sorted(values))})"
        if values and not _empty(merged[key]):
            merged[key] = next(iter(values))
    return merged, ""


def _empty(value: Any) -> str:
    return "" if value is None else str(value)


def _state(row: Mapping[str, Any]) -> str:
    parts = [_empty(row[k]) for k in ("status", "usage", "vendor")]
    release = _empty(row["release_date"])
    return " / ".join(p for p in parts if p) + (f" until {release}" if release else "")


def _finding(number: str, check: str, row: Mapping[str, Any] | None, why: str) -> dict[str, Any]:
    return {
        "number": number,
        "check": check,
        "before": {k: _empty(row[k]) for k in STATE} if row else None,
        "why": why,
    }
