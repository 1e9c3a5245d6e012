"""Property test of planning by number range (``batches``): for ANY split of the numbers into
ranges (random boundaries, 1-row batches, one batch), planning each range on its own and putting
the parts together gives exactly the plan of the whole: the sync's changes, conflicts, withheld rows
and counts, the daily run's releases, Tag recounts, repairs and findings (``possible_duplicate``
pairs ``14155550100`` with ``+14155550100``: both must land in the same range), and the purge's
cooling."""

from __future__ import annotations

import datetime as dt
import itertools

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from number_inventory.batches import NumberRange, range_key, ranges_between, ranges_from_sample, split
from number_inventory.transitions import (
    INVENTORY_COLUMNS,
    apply_to_frame,
    daily_candidates,
    plan_audit,
    plan_purge,
    plan_release,
    plan_sync,
    sync_candidates,
)

DAY = dt.date(2026, 11, 27)
DIGITS = ["1", "10", "100", "1000", "1001", "14155550100", "14155550101", "2", "20", "4930555000", "9"]
POOL = DIGITS + ["+" + d for d in DIGITS] + ["++1", "+", "0"]
ROWS = [
    ("Available", "", "", "", ""),
    ("Available", "", "", "ordered for Berlin", ""),
    ("Used", "Device", "AudioCodes", "", ""),
    ("Used", "Device", "AudioCodes", "kept by hand", ""),
    ("Used", "Fax", "AudioCodes", "", ""),
    ("Used", "", "AudioCodes", "", ""),
    ("Used", "Device", "audiocodes ", "", ""),
    ("Used", "Device", "AudioCode\u017f", "", ""),  # long s: casefolds to "audiocodes"
    ("Used", "Device", "AudioCodes-Mediant", "", ""),  # holds the name, is not it
    ("Available", "", "AudioCodes", "", ""),
    ("Used", "Teams", "Microsoft", "", ""),
    ("Used", "Device", "", "", ""),
    ("Used-Utility", "Fax", "", "lobby", ""),
    ("Reserved", "", "", "CEO", ""),
    ("Reserved", "", "AudioCodes", "", ""),
    ("Cooling", "Device", "AudioCodes", "Cooling: 2 day(s) until release on 2026-11-20", "2026-11-20"),
    ("Cooling", "Device", "AudioCodes", "Cooling: 9 day(s) until release on 2026-12-01", "2026-12-01"),
    ("Cooling", "Device", "AudioCodes", "lost its date", ""),
    ("Cooling", "Device", "AudioCodes ", "", "2026-11-29"),
    ("Cooling", "Teams", "Microsoft", "30-day cooling", "2026-11-28"),
]

INVENTORY = st.dictionaries(st.sampled_from(POOL), st.sampled_from(ROWS), max_size=len(POOL))
REGISTERED = st.lists(st.sampled_from(POOL), max_size=len(POOL))  # duplicates: several connections
BOUNDARIES = st.lists(
    st.one_of(st.sampled_from([range_key(n) for n in POOL]), st.text(alphabet="+0149", max_size=5)),
    max_size=12,
)


def frame(rows: dict[str, tuple[str, ...]]) -> pd.DataFrame:
    return pd.DataFrame(
        [(n, *v) for n, v in rows.items()], columns=list(INVENTORY_COLUMNS), dtype="string"
    ).astype("string")


def records(changes: pd.DataFrame) -> list[tuple]:
    """The rows of a plan's frame, in an order that does not depend on how it was put together."""
    return sorted(tuple("" if pd.isna(v) else v for v in row) for row in changes.itertuples(index=False))


def parts(ranges: list[NumberRange], inventory: pd.DataFrame, registered: list[str]):
    numbers = pd.Series(registered, dtype="string")
    for part, r in zip(split(inventory, ranges), ranges, strict=True):
        yield part, numbers[r.contains(numbers)].unique().tolist()


def test_every_number_is_in_exactly_one_range_and_both_spellings_together() -> None:
    ranges = ranges_between(["1", "14155550100", "2", "9"])
    numbers = pd.Series(POOL, dtype="string")
    hits = sum(r.contains(numbers).astype(int) for r in ranges)
    assert (hits == 1).all()
    for r in ranges:
        inside = set(numbers[r.contains(numbers)])
        assert all(("+" + n in inside) == (n in inside) for n in DIGITS if "+" + n in POOL)


def assert_plans_add_up(plans: list, whole) -> None:
    """The plans of the ranges together are the plan of the whole: changes, conflicts, withheld rows
    and counts."""
    assert records(pd.concat([p.changes for p in plans])) == records(whole.changes)
    assert records(pd.concat([p.conflicts for p in plans])) == records(whole.conflicts)
    assert records(pd.concat([p.withheld for p in plans])) == records(whole.withheld)
    counts: dict[str, int] = {}
    for p in plans:
        for k, v in p.counts().items():
            counts[k] = counts.get(k, 0) + v
    assert counts == whole.counts()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=INVENTORY, registered=REGISTERED, boundaries=BOUNDARIES, can_cool=st.booleans())
def test_the_sync_plans_the_same_for_any_split(rows, registered, boundaries, can_cool) -> None:
    inventory = frame(rows)
    whole = plan_sync(inventory, registered, DAY, 2, can_cool=can_cool)
    ranges = ranges_between(boundaries)
    plans = [plan_sync(p, r, DAY, 2, can_cool=can_cool) for p, r in parts(ranges, inventory, registered)]
    assert_plans_add_up(plans, whole)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=INVENTORY, registered=REGISTERED, boundaries=BOUNDARIES, can_cool=st.booleans())
def test_the_sync_plans_the_same_from_its_candidates_alone(rows, registered, boundaries, can_cool) -> None:
    """What the sync loads (``sync_candidates``, per range): the rows the transition table can
    change or report, and the registered numbers among them or not in the inventory. Planned on
    those alone, every range plans what the whole inventory plans."""
    inventory = frame(rows)
    whole = plan_sync(inventory, registered, DAY, 2, can_cool=can_cool)
    plans = []
    for part, part_registered in parts(ranges_between(boundaries), inventory, registered):
        candidates, numbers = sync_candidates(part, part_registered)
        assert set(numbers) <= set(part_registered)
        plans.append(plan_sync(candidates, numbers, DAY, 2, can_cool=can_cool))
    assert_plans_add_up(plans, whole)


def daily(inventory: pd.DataFrame, registered: list[str], can_cool: bool) -> tuple[pd.DataFrame, ...]:
    released = plan_release(inventory, DAY)
    repairs, findings = plan_audit(apply_to_frame(inventory, released), registered, DAY, 2, can_cool=can_cool)
    return released, repairs, findings


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=INVENTORY, registered=REGISTERED, boundaries=BOUNDARIES, can_cool=st.booleans())
def test_the_daily_run_plans_the_same_for_any_split(rows, registered, boundaries, can_cool) -> None:
    inventory = frame(rows)
    whole = daily(inventory, registered, can_cool)
    ranges = ranges_between(boundaries)
    split_up = [daily(p, r, can_cool) for p, r in parts(ranges, inventory, registered)]
    for i, name in enumerate(("released", "repairs", "findings")):
        assert records(pd.concat([s[i] for s in split_up])) == records(whole[i]), name


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=INVENTORY, registered=REGISTERED, boundaries=BOUNDARIES, can_cool=st.booleans())
def test_the_daily_run_plans_the_same_from_its_candidates_alone(
    rows, registered, boundaries, can_cool
) -> None:
    """What the daily run loads (``daily_candidates``, per range): the rows the release and the
    audit can change or report, and the registered numbers among them or not in the inventory.
    Planned on those alone, every range releases, repairs and finds what the whole inventory does."""
    inventory = frame(rows)
    whole = daily(inventory, registered, can_cool)
    split_up = []
    for part, part_registered in parts(ranges_between(boundaries), inventory, registered):
        candidates, numbers = daily_candidates(part, part_registered)
        assert set(numbers) <= set(part_registered)
        split_up.append(daily(candidates, list(numbers), can_cool))
    for i, name in enumerate(("released", "repairs", "findings")):
        assert records(pd.concat([s[i] for s in split_up])) == records(whole[i]), name


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=INVENTORY, purged=REGISTERED, elsewhere=REGISTERED, boundaries=BOUNDARIES)
def test_the_purge_plans_the_same_for_any_split(rows, purged, elsewhere, boundaries) -> None:
    inventory = frame(rows)
    whole = plan_purge(inventory, purged, elsewhere, DAY, 2)
    ranges = ranges_between(boundaries)
    plans = [
        plan_purge(p, gone, [n for n in elsewhere if n in set(gone)], DAY, 2)
        for p, gone in parts(ranges, inventory, purged)
    ]
    assert records(pd.concat([whole.iloc[:0], *plans])) == records(whole)


@given(sample=st.lists(st.sampled_from(POOL)), total=st.integers(0, 10_000), batch_rows=st.integers(1, 5_000))
def test_ranges_from_a_sample_cover_every_key_once(sample, total, batch_rows) -> None:
    ranges = ranges_from_sample(sample, total, batch_rows)
    assert ranges[0].low is None and ranges[-1].high is None
    assert all(a.high == b.low and a.high is not None for a, b in itertools.pairwise(ranges))
    assert len(ranges) <= max(1, -(-total // batch_rows))
