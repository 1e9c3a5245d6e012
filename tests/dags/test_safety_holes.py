"""Issue 12's ways of cooling or freeing a number a device still registers, each through the real
DAGs (``dag.test()``), a real PostgreSQL and the bundled devices over real HTTP: a run for a future
day, a sync for a past interval, a connection id dropped from the Variable, a purge beside a
connection never read, and paging skew."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time

import pytest

from tests.dags.helpers import USED, D, by_status, cooling, history_count, row, rows

pytestmark = pytest.mark.dag

SYNC, DAILY, PURGE = "audiocodes_number_sync", "number_inventory_daily", "audiocodes_connection_purge"
DAY1, DAY2, DAY3, DAY4 = D(2026, 11, 2), D(2026, 11, 3), D(2026, 11, 4), D(2026, 11, 5)
FUTURE = D(2062, 3, 2)
A_NUMBERS = [str(n) for n in range(1000, 1150)]
B_NUMBERS = [str(n) for n in range(2000, 2300)]


def runs(db, kind: str) -> list[dict]:
    return [
        r[0] for r in db.execute("SELECT summary FROM inventory_run WHERE kind = %s ORDER BY id", (kind,))
    ]


# --- 2. a run day in the future; the sync is latest-only ----------------------------------------


@pytest.mark.parametrize("today", ["2026-11-03", ""], ids=["simulated-today", "wall-clock"])
def test_a_daily_run_for_a_future_day_fails_before_any_write(db, synced, run_dag, output, monkeypatch, today):
    a, _ = synced
    a.unregister("1000")
    assert run_dag(SYNC, DAY2)[0] == "success"
    assert row(db, "1000") == cooling(DAY4, DAY2)
    before, written, daily_runs = rows(db), history_count(db), runs(db, "daily")
    monkeypatch.setenv("NUMBER_INVENTORY_TODAY", today)

    state, tasks = run_dag(DAILY, FUTURE)

    assert state == "failed" and tasks["prepare"] == ["failed"]
    assert tasks["release_and_audit"] != ["success"]
    assert rows(db) == before and history_count(db) == written  # 1000 was not released early
    assert runs(db, "daily") == daily_runs
    assert "run day 2062-03-02 is after today" in output()


def test_a_sync_for_a_future_day_fails_and_later_syncs_still_read(db, synced, run_dag, output, monkeypatch):
    a, _ = synced
    a.register("1150")
    served = a.requests_served
    monkeypatch.setenv("NUMBER_INVENTORY_TODAY", DAY2.isoformat())

    state, tasks = run_dag(SYNC, FUTURE)

    assert state == "failed" and tasks["prepare"] == ["failed"]
    assert a.requests_served == served and "1150" not in rows(db)
    assert [r["run_day"] for r in runs(db, "sync")] == [DAY1.isoformat()]
    assert "run day 2062-03-02 is after today (2026-11-03" in output()
    assert "test and simulation clock" in output()

    # The next real sync is not a "backfill": it reads and registers the new number.
    monkeypatch.delenv("NUMBER_INVENTORY_TODAY")
    assert run_dag(SYNC, DAY2)[0] == "success"
    assert row(db, "1150") == USED


@pytest.mark.parametrize(
    ("run_type", "message"),
    [("scheduled", "not the latest scheduled interval"), ("backfill", "a backfill run")],
)
def test_a_sync_for_a_past_interval_reads_nothing_and_says_so(
    db, synced, run_dag, output, monkeypatch, run_type, message
):
    a, b = synced
    a.unregister("1000")  # would cool, stamped with a past run day, if the run read
    a.register("1150")
    served = a.requests_served, b.requests_served
    before, written = rows(db), history_count(db)
    monkeypatch.setenv("NUMBER_INVENTORY_TODAY", "2026-11-10")

    state, tasks = run_dag(SYNC, DAY2, run_type=run_type)

    assert state == "success", tasks
    assert tasks["reconcile"] == ["skipped"] and tasks["check_reads"] == ["skipped"]
    assert (a.requests_served, b.requests_served) == served
    assert rows(db) == before and history_count(db) == written
    assert len(runs(db, "sync")) == 1
    text = output()
    assert message in text and "reads nothing and changes nothing" in text


@pytest.mark.parametrize("now", ["2026-11-03T10:00:01+00:00", "2026-11-03T11:00:00+00:00"])
def test_the_latest_scheduled_sync_reads(db, synced, run_dag, monkeypatch, now):
    """The hourly run of 10:00 is the latest from just after 10:00 up to 11:00 inclusive (the
    clock stands still at ``now``: the answer cannot depend on when the test runs)."""
    a, _ = synced
    a.register("1150")
    monkeypatch.setenv("NUMBER_INVENTORY_TODAY", now)

    state, tasks = run_dag(SYNC, dt.datetime(2026, 11, 3, 10, 0, tzinfo=dt.UTC), run_type="scheduled")

    assert state == "success", tasks
    assert tasks["reconcile"] == ["success"]
    assert row(db, "1150") == USED


# --- 3. a connection id dropped from audiocodes_connections -------------------------------------


def test_dropping_a_connection_id_keeps_its_numbers_until_it_is_purged(
    db, synced, run_dag, output, monkeypatch
):
    _, b = synced
    monkeypatch.setenv("AIRFLOW_VAR_AUDIOCODES_CONNECTIONS", json.dumps(["audiocodes_a"]))
    b.unregister("2000")  # b is no longer read: its kept read still registers 2000

    assert run_dag(SYNC, DAY2)[0] == "success"
    assert run_dag(SYNC, DAY3)[0] == "success"
    assert run_dag(DAILY, DAY4)[0] == "success"

    assert by_status(db) == {"Used": 450}
    message = (
        "connection audiocodes_b is no longer configured; its kept read still registers 300 numbers: "
        "purge it or configure it again"
    )
    assert message in output()
    daily = runs(db, "daily")[-1]
    assert daily["findings"]["unconfigured_connection"] == 1
    assert daily["unconfigured_connections"] == [message]
    finding = db.execute(
        'SELECT connection_id, "check", numbers, message FROM audit_connection_finding'
    ).fetchall()
    assert finding == [("audiocodes_b", "unconfigured_connection", 300, message)]

    # Decommissioned with the purge DAG, its numbers cool by the normal rules.
    state, _ = run_dag(PURGE, DAY4, connection_id="audiocodes_b", confirm="audiocodes_b")
    assert state == "success"
    assert row(db, "2001") == cooling(DAY4 + dt.timedelta(days=2), DAY4)
    assert by_status(db) == {"Used": 150, "Cooling": 300}


# --- 4. purge beside a connection never read -------------------------------------------------------


def test_purge_beside_a_connection_never_read_withholds_cooling(db, synced, run_dag, output, monkeypatch):
    monkeypatch.setenv(
        "AIRFLOW_VAR_AUDIOCODES_CONNECTIONS", json.dumps(["audiocodes_a", "audiocodes_b", "audiocodes_c"])
    )

    state, _ = run_dag(PURGE, DAY2, connection_id="audiocodes_b", confirm="audiocodes_b")

    assert state == "success"
    assert by_status(db) == {"Used": 450}  # b's numbers may be c's: nothing cools
    summary = runs(db, "purge")[-1]
    assert summary["never_read"] == ["audiocodes_c"] and summary["withheld"] == 300
    assert summary["cooled"] == 0
    assert "audiocodes_c has never been read completely" in output()
    kept = {r[0] for r in db.execute("SELECT connection_id FROM audiocodes_connection")}
    assert kept == {"audiocodes_a"}


# --- 5. paging skew and audiocodes_absent_reads ----------------------------------------------------


def skew_during_next_read(device, gone: str, new: str) -> threading.Thread:
    """Between the first two pages of the device's next read, ``gone`` de-registers and ``new``
    registers: the offsets shift by one, ``total`` stays, and one registered number is never sent."""
    device.slow_page(1, 1.5, times=1)
    served = device.requests_served

    def skew() -> None:
        deadline = time.monotonic() + 60
        while device.requests_served <= served and time.monotonic() < deadline:
            time.sleep(0.01)
        device.unregister(gone)
        device.register(new)

    thread = threading.Thread(target=skew, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("absent_reads", [1, 2])
def test_paging_skew_and_absent_reads(db, devices, run_dag, monkeypatch, absent_reads):
    a = devices["audiocodes_a"]
    a.register_numbers(range(1000, 1090))  # three pages of 30
    monkeypatch.setenv("AIRFLOW_VAR_AUDIOCODES_ABSENT_READS", str(absent_reads))
    assert run_dag(SYNC, DAY1)[0] == "success"

    skew = skew_during_next_read(a, gone="1000", new="1090")
    assert run_dag(SYNC, DAY2)[0] == "success"
    skew.join(5)
    read = db.execute(
        "SELECT state, total, bindings FROM audiocodes_read WHERE connection_id = 'audiocodes_a' "
        "ORDER BY read_id DESC LIMIT 1"
    ).fetchone()
    assert read == ("complete", 90, 90)  # the skewed read adds up: it cannot be told apart

    if absent_reads == 1:
        # One read is believed: 1030, still registered, was skipped by the shifting offsets and cools.
        assert row(db, "1030")[0] == "Cooling"
        return
    assert row(db, "1030") == USED  # missed by one read only
    assert row(db, "1000") == USED and row(db, "1090") == USED  # 1000 was on the first page

    # The next read sees 1030 again (its count starts over); 1000, gone, is missed a first time.
    assert run_dag(SYNC, DAY3)[0] == "success"
    assert row(db, "1030") == USED and row(db, "1000") == USED
    assert missed_counts(db) == {"1000": 1}

    # A second read in a row without 1000: now it cools.
    assert run_dag(SYNC, DAY4)[0] == "success"
    assert row(db, "1000") == cooling(DAY4 + dt.timedelta(days=2), DAY4)
    assert missed_counts(db) == {}
    assert by_status(db) == {"Used": 90, "Cooling": 1}


def missed_counts(db) -> dict[str, int]:
    return dict(db.execute("SELECT number, missed FROM audiocodes_registration WHERE missed > 0").fetchall())


@pytest.mark.parametrize("value", ["0", "6", "two", "1.5"])
def test_a_bad_absent_reads_fails_before_any_read(db, synced, run_dag, output, monkeypatch, value):
    a, _ = synced
    served = a.requests_served
    monkeypatch.setenv("AIRFLOW_VAR_AUDIOCODES_ABSENT_READS", value)

    state, tasks = run_dag(SYNC, DAY2)

    assert state == "failed" and tasks["prepare"] == ["failed"]
    assert a.requests_served == served
    assert "'audiocodes_absent_reads' must be a whole number of reads from 1 to 5" in output()
