"""The SPEC's transition table, release and audit as pure functions on pandas DataFrames.

Nothing here does I/O. An *inventory* frame has the columns of ``INVENTORY_COLUMNS``, every value a
string, ``""`` for empty and ``release_date`` as ``YYYY-MM-DD``. *Registered* is the set of numbers
registered (an active binding) on at least one configured connection. Each planner returns the rows
that change, as a *changes* frame: ``number``, ``reason``, ``is_new``, the ``before_*`` values and the
new values. A row that would not change is never in it, so nothing is written for it.

Reasons (also the audit's check names): ``registered``, ``back_online``, ``wrong_usage``,
``registration_gone``, ``cooling_without_release_date``, ``vendor_spelling``, ``released``,
``tag_recount``, ``connection_purged``; and, for findings that are reported, never changed:
``conflict``, ``not_used_or_cooling`` and ``possible_duplicate``.

Only the cooling Tag (``Cooling: N day(s) until release on YYYY-MM-DD``) is the pipeline's own: an
Available number that becomes Used keeps any other Tag an operator gave it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from number_inventory.columns import (
    BEFORE,
    CHANGE_COLUMNS,
    FIELDS,
    FINDING_COLUMNS,
    INVENTORY_COLUMNS,
)

# The statuses live in their own module (the UI plugin imports them without pandas); other modules
# import them from here as from the SPEC's table.
from number_inventory.statuses import AVAILABLE as AVAILABLE
from number_inventory.statuses import COOLING as COOLING
from number_inventory.statuses import RESERVED as RESERVED
from number_inventory.statuses import STATUSES as STATUSES
from number_inventory.statuses import USED as USED
from number_inventory.statuses import USED_UTILITY as USED_UTILITY

DEVICE = "Device"
AUDIOCODES = "AudioCodes"


@dataclass(frozen=True)
class Plan:
    """What one reconcile would do: ``changes`` to write, ``conflicts`` to report (numbers registered
    but held by another vendor, ``Used`` or ``Cooling``, or ``Used-Utility`` or ``Reserved``), and ``withheld``: rows that would
    have cooled but were kept because not every connection has a complete read."""

    changes: pd.DataFrame
    conflicts: pd.DataFrame
    withheld: pd.DataFrame

    def counts(self) -> dict[str, int]:
        """Rows per reason, plus conflicts and withheld, for logs and XCom."""
        counts = {str(k): int(v) for k, v in self.changes["reason"].value_counts().sort_index().items()}
        return {**counts, "conflict": len(self.conflicts), "withheld": len(self.withheld)}


#: The Tag the pipeline writes while a number cools (see :func:`cooling_tag`).
COOLING_TAG_PATTERN = r"^Cooling: -?[0-9]+ day\(s\) until release on [0-9]{4}-[0-9]{2}-[0-9]{2}$"


def is_cooling_tag(tags: pd.Series) -> pd.Series:
    """Whether each Tag is the pipeline's own cooling Tag (which the pipeline may clear)."""
    return tags.str.fullmatch(COOLING_TAG_PATTERN).fillna(False).astype(bool)


def cooling_tag(release_days: pd.Series, run_day: dt.date) -> pd.Series:
    """The Tag of cooling numbers: ``Cooling: N day(s) until release on YYYY-MM-DD``."""
    days = (pd.to_datetime(release_days, format="%Y-%m-%d") - pd.Timestamp(run_day)).dt.days
    return "Cooling: " + days.astype("string") + " day(s) until release on " + release_days.astype("string")


def _changes(rows: pd.DataFrame, after: dict[str, object], reason: object) -> pd.DataFrame:
    """Changes for ``rows`` (inventory rows) taking the ``after`` values (scalars or aligned Series)."""
    out = pd.DataFrame({"number": rows["number"], "reason": reason, "is_new": False}, index=rows.index)
    for field, before in zip(FIELDS, BEFORE, strict=True):
        out[before] = rows[field]
    for field in FIELDS:
        out[field] = after.get(field, rows[field])
    return out


def _combine(parts: Iterable[pd.DataFrame]) -> pd.DataFrame:
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=bool if c == "is_new" else "string") for c in CHANGE_COLUMNS})
    out = pd.concat(parts, ignore_index=True)[list(CHANGE_COLUMNS)]
    return out.astype({c: "string" for c in CHANGE_COLUMNS if c != "is_new"} | {"is_new": bool})


def _number_index(numbers: Iterable[str]) -> pd.Index:
    values = numbers if isinstance(numbers, (pd.Series, pd.Index)) else list(numbers)
    return pd.Index(pd.Series(values, dtype="string")).unique()


def _match(numbers: pd.Series, registered: pd.Index) -> tuple[pd.Series, pd.Index]:
    """Which of the inventory's ``numbers`` are registered, and the registered numbers the
    inventory lacks, from one hash table over the inventory's numbers."""
    index = pd.Index(numbers)
    if not index.is_unique:  # not an inventory from the database; the plain way
        return numbers.isin(registered), registered.difference(index)
    positions = index.get_indexer(registered)
    found = positions >= 0
    mask = np.zeros(len(index), dtype=bool)
    mask[positions[found]] = True
    return pd.Series(mask, index=numbers.index), registered[~found]


_USED_BY_DEVICE = {"status": USED, "usage": DEVICE, "vendor": AUDIOCODES, "tag": "", "release_date": ""}


def _cool(rows: pd.DataFrame, run_day: dt.date, cooling_days: int, reason: str) -> pd.DataFrame:
    release = (run_day + dt.timedelta(days=cooling_days)).isoformat()
    releases = pd.Series(release, index=rows.index, dtype="string")
    after = {"status": COOLING, "tag": cooling_tag(releases, run_day), "release_date": releases}
    return _changes(rows, after, reason)


def can_change(inventory: pd.DataFrame, is_registered: pd.Series) -> pd.Series:
    """Which inventory rows the sync's transition table can change or report (``is_registered``:
    aligned with ``inventory``): a registered number that is not Used/Device/AudioCodes (reclaimed,
    or a conflict), and an AudioCodes Used number that is not registered (cooled, or withheld).
    Every other row is a fixed point of :func:`plan_sync`: registered and Used/Device/AudioCodes
    already, or not registered and not AudioCodes Used. ``sync/candidates_in_range.sql`` selects the
    same rows in the database."""
    status, usage, vendor = inventory["status"], inventory["usage"], inventory["vendor"]
    ours_used = (status == USED) & (vendor == AUDIOCODES)
    settled = ours_used & (usage == DEVICE)
    return (is_registered & ~settled) | (~is_registered & ours_used)


def sync_candidates(inventory: pd.DataFrame, registered: Iterable[str]) -> tuple[pd.DataFrame, pd.Index]:
    """What :func:`plan_sync` needs to plan exactly what it plans for all of ``inventory`` and
    ``registered``: the rows that :func:`can_change`, and the registered numbers among them or not
    in the inventory (those are inserted). The sync loads only these from the database."""
    return _candidates(inventory, registered, daily=False)


def _candidates(
    inventory: pd.DataFrame, registered: Iterable[str], *, daily: bool
) -> tuple[pd.DataFrame, pd.Index]:
    registered = _number_index(registered)
    is_registered, missing = _match(inventory["number"], registered)
    if daily:
        mask = can_change_daily(inventory, registered, is_registered)
    else:
        mask = can_change(inventory, is_registered)
    candidates = inventory[mask]
    numbers = pd.Index(candidates["number"][is_registered[mask]]).append(missing)
    return candidates, numbers


def might_be_misspelled(vendor: pd.Series) -> pd.Series:
    """Vendors that :func:`plan_audit` may find to be AudioCodes spelled otherwise, and more: not
    ``AudioCodes`` and not empty, and holding ``audiocodes`` in any case, or any character that is not
    ASCII (whose case folding is Unicode's). A superset that the database can test as cheaply
    (``sync/candidates_in_range.sql``); :func:`plan_audit` then decides exactly."""
    vendor = vendor.astype("string")
    other = (vendor != AUDIOCODES) & (vendor != "")
    holds = vendor.str.contains(AUDIOCODES, case=False, regex=False) | ~vendor.str.isascii()
    return (other & holds).fillna(False).astype(bool)


def can_change_daily(inventory: pd.DataFrame, registered: pd.Index, is_registered: pd.Series) -> pd.Series:
    """Which inventory rows the daily run (:func:`plan_release`, then :func:`plan_audit`) can change
    or report (``registered``: every registered number of the range; ``is_registered``: aligned with
    ``inventory``): what the sync :func:`can_change`, every AudioCodes row that is not Used (cooling:
    released, recounted or given back its date; any other status: reported), a vendor that
    :func:`might_be_misspelled`, and both spellings of a number (:func:`_two_spellings`). Every
    other row is a fixed point of the release and the audit alike."""
    status, vendor = inventory["status"], inventory["vendor"]
    twice = inventory.index.isin(_two_spellings(inventory, registered).index)
    return (
        can_change(inventory, is_registered)
        | ((vendor == AUDIOCODES) & (status != USED))
        | might_be_misspelled(vendor)
        | pd.Series(twice, index=inventory.index)
    )


def daily_candidates(inventory: pd.DataFrame, registered: Iterable[str]) -> tuple[pd.DataFrame, pd.Index]:
    """What the daily run needs to plan exactly what it plans for all of ``inventory`` and
    ``registered`` (as :func:`sync_candidates` for the sync): the rows that :func:`can_change_daily`,
    and the registered numbers among them or not in the inventory. The daily run loads only these."""
    return _candidates(inventory, registered, daily=True)


def plan_sync(
    inventory: pd.DataFrame,
    registered: Iterable[str],
    run_day: dt.date,
    cooling_days: int,
    *,
    can_cool: bool = True,
) -> Plan:
    """Apply the SPEC's transition table to every number. Only the rows that :func:`can_change`
    and the registered numbers not in ``inventory`` can be in the plan: planned on
    :func:`sync_candidates` alone, the plan is the same.

    ``can_cool=False`` keeps every number out of Cooling (reported as ``withheld``): used when some
    configured connection has never been read completely, so its numbers are unknown.
    """
    registered = _number_index(registered)
    status, usage, vendor = inventory["status"], inventory["usage"], inventory["vendor"]
    is_registered, missing = _match(inventory["number"], registered)
    ours_used = (status == USED) & (vendor == AUDIOCODES)

    ours_cooling = (status == COOLING) & (vendor == AUDIOCODES)
    # Another vendor's cooling number (empty vendor is Cisco) is theirs: reported, never taken over.
    reclaim = is_registered & ((status == AVAILABLE) | ours_cooling | (ours_used & (usage != DEVICE)))
    reclaimed = inventory[reclaim]
    reasons = np.select(
        [reclaimed["status"] == AVAILABLE, reclaimed["status"] == COOLING],
        ["registered", "back_online"],
        "wrong_usage",
    )
    conflicts = inventory[is_registered & ~reclaim & ~ours_used]
    # An Available number keeps an operator's own Tag when it becomes Used; only a cooling Tag is
    # the pipeline's to clear (and a cooling number coming back online always loses its Tag).
    keep = (reclaimed["status"] == AVAILABLE) & ~is_cooling_tag(reclaimed["tag"])
    kept_tags = reclaimed["tag"].where(keep, "")
    gone = inventory[~is_registered & ours_used]

    new_rows = pd.DataFrame({"number": missing, **{f: "" for f in FIELDS}})
    inserted = _changes(new_rows, _USED_BY_DEVICE, "registered").assign(is_new=True)

    cooled = _cool(gone, run_day, cooling_days, "registration_gone") if can_cool else gone.iloc[:0]
    reclaimed_after = {**_USED_BY_DEVICE, "tag": kept_tags}
    changes = _combine([inserted, _changes(reclaimed, reclaimed_after, reasons), cooled])
    return Plan(
        changes=changes,
        conflicts=conflicts.reset_index(drop=True),
        withheld=(gone.iloc[:0] if can_cool else gone).reset_index(drop=True),
    )


def plan_release(inventory: pd.DataFrame, run_day: dt.date, *, recount: bool = True) -> pd.DataFrame:
    """Release every AudioCodes cooling number whose release date is on or before ``run_day`` (the
    whole backlog) and, when ``recount``, refresh the Tag countdown of the others."""
    cooling = inventory[(inventory["status"] == COOLING) & (inventory["vendor"] == AUDIOCODES)]
    dated = cooling[cooling["release_date"] != ""]
    due = dated["release_date"] <= run_day.isoformat()
    freed = {"status": AVAILABLE, "usage": "", "vendor": "", "tag": "", "release_date": ""}
    parts = [_changes(dated[due], freed, "released")]
    if recount:
        waiting = dated[~due]
        tags = cooling_tag(waiting["release_date"], run_day)
        stale = waiting["tag"] != tags
        parts.append(_changes(waiting[stale], {"tag": tags[stale]}, "tag_recount"))
    return _combine(parts)


def plan_audit(
    inventory: pd.DataFrame,
    registered: Iterable[str],
    run_day: dt.date,
    cooling_days: int,
    *,
    can_cool: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Check AudioCodes numbers against what the devices report; return ``(changes, findings)``.

    The audit repairs what the sync would (a registered number not ``Used``/``Device``/``AudioCodes``,
    an AudioCodes ``Used`` number no device reports), AudioCodes cooling rows that lost their release
    date, and the vendor spelled otherwise (``audiocodes``, ``AudioCodes ``: repaired to
    ``AudioCodes`` first, and the other checks then see the repaired row). Conflicts, withheld
    cooling, AudioCodes numbers that are neither Used nor Cooling, and numbers that may be one number
    in two spellings (``14155550100`` and ``+14155550100``) are findings that are not repaired.
    """
    registered = _number_index(registered)
    vendor = inventory["vendor"]
    other = (vendor != AUDIOCODES) & (vendor != "")
    misspelled = pd.Series(False, index=inventory.index)
    misspelled[other] = vendor[other].str.strip().str.casefold() == AUDIOCODES.casefold()
    respelled = inventory.copy()
    respelled.loc[misspelled, "vendor"] = AUDIOCODES

    plan = plan_sync(respelled, registered, run_day, cooling_days, can_cool=can_cool)
    undated = respelled[
        (respelled["status"] == COOLING)
        & (respelled["vendor"] == AUDIOCODES)
        & (respelled["release_date"] == "")
        & ~respelled["number"].isin(plan.changes["number"])
    ]
    changes = _combine([plan.changes, _cool(undated, run_day, cooling_days, "cooling_without_release_date")])
    spelling = inventory[misspelled]
    if len(spelling):
        # A number repaired further keeps one change, made from the row as it is in the database.
        original = pd.Series(spelling["vendor"].to_numpy(), index=spelling["number"].to_numpy())
        further = changes["number"].isin(original.index)
        changes.loc[further, "before_vendor"] = original[changes.loc[further, "number"]].to_numpy()
        only_spelling = spelling[~spelling["number"].isin(changes["number"])]
        changes = _combine([changes, _changes(only_spelling, {"vendor": AUDIOCODES}, "vendor_spelling")])
    # Numbers with a repair or a finding of their own are not "neither Used nor Cooling" as well.
    reported = pd.Index(changes.loc[changes["reason"] != "vendor_spelling", "number"])
    reported = reported.append(pd.Index(plan.conflicts["number"]))
    reported = reported.append(pd.Index(plan.withheld["number"]))
    odd = respelled[
        (respelled["vendor"] == AUDIOCODES)
        & ~respelled["status"].isin([USED, COOLING])
        & ~respelled["number"].isin(reported)
    ]
    unrepaired = _combine(
        [
            _changes(plan.conflicts, {}, "conflict"),
            _changes(plan.withheld, {}, "registration_gone"),
            _changes(odd, {}, "not_used_or_cooling"),
            _changes(_two_spellings(inventory, registered), {}, "possible_duplicate"),
        ]
    )
    repaired = changes
    if len(spelling):
        # Spelling repairs folded into another change are findings of their own as well.
        folded = spelling[spelling["number"].isin(changes["number"][changes["reason"] != "vendor_spelling"])]
        repaired = _combine([changes, _changes(folded, {"vendor": AUDIOCODES}, "vendor_spelling")])
    findings = pd.concat(
        [repaired.assign(repaired=True), unrepaired.assign(repaired=False)], ignore_index=True
    ).rename(columns={"reason": "check"})
    return changes, findings[list(FINDING_COLUMNS)]


def _two_spellings(inventory: pd.DataFrame, registered: pd.Index) -> pd.DataFrame:
    """Inventory rows whose number is also known in the other spelling (with or without the leading
    ``+``), in the inventory or among the registered numbers: possibly one number kept twice."""
    # Plain set passes: most inventories hold one spelling only, and then this costs one pass.
    known = (inventory["number"].to_numpy(dtype=object), registered.to_numpy(dtype=object))
    bare = {number for numbers in known for number in numbers if number[:1] != "+"}
    if not bare:
        return inventory.iloc[:0]
    twice = {
        number[1:] for numbers in known for number in numbers if number[:1] == "+" and number[1:] in bare
    }
    if not twice:
        return inventory.iloc[:0]
    return inventory[inventory["number"].isin([*twice, *("+" + digits for digits in twice)])]


def plan_purge(
    inventory: pd.DataFrame,
    purged: Iterable[str],
    registered_elsewhere: Iterable[str],
    run_day: dt.date,
    cooling_days: int,
) -> pd.DataFrame:
    """Cool the numbers of a decommissioned connection that no other connection registers, by the
    same rules as a registration that went away."""
    purged = _number_index(purged)
    candidates = inventory[inventory["number"].isin(purged)]
    elsewhere = _number_index(registered_elsewhere)
    plan = plan_sync(candidates, elsewhere[elsewhere.isin(purged)], run_day, cooling_days)
    cooled = plan.changes[plan.changes["reason"] == "registration_gone"]
    return cooled.assign(reason="connection_purged").reset_index(drop=True)


def apply_to_frame(inventory: pd.DataFrame, changes: pd.DataFrame) -> pd.DataFrame:
    """The inventory after ``changes``, computed in memory (for planning a second step on top of a
    first, and for replaying the history in tests)."""
    if changes.empty:
        return inventory
    index = pd.Index(inventory["number"])
    if not (index.is_unique and changes["number"].is_unique):  # not from the database: by labels
        return _apply_by_labels(inventory, changes)
    positions = index.get_indexer(changes["number"])
    known = positions >= 0
    updated = inventory[list(INVENTORY_COLUMNS)].reset_index(drop=True)
    for field in FIELDS:
        values = updated[field].to_numpy(dtype=object, copy=True)
        values[positions[known]] = changes[field].to_numpy(dtype=object)[known]
        updated[field] = pd.Series(values, dtype=inventory[field].dtype)
    added = changes.loc[~known, list(INVENTORY_COLUMNS)]
    return pd.concat([updated, added], ignore_index=True)


def _apply_by_labels(inventory: pd.DataFrame, changes: pd.DataFrame) -> pd.DataFrame:
    updated = inventory.set_index("number")
    after = changes.set_index("number")[list(FIELDS)]
    known = after.index.isin(updated.index)
    updated.loc[after.index[known], list(FIELDS)] = after[known].to_numpy()
    added = after[~known].reset_index()
    return pd.concat([updated.reset_index(), added], ignore_index=True)[list(INVENTORY_COLUMNS)]
