"""The reconciles' selection in the database (``sync/candidates_in_range.sql``, through
``store.load_sync_candidates`` and ``store.load_daily_candidates``) on a real PostgreSQL: for any
inventory (NULL and empty values, vendors spelled otherwise, other vendors' Cooling, both spellings
of a number), any kept registrations (a number on several connections, inactive bindings) and any
split into ranges, it selects exactly the rows and registered numbers of the pandas rules
(``transitions.sync_candidates``, ``transitions.daily_candidates``) and counts the range's rows as
the whole range loaded would; and the sync and the daily run built on it write the inventory and
record the summary that planning the whole inventory at once gives."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devtools import local_db
from number_inventory import pipeline, store, transitions
from number_inventory.batches import range_key, ranges_between
from number_inventory.store import RunInfo
from tests.number_inventory.frames import kept_read

DAY = dt.date(2026, 11, 27)
DIGITS = ["1", "10", "1000", "1001", "14155550100", "2", "4930555000", "9"]
POOL = DIGITS + ["+" + d for d in DIGITS]
CONNECTIONS = ["sbc1", "sbc2", "sbc3"]
COOLING_TAG = "Cooling: 2 day(s) until release on 2026-11-29"
# Weighted towards the sync's own rows (Used, Device, AudioCodes), whose neighbours matter most.
ROWS = st.tuples(
    st.sampled_from(["Used"] * 4 + ["Available", "Used-Utility", "Reserved", "Cooling", "Cooling"]),
    st.sampled_from(["Device"] * 4 + [None, "", "Fax", "device"]),
    st.sampled_from(
        ["AudioCodes"] * 4
        + [None, "", "audiocodes ", "AudioCodes ", "Microsoft", "AudioCodes-Mediant", "AudioCode\u017f"]
    ),
    st.sampled_from([None, "", "ordered for Berlin", COOLING_TAG]),
    st.sampled_from([None, dt.date(2026, 11, 29), dt.date(2026, 11, 20)]),
)
# Every number of the pool is drawn (a row or none, registrations or none): dense enough that each
# kind of row meets each kind of registration in a few dozen examples.
INVENTORY = st.fixed_dictionaries({n: st.one_of(st.none(), ROWS) for n in POOL}).map(
    lambda rows: {n: row for n, row in rows.items() if row is not None}
)
REGISTRATIONS = st.fixed_dictionaries(
    {n: st.dictionaries(st.sampled_from(CONNECTIONS), st.sampled_from([True, True, False])) for n in POOL}
).map(lambda drawn: {(c, n): active for n, by in drawn.items() for c, active in by.items()})
BOUNDARIES = st.lists(
    st.one_of(st.sampled_from([range_key(n) for n in POOL]), st.text(alphabet="+0149", max_size=5)),
    max_size=6,
)


def load(db, inventory: dict, registrations: dict) -> None:
    db.execute(f"TRUNCATE {', '.join(local_db.PROJECT_TABLES)} RESTART IDENTITY CASCADE")
    with db.cursor().copy(
        "COPY number_inventory (number, status, usage, vendor, tag, release_date) FROM STDIN"
    ) as copy:
        for number, row in inventory.items():
            copy.write_row((number, *row))
    for connection_id in CONNECTIONS:
        kept_read(db, connection_id, DAY)
    with db.cursor().copy("COPY audiocodes_registration (connection_id, number, active) FROM STDIN") as copy:
        for (connection_id, number), active in registrations.items():
            copy.write_row((connection_id, number, active))
    db.execute("ANALYZE")


#: A whole reconcile against planning everything at once: any inventory and registrations, any
#: batch size, and a configured connection never read (nothing may cool) or not.
def reconcile_scenarios(test):
    return settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )(
        given(
            inventory=INVENTORY,
            registrations=REGISTRATIONS,
            batch_rows=st.sampled_from([None, 1, 3, 7]),
            never_read=st.booleans(),
        )(test)
    )


def loaded(
    db, inventory: dict, registrations: dict, never_read: bool
) -> tuple[pd.DataFrame, pd.Series, list[str]]:
    """Load a scenario; the whole inventory and its registered numbers as planned at once, and the
    configured connections (with one never read when ``never_read``)."""
    load(db, inventory, registrations)
    connection_ids = [*CONNECTIONS, "sbc9"] if never_read else CONNECTIONS
    return store.load_inventory(db), store.registered_numbers(db), connection_ids


def records(frame: pd.DataFrame) -> list[tuple]:
    return sorted(tuple(row) for row in frame.itertuples(index=False))


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(inventory=INVENTORY, registrations=REGISTRATIONS, boundaries=BOUNDARIES, daily=st.booleans())
def test_the_sql_selects_what_the_pandas_rule_selects(
    db, inventory, registrations, boundaries, daily
) -> None:
    load(db, inventory, registrations)
    rule = transitions.daily_candidates if daily else transitions.sync_candidates
    select = store.load_daily_candidates if daily else store.load_sync_candidates
    for numbers in ranges_between(boundaries):
        part = store.load_inventory(db, numbers)
        part_registered = store.registered_numbers(db, within=numbers)
        expected, expected_registered = rule(part, part_registered)
        selected = select(db, numbers)
        assert records(selected.inventory) == records(expected), numbers
        assert sorted(selected.registered) == sorted(expected_registered), numbers
        assert selected.inventory_rows == len(part), numbers
        assert selected.registered_numbers == len(part_registered), numbers


@reconcile_scenarios
def test_the_sync_writes_and_reports_what_planning_everything_gives(
    db, inventory, registrations, batch_rows, never_read
) -> None:
    assert_sync_as_planned_at_once(db, inventory, registrations, batch_rows, never_read)


@pytest.mark.parametrize("batch_rows", [None, 1, 2])
def test_a_first_load_inserts_each_registered_number_once(db, batch_rows) -> None:
    """Ranges the inventory holds no row of: each number with an active binding is inserted once,
    whichever connections keep it, with its history; a number kept only by inactive bindings is not
    inserted; both spellings each get their row. With no inventory at all, and beside a range that
    does hold rows, in one range or several."""
    registrations = {
        ("sbc1", "+1000"): True,
        ("sbc2", "+1000"): True,
        ("sbc1", "+1001"): False,
        ("sbc2", "+1001"): False,
        ("sbc1", "14155550100"): True,
        ("sbc2", "+14155550100"): True,
        ("sbc3", "2"): True,
    }
    for inventory in ({}, {"9": ("Available", None, None, "ordered for Berlin", None)}):
        assert_sync_as_planned_at_once(db, inventory, registrations, batch_rows, never_read=False)
        history = db.execute(
            "SELECT number, reason, after_status, after_usage, after_vendor FROM number_inventory_history "
            "WHERE reason <> 'hand_insert' ORDER BY number"  # the scenario's own COPY is a hand insert
        ).fetchall()
        assert history == [
            (n, "registered", "Used", "Device", "AudioCodes")
            for n in ("+1000", "+14155550100", "14155550100", "2")
        ]


def assert_sync_as_planned_at_once(
    db, inventory: dict, registrations: dict, batch_rows, never_read: bool
) -> None:
    everything, registered, connection_ids = loaded(db, inventory, registrations, never_read)
    whole = transitions.plan_sync(everything, registered, DAY, 2, can_cool=not never_read)

    summary = pipeline.sync(db, RunInfo("sync", "s1", DAY), connection_ids, 2, batch_rows=batch_rows)

    counts = whole.counts()
    assert summary == {
        "run_day": DAY.isoformat(),
        "inventory": len(everything),
        "registered_numbers": len(registered),
        "written": len(whole.changes),
        **{reason: counts[reason] for reason in sorted(counts) if reason not in ("conflict", "withheld")},
        "conflict": counts["conflict"],
        "withheld": counts["withheld"],
        "never_read": ["sbc9"] if never_read else [],
        "unconfigured_connections": [],
        "conflicts_sample": sorted(whole.conflicts["number"])[:20],
    }
    after = transitions.apply_to_frame(everything, whole.changes)
    assert records(store.load_inventory(db)) == records(after)


@reconcile_scenarios
def test_the_daily_run_writes_and_reports_what_planning_everything_gives(
    db, inventory, registrations, batch_rows, never_read
) -> None:
    everything, registered, connection_ids = loaded(db, inventory, registrations, never_read)
    released = transitions.plan_release(everything, DAY)
    after_release = transitions.apply_to_frame(everything, released)
    repairs, findings = transitions.plan_audit(after_release, registered, DAY, 2, can_cool=not never_read)

    summary = pipeline.daily(db, RunInfo("daily", "d1", DAY), connection_ids, 2, batch_rows=batch_rows)

    checks = findings["check"].value_counts()
    assert summary["inventory"] == len(everything)
    assert summary["released"] == int((released["reason"] == "released").sum())
    assert summary["tags_recounted"] == int((released["reason"] == "tag_recount").sum())
    assert summary["repaired"] == len(repairs)
    stale = {"stale_read": 1} if never_read else {}  # sbc9: never read completely
    assert summary["findings"] == {**{str(k): int(checks[k]) for k in checks.index}, **stale}
    assert summary["written"] == len(released) + len(repairs)
    assert summary["never_read"] == (["sbc9"] if never_read else [])
    after = transitions.apply_to_frame(after_release, repairs)
    assert records(store.load_inventory(db)) == records(after)
