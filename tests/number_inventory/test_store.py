"""The PostgreSQL side against a real server: migrations, the table contract, set-based writes with
history, the inventory lock and read staging."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pandas as pd
import psycopg
import pytest

from devtools import local_db
from number_inventory import store, transitions
from number_inventory.settings import MassRemovalGuard
from number_inventory.store import ReadRejected, RunInfo
from tests.conftest import read_stages

RUN = RunInfo("test_dag", "run-1", dt.date(2026, 11, 27))


def test_migrations_apply_once(db):
    assert store.migrate(db) == []  # the fixture already migrated
    versions = [r[0] for r in db.execute("SELECT version FROM number_inventory_schema ORDER BY 1")]
    assert versions[0] == "0001_inventory"


def test_operators_load_ranges_with_a_plain_insert_or_copy(db):
    db.execute("INSERT INTO number_inventory (number) VALUES ('1000')")
    with db.cursor().copy("COPY number_inventory (number) FROM STDIN") as copy:
        copy.write("1001\n+14155550100\n")
    cursor = db.execute(
        "SELECT number, status, usage, vendor, tag, release_date FROM number_inventory ORDER BY 1"
    )
    assert cursor.fetchall() == [
        ("+14155550100", "Available", None, None, None, None),
        ("1000", "Available", None, None, None, None),
        ("1001", "Available", None, None, None, None),
    ]


@pytest.mark.parametrize(
    "values",
    [
        "('10 00', 'Available')",
        "('alice', 'Available')",
        "('', 'Available')",
        "('+', 'Available')",
        "('++1000', 'Available')",
        "('10+00', 'Available')",
        "('1000+', 'Available')",
        "('\u0661\u0662', 'Available')",
        "(repeat('1', 33), 'Available')",
        "('+' || repeat('1', 33), 'Available')",
        "('1000', 'Free')",
    ],
    ids=[
        "space",
        "not-a-number",
        "empty",
        "plus-only",
        "two-pluses",
        "plus-inside",
        "plus-at-end",
        "arabic-indic-digits",
        "33-digits",
        "plus-33-digits",
        "unknown-status",
    ],
)
def test_the_table_refuses_what_the_spec_does_not_allow(db, values):
    with pytest.raises(psycopg.errors.CheckViolation):
        db.execute(f"INSERT INTO number_inventory (number, status) VALUES {values}")


def test_the_table_takes_numbers_of_one_to_32_digits_with_an_optional_plus(db):
    db.execute(
        "INSERT INTO number_inventory (number) VALUES ('0'), ('+1'), (repeat('9', 32)), ('+' || repeat('9', 32))"
    )
    assert db.execute("SELECT count(*) FROM number_inventory").fetchone()[0] == 4


def test_load_inventory_gives_strings_with_empty_for_null(db):
    db.execute(
        "INSERT INTO number_inventory VALUES ('1000', 'Cooling', 'Device', 'AudioCodes', 'x', '2026-11-29'), "
        "('1001', 'Available', '', NULL, NULL, NULL)"
    )
    frame = store.load_inventory(db).sort_values("number").reset_index(drop=True)
    assert frame.to_dict("records") == [
        dict(
            number="1000",
            status="Cooling",
            usage="Device",
            vendor="AudioCodes",
            tag="x",
            release_date="2026-11-29",
        ),
        dict(number="1001", status="Available", usage="", vendor="", tag="", release_date=""),
    ]


def test_apply_changes_writes_rows_and_history_and_skips_rows_changed_meanwhile(db):
    db.execute("INSERT INTO number_inventory (number) VALUES ('1000'), ('1001')")
    plan = transitions.plan_sync(store.load_inventory(db), ["1000", "1001", "1002"], RUN.run_day, 2)
    # Someone reserves 1001 by hand after the plan was made.
    db.execute("UPDATE number_inventory SET status = 'Reserved' WHERE number = '1001'")

    with db.transaction():
        written = store.apply_changes(db, plan.changes, RUN)

    assert written == 2
    status = dict(db.execute("SELECT number, status FROM number_inventory").fetchall())
    assert status == {"1000": "Used", "1001": "Reserved", "1002": "Used"}
    history = db.execute(
        "SELECT number, reason, before_status, after_status, after_usage, after_vendor, dag_id, run_id, run_day "
        "FROM number_inventory_history WHERE dag_id IS NOT NULL ORDER BY number"  # not the hand edits above
    ).fetchall()
    assert history == [
        ("1000", "registered", "Available", "Used", "Device", "AudioCodes", "test_dag", "run-1", RUN.run_day),
        ("1002", "registered", None, "Used", "Device", "AudioCodes", "test_dag", "run-1", RUN.run_day),
    ]


def test_the_inventory_lock_serialises_writers(pg, db):
    order = []

    def writer(name: str, hold: float) -> None:
        with local_db.connect(pg[1]) as conn, conn.transaction():
            store.lock_inventory(conn)
            order.append(f"{name} in")
            time.sleep(hold)
            order.append(f"{name} out")

    first = threading.Thread(target=writer, args=("first", 0.5))
    first.start()
    time.sleep(0.2)
    writer("second", 0)
    first.join()
    assert order == ["first in", "first out", "second in", "second out"]


DEFAULT_GUARD = MassRemovalGuard()


def stage(db, connection_id: str, bindings, *, total=None, guard=DEFAULT_GUARD, allow=False):
    read = store.StagedRead(store.begin_read(db, connection_id, RUN))
    store.stage_bindings(db, read, bindings)
    return store.finish_read(
        db,
        read,
        connection_id,
        total=len(bindings) if total is None else total,
        pages=1,
        guard=guard,
        allow_mass_removal=allow,
    )


def test_a_complete_read_replaces_the_kept_one(db):
    stage(
        db, "a", [("1000@h", "<sip:1000@h>;status:1"), ("1000@h", "<sip:1000@h:2>;status:0"), ("bob@h", "x")]
    )
    summary = stage(db, "a", [("1001@h", "status:1"), ("1002@h", "status:0"), ("carol@h", "status:1")])

    assert summary["bindings"] == 3 and summary["numbers"] == 1 and summary["skipped_aors"] == 1
    assert store.registered_numbers(db, ["a"]).tolist() == ["1001"]
    kept = db.execute("SELECT number, active FROM audiocodes_registration ORDER BY 1").fetchall()
    assert kept == [("1001", True), ("1002", False)]
    assert read_stages(db) == 0


def test_a_read_that_does_not_add_up_is_rejected_and_the_kept_read_stays(db):
    stage(db, "a", [("1000@h", "status:1")])
    with pytest.raises(ReadRejected, match="2 distinct bindings received, the device announced total=3"):
        stage(db, "a", [("1001@h", "status:1"), ("1001@h", "status:1"), ("1002@h", "status:1")], total=3)
    assert store.registered_numbers(db, ["a"]).tolist() == ["1000"]
    states = [r[0] for r in db.execute("SELECT state FROM audiocodes_read ORDER BY read_id")]
    assert states == ["complete", "failed"]


def test_the_mass_removal_guard(db):
    guard = MassRemovalGuard(max_share=0.5, min_numbers=3)
    stage(db, "a", [(f"{n}@h", "status:1") for n in range(1000, 1010)])
    with pytest.raises(ReadRejected, match="suspicious read: 6 of the 10 numbers"):
        stage(db, "a", [(f"{n}@h", "status:1") for n in range(1000, 1004)], guard=guard)
    stage(db, "a", [(f"{n}@h", "status:1") for n in range(1000, 1006)], guard=guard)  # 4 of 10: fine
    stage(db, "a", [], guard=guard, allow=True)  # the operator's override
    assert store.registered_numbers(db, ["a"]).empty


def test_a_read_left_running_by_a_killed_worker_is_failed_by_the_next(db):
    stale = store.begin_read(db, "a", RUN)
    store.stage_bindings(db, store.StagedRead(stale), [("1000@h", "status:1")])
    stage(db, "a", [("1001@h", "status:1")])
    state, error = db.execute(
        "SELECT state, error FROM audiocodes_read WHERE read_id = %s", (stale,)
    ).fetchone()
    assert state == "failed" and "abandoned" in error
    assert read_stages(db) == 0


def test_registered_numbers_spans_connections_without_duplicates(db):
    stage(db, "a", [("1000@h", "status:1"), ("1001@h", "status:1")])
    stage(db, "b", [("1001@h", "status:1"), ("1002@h", "status:1")])
    numbers = store.registered_numbers(db, ["a", "b"])
    assert sorted(numbers) == ["1000", "1001", "1002"]
    assert isinstance(numbers, pd.Series)
    assert sorted(store.registered_numbers(db, ["b"])) == ["1001", "1002"]
