"""Manual actions on numbers, as pure functions: the operator's request, checked number by number.

Operators act on numbers by hand through the ``number_inventory_action`` DAG's form: an *action*, a
list of *numbers*, ``days`` for ``extend_cooling``, a *reason* and ``dry_run``. Nothing here does
I/O. :func:`parse_request` checks the form; :func:`plan_action` checks every number against its
inventory row (an inventory frame, see ``transitions``) and the connections whose kept read registers
it, and returns an :class:`ActionPlan`: the changes (a changes frame, reason ``manual_<action>``), the
numbers that already are where the action leads (left alone, so a re-run changes nothing more), and
the refusals, each number that cannot take the action with why. The caller writes nothing at all when
anything is refused.

Actions (rows of vendor ``AudioCodes`` in ``Cooling`` are *our cooling numbers*):

- ``release_now``: our cooling number becomes ``Available`` now (usage, vendor, tag and release date
  cleared), as the daily release would on its release date.
- ``extend_cooling``: our cooling number's Release Date becomes run day + ``days`` (0–999; earlier or
  later than before) and its Tag is recounted.
- ``cancel_cooling``: our cooling number that a device registers goes back to ``Used`` / ``Device`` /
  ``AudioCodes`` with Tag and Release Date cleared, as the next sync would.
- ``reserve``: ``Available`` becomes ``Reserved``; ``unreserve``: ``Reserved`` becomes ``Available``
  (usage cleared). Tag, vendor and release date are the operator's and stay.

Refused, naming the number: a number not in the inventory; a number in another state than the action
starts from; another vendor's cooling number (its cooling is not the pipeline's); a number that a
device registers when the action would free it or hand it out (``release_now``, ``reserve``,
``unreserve``) — the rule the product exists for; a cooling number that no device registers, for
``cancel_cooling`` (the next sync would only cool it again).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from number_inventory import numbers as nums
from number_inventory.action_form import MAX_DAYS, MAX_NUMBERS, MAX_REASON, MIN_REASON
from number_inventory.action_form import NUMBER_ACTIONS as ACTIONS
from number_inventory.transitions import (
    _USED_BY_DEVICE,
    AUDIOCODES,
    AVAILABLE,
    COOLING,
    DEVICE,
    RESERVED,
    USED,
    _changes,
    _combine,
    cooling_tag,
)

#: Characters that separate numbers typed on one line (spaces do not: ``+1 415 555 0100`` is one number).
_LIST_SEPARATORS = re.compile(r"[\n\r,;]+")

REFUSAL_COLUMNS = ("number", "why")


class ActionError(ValueError):
    """The action cannot be done as asked; the message says why. Nothing was written."""


@dataclass(frozen=True)
class ActionRequest:
    """A checked form: ``numbers`` normalised, each once, in the order typed; ``days`` only for
    ``extend_cooling``; ``note`` is the operator's reason.

    At most ``MAX_NUMBERS``, whoever builds it (the form, or code calling ``pipeline.manual_action``):
    an action holds its numbers, their rows and its summary (which goes to XCom) in memory, about
    1 GB and 40 MB of summary for a million numbers; the limit keeps it near 0.1 GB.
    """

    action: str
    numbers: tuple[str, ...]
    days: int | None
    note: str

    def __post_init__(self) -> None:
        if len(self.numbers) > MAX_NUMBERS:
            raise ActionError(
                f"{self.action}: {len(self.numbers):,} numbers; at most {MAX_NUMBERS:,} per run: "
                "split the list over several runs"
            )

    @property
    def reason(self) -> str:
        """The history's reason for the changes of this action."""
        return f"manual_{self.action}"


@dataclass(frozen=True)
class ActionPlan:
    """What an action would do: ``changes`` to write, ``unchanged`` numbers (``number``, ``status``)
    already where the action leads, and ``refusals`` (``number``, ``why``)."""

    changes: pd.DataFrame
    unchanged: pd.DataFrame
    refusals: pd.DataFrame

    def refusal_lines(self) -> list[str]:
        """One line per refused number: ``<number>: <why>``."""
        return [f"{r.number}: {r.why}" for r in self.refusals.itertuples(index=False)]

    def counts(self) -> dict[str, int]:
        """Changed, unchanged and refused numbers, for logs and XCom."""
        return {"changed": len(self.changes), "unchanged": len(self.unchanged), "refused": len(self.refusals)}


# --- the form -----------------------------------------------------------------------------------


def parse_numbers(value: Any) -> tuple[list[str], list[str]]:
    """The numbers of the form's ``numbers`` field: a list (the form gives one item per line) or one
    text, each item possibly several numbers separated by line breaks, commas or semicolons, typed
    in any spelling ``numbers.normalise_number`` reads (``+1 415-555 0100``, ``tel:+14155550100``).
    Returns ``(numbers, not_numbers)``: the normalised numbers, each once in the order typed, and
    the entries that are not numbers, as typed."""
    if value is None:
        items: list[Any] = []
    elif isinstance(value, (list, tuple)):
        items = list(value)
    else:
        items = [value]
    numbers: dict[str, None] = {}
    bad: list[str] = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (str, int)):
            bad.append(repr(item))
            continue
        for entry in _LIST_SEPARATORS.split(str(item)):
            if not entry.strip():
                continue
            number = nums.normalise_number(entry.strip())
            if number is None:
                bad.append(entry.strip())
            else:
                numbers.setdefault(number)
    return list(numbers), bad


def parse_request(action: Any, numbers: Any, days: Any, reason: Any) -> ActionRequest:
    """Check the form; raise :class:`ActionError` naming every field that is wrong and what it allows."""
    problems = []
    if action not in ACTIONS:
        problems.append(f"Parameter 'action' must be one of {', '.join(ACTIONS)}, got {action!r}")
    parsed, not_numbers = parse_numbers(numbers)
    if not_numbers:
        problems.append(
            "Parameter 'numbers' holds entries that are not numbers (digits with an optional leading '+'): "
            + ", ".join(repr(entry) for entry in not_numbers)
        )
    if not parsed and not not_numbers:
        problems.append("Parameter 'numbers' is empty: give at least one number, one per line")
    if len(parsed) > MAX_NUMBERS:
        problems.append(
            f"Parameter 'numbers' holds {len(parsed):,} numbers; at most {MAX_NUMBERS:,} per run: "
            "split the list over several runs"
        )
    note = reason.strip() if isinstance(reason, str) else ""
    if not MIN_REASON <= len(note) <= MAX_REASON:
        problems.append(
            f"Parameter 'reason' is required: say why, in {MIN_REASON} to {MAX_REASON} characters "
            "(a ticket number, say)"
        )
    checked_days = None
    if action == "extend_cooling":
        if isinstance(days, bool) or not re.fullmatch(r"[0-9]{1,3}", str(days).strip()):
            problems.append(
                f"Parameter 'days' must be a whole number of days from 0 to {MAX_DAYS} for extend_cooling, "
                f"got {days!r}"
            )
        else:
            checked_days = int(str(days).strip())
    if problems:
        raise ActionError("\n".join(problems))
    return ActionRequest(action=action, numbers=tuple(parsed), days=checked_days, note=note)


# --- the rules ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rule:
    """One action: which rows it starts from (``status``, and vendor ``AudioCodes`` when
    ``ours_only``), which rows already are where it leads (``done``), what a device's registration
    means for it (``"required"``, ``"refused"`` with the harm it would do, or ``None``) and the new
    values (``after``)."""

    status: str
    ours_only: bool
    done: Callable[[pd.DataFrame], pd.Series]
    registration: str | None
    harm: str
    after: Callable[[pd.DataFrame, dt.date, int | None], dict[str, object]]


def _released(rows: pd.DataFrame, run_day: dt.date, days: int | None) -> dict[str, object]:
    return {"status": AVAILABLE, "usage": "", "vendor": "", "tag": "", "release_date": ""}


def _recounted(rows: pd.DataFrame, run_day: dt.date, days: int | None) -> dict[str, object]:
    release = (run_day + dt.timedelta(days=days or 0)).isoformat()
    releases = pd.Series(release, index=rows.index, dtype="string")
    return {"release_date": releases, "tag": cooling_tag(releases, run_day)}


def _status(status: str) -> Callable[[pd.DataFrame], pd.Series]:
    return lambda rows: rows["status"] == status


def _none(rows: pd.DataFrame) -> pd.Series:
    return pd.Series(False, index=rows.index)


_RULES: dict[str, _Rule] = {
    "release_now": _Rule(
        COOLING, True, _status(AVAILABLE), "refused", "releasing it would free a number in use", _released
    ),
    "extend_cooling": _Rule(COOLING, True, _none, None, "", _recounted),
    "cancel_cooling": _Rule(
        COOLING,
        True,
        lambda rows: (rows["status"] == USED) & (rows["usage"] == DEVICE) & (rows["vendor"] == AUDIOCODES),
        "required",
        "",
        lambda *_: _USED_BY_DEVICE,
    ),
    "reserve": _Rule(
        AVAILABLE,
        False,
        _status(RESERVED),
        "refused",
        "reserving it would hand out a number in use",
        lambda *_: {"status": RESERVED},
    ),
    "unreserve": _Rule(
        RESERVED,
        False,
        _status(AVAILABLE),
        "refused",
        "unreserving it would free a number in use",
        lambda *_: {"status": AVAILABLE, "usage": ""},
    ),
}


def _state(row: Any) -> str:
    """A row's state as the refusals name it: ``Used / Device / Microsoft``."""
    return " / ".join(v for v in (row.status, row.usage, row.vendor) if v)


def plan_action(
    request: ActionRequest,
    inventory: pd.DataFrame,
    registrations: Mapping[str, Sequence[str]],
    run_day: dt.date,
) -> ActionPlan:
    """Check every number of ``request`` and plan the action.

    ``inventory`` holds the inventory rows of the requested numbers (a number missing from it is not
    in the inventory); ``registrations`` maps each number that a device registers to the
    connections whose kept read registers it.
    """
    rule = _RULES[request.action]
    rows = inventory.set_index("number", drop=False).reindex(list(request.numbers))
    known = rows["status"].notna()
    rows = rows.fillna("")
    rows["number"] = pd.Series(list(request.numbers), index=rows.index, dtype="string")
    registered = rows["number"].isin(list(registrations))
    done = known & rule.done(rows)
    in_state = known & (rows["status"] == rule.status)
    foreign = in_state & (rows["vendor"] != AUDIOCODES) if rule.ours_only else _none(rows)
    if rule.registration == "required":
        blocked = in_state & ~foreign & ~registered
    elif rule.registration == "refused":
        blocked = in_state & ~foreign & registered
    else:
        blocked = _none(rows)
    acting = in_state & ~foreign & ~blocked

    refusals: dict[str, str] = {}
    for row in rows[~known].itertuples(index=False):
        refusals[row.number] = "not in the inventory"
    for row in rows[known & ~done & ~in_state].itertuples(index=False):
        refusals[row.number] = f"it is {_state(row)}, not {rule.status}"
    for row in rows[foreign].itertuples(index=False):
        refusals[row.number] = (
            f"another vendor's number ({row.vendor or 'no vendor'}): its cooling is not the pipeline's"
        )
    for row in rows[blocked].itertuples(index=False):
        if rule.registration == "required":
            refusals[row.number] = "no device registers it: the next sync would only cool it again"
        else:
            on = ", ".join(registrations[row.number])
            refusals[row.number] = f"a device registers it (on {on}): {rule.harm}"

    targets = rows[acting]
    planned = _changes(targets, rule.after(targets, run_day, request.days), request.reason)
    moved = pd.Series(False, index=planned.index)
    for field in ("status", "usage", "vendor", "tag", "release_date"):
        moved |= planned[field].astype("string") != planned[f"before_{field}"].astype("string")
    changes = _combine([planned[moved]])
    unchanged = pd.concat([rows[done], targets[~moved.to_numpy()]])
    order = {number: i for i, number in enumerate(request.numbers)}
    refused = sorted(refusals.items(), key=lambda item: order[item[0]])
    return ActionPlan(
        changes=changes,
        unchanged=unchanged[["number", "status"]].reset_index(drop=True),
        refusals=pd.DataFrame(refused, columns=list(REFUSAL_COLUMNS), dtype="string"),
    )


def registrations_by_number(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """``number -> sorted connection ids`` from ``(number, connection_id)`` pairs."""
    found: dict[str, list[str]] = {}
    for number, connection_id in pairs:
        found.setdefault(number, []).append(connection_id)
    return {number: sorted(ids) for number, ids in found.items()}
