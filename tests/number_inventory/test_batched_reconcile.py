"""The sync, the daily run and the purge by number range, on a real PostgreSQL: the SQL selects
exactly the numbers of a range (``batches.NumberRange.contains``), any batch size writes the same
inventory, history, findings and summary as one batch, and a failure in a middle batch leaves
everything as it was (one transaction)."""

from __future__ import annotations

import datetime as dt

import pytest

from devtools import local_db
from number_inventory import batches, pipeline, store, transitions
from number_inventory.batches import ranges_between
from number_inventory.store import RunInfo
from tests.number_inventory.frames import kept_read

DAY = dt.date(2026, 11, 27)
CONNECTIONS = ["sbc1", "sbc2"]
DIGITS = ["100", "1000", "1001", "1002", "14155550100", "14155550101", "2000", "20001", "4930555000", "9"]
INVENTORY = {
    "100": ("Available", None, None, "ordered for Berlin", None),
    "1000": ("Used", "Device", "AudioCodes", None, None),
    "+1000": ("Used", "Device", "AudioCodes", None, None),
    "1001": ("Used", "Fax", "AudioCodes", None, None),
    "+1002": ("Used", "Device", "audiocodes ", None, None),
    "14155550100": ("Used", "Device", "AudioCodes", None, None),
    "+14155550101": ("Used", "Teams", "Microsoft", None, None),
    "2000": ("Reserved", None, "AudioCodes", None, None),
    "20001": (
        "Cooling",
        "Device",
        "AudioCodes",
        "Cooling: 2 day(s) until release on 2026-11-20",
        "2026-11-20",
    ),
    "+20001": ("Cooling", "Device", "AudioCodes", "lost its date", None),
    "4930555000": (
        "Cooling",
        "Device",
        "AudioCodes",
        "Cooling: 9 day(s) until release on 2026-12-01",
        "2026-12-01",
    ),
    "9": ("Used", "Device", None, None, None),
}
REGISTERED = {
    "sbc1": ["100", "+14155550100", "14155550101", "2000", "9", "+9"],
    "sbc2": ["1000", "+4930555000", "9", "77", "+77"],
}


def load(db) -> None:
    with db.cursor().copy(
        "COPY number_inventory (number, status, usage, vendor, tag, release_date) FROM STDIN"
    ) as c:
        for number, row in INVENTORY.items():
            c.write_row((number, *row))
    for connection_id, numbers in REGISTERED.items():
        kept_read(db, connection_id, DAY)
        for number in numbers:
            db.execute(
                "INSERT INTO audiocodes_registration (connection_id, number, active) VALUES (%s, %s, true)",
                (connection_id, number),
            )
    db.execute(
        "INSERT INTO audiocodes_registration (connection_id, number, active) VALUES ('sbc1', '1001', false)"
    )


def state(db) -> dict:
    def rows(query: str) -> list[tuple]:
        return sorted(db.execute(query).fetchall())

    return {
        "inventory": rows("SELECT number, status, usage, vendor, tag, release_date FROM number_inventory"),
        "history": rows(
            "SELECT number, reason, before_status, before_vendor, before_tag, before_release_date, "
            "after_status, after_usage, after_vendor, after_tag, after_release_date FROM number_inventory_history"
        ),
        "findings": rows('SELECT number, "check", repaired, before::text, after::text FROM audit_finding'),
        "runs": rows("SELECT kind, run_id, summary::text FROM inventory_run"),
    }


def run_days(db, batch_rows: int | None) -> dict:
    """Sync, then the daily run, then a sync after sbc2's numbers went away; the resulting state."""
    db.execute(f"TRUNCATE {', '.join(local_db.PROJECT_TABLES)} RESTART IDENTITY CASCADE")
    load(db)
    db.execute("ANALYZE")
    pipeline.sync(db, RunInfo("sync", "s1", DAY), CONNECTIONS, 2, batch_rows=batch_rows)
    pipeline.daily(db, RunInfo("daily", "d1", DAY), CONNECTIONS, 2, batch_rows=batch_rows)
    db.execute("UPDATE audiocodes_registration SET active = false WHERE connection_id = 'sbc2'")
    pipeline.sync(
        db, RunInfo("sync", "s2", DAY + dt.timedelta(days=1)), CONNECTIONS, 2, batch_rows=batch_rows
    )
    pipeline.daily(
        db, RunInfo("daily", "d2", DAY + dt.timedelta(days=3)), CONNECTIONS, 2, batch_rows=batch_rows
    )
    return state(db)


@pytest.mark.parametrize(
    "boundaries",
    [
        [],
        ["1000"],
        ["1000", "1001", "14155550100", "2000"],
        ["", "0", "14155550100", "3", "4930555000"],
        ["+", "9"],
    ],
)
def test_the_sql_selects_exactly_the_numbers_of_a_range(db, boundaries) -> None:
    load(db)
    inventory = store.load_inventory(db)
    registered = store.registered_numbers(db)
    seen_inventory, seen_registered = [], []
    for numbers in ranges_between(boundaries):
        part = store.load_inventory(db, numbers)
        expected = inventory[numbers.contains(inventory["number"])]
        assert sorted(part["number"]) == sorted(expected["number"]), numbers
        part_registered = store.registered_numbers(db, within=numbers)
        assert sorted(part_registered) == sorted(registered[numbers.contains(registered)]), numbers
        seen_inventory += part["number"].tolist()
        seen_registered += part_registered.tolist()
    assert sorted(seen_inventory) == sorted(inventory["number"])
    assert sorted(seen_registered) == sorted(registered)


def test_the_ranges_of_a_reconcile_are_about_batch_rows_each(db) -> None:
    load(db)
    db.execute("ANALYZE")
    assert store.number_ranges(db) == [batches.NumberRange()]
    ranges = store.number_ranges(db, batch_rows=4)
    rows = len(INVENTORY) + sum(len(n) for n in REGISTERED.values()) + 1
    assert len(ranges) > 3
    assert len(ranges) <= -(-rows // 4)


@pytest.mark.parametrize("batch_rows", [1, 3, 7])
def test_any_batch_size_writes_what_one_batch_writes(db, batch_rows) -> None:
    one_batch = run_days(db, None)
    assert one_batch["history"] and one_batch["findings"]
    assert {f[1] for f in one_batch["findings"]} >= {"possible_duplicate", "vendor_spelling", "conflict"}
    assert run_days(db, batch_rows) == one_batch


def test_a_failure_in_a_middle_batch_leaves_everything_as_it_was(db, monkeypatch) -> None:
    load(db)
    db.execute("ANALYZE")
    before = state(db)
    plan_sync, calls = transitions.plan_sync, []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("the third batch failed")
        return plan_sync(*args, **kwargs)

    monkeypatch.setattr(transitions, "plan_sync", failing)
    with pytest.raises(RuntimeError, match="third batch"):
        pipeline.sync(db, RunInfo("sync", "s1", DAY), CONNECTIONS, 2, batch_rows=2)
    assert len(store.number_ranges(db, batch_rows=2)) > 3  # the failure was in a middle batch
    assert state(db) == before
    calls.clear()
    with pytest.raises(RuntimeError, match="third batch"):
        pipeline.daily(db, RunInfo("daily", "d1", DAY), CONNECTIONS, 2, batch_rows=2)
    assert state(db) == before


def purge_day(db, batch_rows: int | None, configured: list[str]) -> dict:
    """Sync, then purge sbc2 while ``configured`` are the configured connections; the resulting state
    and the purge's departures ("last seen on")."""
    db.execute(f"TRUNCATE {', '.join(local_db.PROJECT_TABLES)} RESTART IDENTITY CASCADE")
    load(db)
    db.execute("ANALYZE")
    pipeline.sync(db, RunInfo("sync", "s1", DAY), CONNECTIONS, 2, batch_rows=batch_rows)
    run = RunInfo("purge", "p1", DAY + dt.timedelta(days=1))
    pipeline.purge(db, run, "sbc2", configured, 2, batch_rows=batch_rows)
    departures = "SELECT number, connection_id, how, run_id FROM audiocodes_departure"
    return {**state(db), "departures": sorted(db.execute(departures).fetchall())}


@pytest.mark.parametrize(
    "configured", [CONNECTIONS, [*CONNECTIONS, "never_read"]], ids=["cools", "withholds"]
)
@pytest.mark.parametrize("batch_rows", [1, 3, 7])
def test_a_purge_in_any_batch_size_writes_what_one_batch_writes(db, batch_rows, configured) -> None:
    one_batch = purge_day(db, None, configured)
    purged = [r for r in one_batch["runs"] if r[0] == "purge"]
    assert len(purged) == 1 and one_batch["departures"]
    cooled = [h for h in one_batch["history"] if h[1] == "connection_purged"]
    if configured == CONNECTIONS:  # 1000, +4930555000, 77 and +77 were only sbc2's; 9 stays on sbc1
        assert sorted(h[0] for h in cooled) == ["+4930555000", "+77", "1000", "77"]
    else:
        assert cooled == [] and '"withheld": 4' in purged[0][2]
    assert len(store.number_ranges(db, batch_rows=batch_rows)) > 2
    assert purge_day(db, batch_rows, configured) == one_batch


def test_a_purge_loads_only_the_purged_numbers_range_by_range(db, monkeypatch) -> None:
    load(db)
    db.execute("ANALYZE")
    pipeline.sync(db, RunInfo("sync", "s1", DAY), CONNECTIONS, 2)
    loaded: list[tuple[int, int]] = []
    purged_numbers, load_purged_inventory = store.purged_numbers, store.load_purged_inventory

    def whole(*args, **kwargs):
        raise AssertionError("the purge loaded the whole inventory or every registration")

    def numbers(conn, within):
        part = purged_numbers(conn, within)
        loaded.append((len(part), -1))
        return part

    def inventory(conn, within):
        part = load_purged_inventory(conn, within)
        loaded[-1] = (loaded[-1][0], len(part))
        return part

    monkeypatch.setattr(store, "load_inventory", whole)
    monkeypatch.setattr(store, "registered_numbers", whole)
    monkeypatch.setattr(store, "purged_numbers", numbers)
    monkeypatch.setattr(store, "load_purged_inventory", inventory)
    summary = pipeline.purge(db, RunInfo("purge", "p1", DAY), "sbc2", CONNECTIONS, 2, batch_rows=3)

    assert summary["numbers"] == len(REGISTERED["sbc2"]) == sum(n for n, _ in loaded)
    assert summary["kept_by_other_connections"] == 1  # 9
    assert sum(rows for _, rows in loaded) == 5  # sbc2's numbers are in the inventory since s1
    assert len(loaded) > 2 and max(n for n, _ in loaded) < len(REGISTERED["sbc2"])


def test_a_range_s_changes_must_lie_in_the_range(db) -> None:
    # Each range's updates are looked up in that range of the table only (sync/apply_updates.sql): a
    # change outside it would silently not be written, so it is refused before anything is.
    load(db)
    db.execute("ANALYZE")
    before = state(db)
    changes = transitions.plan_sync(store.load_inventory(db), store.registered_numbers(db), DAY, 2).changes
    assert len(changes) and not ranges_between(["2"])[1].contains(changes["number"]).all()
    with pytest.raises(ValueError, match="outside its range"), db.transaction():
        store.ChangeWriter(db, RunInfo("sync", "s1", DAY)).write(changes, ranges_between(["2"])[1])
    assert state(db) == before
