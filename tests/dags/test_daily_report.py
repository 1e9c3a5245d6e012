"""Issue 23's done-when: backfilling number_inventory_daily over 60 past days on a populated inventory
fills 60 report rows equal to what replaying the history gives, changes no inventory row and no
finding, succeeds while a device is stale, and gives the same rows whatever order the runs take,
concurrently.

The history is built by real syncs, daily runs and hand edits (real HTTP devices, real PostgreSQL);
the history stamps changes with the database's clock, so after each simulated day the test moves
that day's history rows to the day (``changed_at``), as if the runs had happened then."""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import random

import psycopg
import pytest

from devtools import local_db
from number_inventory import clock, history, pipeline, report
from number_inventory.store import RunInfo
from tests.conftest import http_connection
from tests.dags.helpers import D, history_count, rows

pytestmark = pytest.mark.dag

SYNC, DAILY = "audiocodes_number_sync", "number_inventory_daily"
ZONE = "Europe/Berlin"
FIRST = D(2026, 9, 1)
DAYS = [FIRST + dt.timedelta(days=i) for i in range(60)]
TODAY = DAYS[-1] + dt.timedelta(days=5)


def stamp(db, since_id: int, day: dt.date) -> int:
    """Move the history rows written after ``since_id`` to ``day`` (10:00 in the zone, a second apart
    in id order); return the latest id."""
    start = dt.datetime.combine(day, dt.time(10), tzinfo=dt.timezone(dt.timedelta(hours=1)))
    db.execute(
        "UPDATE number_inventory_history SET changed_at = %s + (id - %s) * interval '1 second' WHERE id > %s",
        (start, since_id, since_id),
    )
    return db.execute("SELECT coalesce(max(id), 0) FROM number_inventory_history").fetchone()[0]


def findings(db) -> int:
    return (
        db.execute("SELECT count(*) FROM audit_finding").fetchone()[0]
        + db.execute("SELECT count(*) FROM audit_connection_finding").fetchone()[0]
    )


def report_rows(db) -> list[tuple]:
    return db.execute(
        "SELECT day, measure, key, numbers, sample FROM number_inventory_daily_report ORDER BY 1, 2, 3"
    ).fetchall()


def expected(db, day: dt.date) -> dict:
    """The report's counts of ``day`` worked out in Python from history.replay_as_of the day's end."""
    return report.from_inventory(history.replay_as_of(db, report.day_bounds(day, ZONE)[1]))


def actual(db, day: dt.date) -> dict:
    written = report.summarise(report.read(db, day, day))[day]
    return {k: written[k] for k in ("total", "status", "usage", "vendor", "cooling_release")}


@pytest.fixture
def populated(db, devices, run_dag, monkeypatch):
    """Sixty days of history: the first days by real syncs, daily runs and hand edits, each day's
    rows stamped on its day; the numbers cool, come back, are released, are edited by hand."""
    monkeypatch.setenv("AIRFLOW_VAR_NUMBER_INVENTORY_TIMEZONE", ZONE)
    a, b = devices["audiocodes_a"], devices["audiocodes_b"]
    db.execute("INSERT INTO number_inventory (number) SELECT g::text FROM generate_series(3000, 3019) AS g")
    a.register_numbers(range(1000, 1030))
    b.register_numbers(range(2000, 2010))
    last = 0
    rng = random.Random(23)
    registered = set(range(1000, 1030))
    for i, day in enumerate(DAYS[:8]):
        if i:  # the devices drift a little every day: numbers leave, and come back
            for n in rng.sample(range(1000, 1030), 4):
                (a.unregister if n in registered else a.register)(str(n))
                registered ^= {n}
        if i == 3:
            db.execute("UPDATE number_inventory SET status = 'Reserved', tag = 'lab' WHERE number = '3000'")
        if i == 5:
            db.execute("DELETE FROM number_inventory WHERE number = '3001'")
        assert run_dag(SYNC, day)[0] == "success"
        assert run_dag(DAILY, day)[0] == "success"
        last = stamp(db, last, day)
    # Later days: hand edits only (the operators' own SQL), a few a day.
    for day in DAYS[8:]:
        n = 3002 + day.toordinal() % 18
        db.execute(
            "UPDATE number_inventory SET status = CASE status WHEN 'Available' THEN 'Reserved' ELSE 'Available' "
            "END WHERE number = %s",
            (str(n),),
        )
        last = stamp(db, last, day)
    # B is stale from now on: read weeks ago, and it refuses the login.
    monkeypatch.setenv("AIRFLOW_CONN_AUDIOCODES_B", http_connection(b, "wrong-password", retries=0))
    monkeypatch.setenv(clock.TODAY_ENV, f"{TODAY}T12:00")
    return a, b


def test_a_backfill_over_60_days_fills_60_reports_equal_to_the_replayed_history(db, populated, run_dag):
    before, written, found = rows(db), history_count(db), findings(db)
    db.execute("TRUNCATE number_inventory_daily_report")

    for day in reversed(DAYS):  # a backfill runs in any order
        state, tasks = run_dag(DAILY, day, run_type="backfill")
        assert state == "success", (day, tasks)
        assert tasks["release_and_audit"] == ["skipped"] and tasks["report"] == ["success"]

    assert rows(db) == before and history_count(db) == written and findings(db) == found
    assert db.execute("SELECT count(DISTINCT day) FROM number_inventory_daily_report").fetchone()[0] == 60
    for day in DAYS:
        assert actual(db, day) == expected(db, day), day
    # The history moved: numbers cooled, came back and were released over these days.
    events = dict(
        db.execute(
            "SELECT key, sum(numbers) FROM number_inventory_daily_report WHERE measure = 'event' GROUP BY 1"
        ).fetchall()
    )
    assert all(events[e] > 0 for e in ("to_cooling", "back_online", "released", "by_hand")), events


def _report_only(dsn: str, day: dt.date) -> dict:
    """One daily run's work for ``day`` as the task does it, on a connection of its own."""
    reason = clock.daily_report_only(day, TODAY)
    assert reason is not None
    with psycopg.connect(dsn, autocommit=True) as conn:
        run = RunInfo(DAILY, f"backfill__{day}", day)
        return pipeline.daily_report(conn, run, ZONE, report_only=reason)


def test_concurrent_report_runs_give_the_same_rows_in_any_order(db, populated, pg):
    results = {}
    for order in ("reverse", "shuffled"):
        db.execute("TRUNCATE number_inventory_daily_report")
        days = DAYS[::-1] if order == "reverse" else random.Random(7).sample(DAYS, len(DAYS))
        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            summaries = list(pool.map(lambda d: _report_only(pg[1], d), days))
        assert all(s["report_only"].startswith("report only") for s in summaries)
        results[order] = report_rows(db)
    assert results["reverse"] == results["shuffled"]
    assert len({r[0] for r in results["reverse"]}) == 60


def test_a_run_acts_or_reports_by_its_day_and_the_clock_alone():
    today = D(2026, 12, 7)
    assert clock.daily_report_only(D(2026, 12, 8), today) is None
    assert clock.daily_report_only(today, today) is None
    assert clock.daily_report_only(D(2026, 12, 6), today) is None  # one day of slack
    assert "report only" in clock.daily_report_only(D(2026, 12, 5), today)


def test_the_current_days_run_writes_its_report_and_the_day_befores(db, populated, run_dag, monkeypatch):
    db.execute("TRUNCATE number_inventory_daily_report")
    monkeypatch.delenv(clock.TODAY_ENV)
    monkeypatch.setenv("AIRFLOW_VAR_AUDIOCODES_CONNECTIONS", '["audiocodes_a"]')
    day = dt.datetime.now(dt.UTC).date()
    state, tasks = run_dag(DAILY, dt.datetime.combine(day, dt.time(1), tzinfo=dt.UTC))
    # A's read is weeks old: the run fails on staleness, and writes its reports all the same.
    assert state == "failed" and tasks["release_and_audit"] == ["failed"]
    assert tasks["report"] == ["success"], tasks
    days = [r[0] for r in db.execute("SELECT DISTINCT day FROM number_inventory_daily_report ORDER BY 1")]
    assert days == [day - dt.timedelta(days=1), day]
    assert actual(db, day - dt.timedelta(days=1)) == expected(db, day - dt.timedelta(days=1))


def test_the_report_counts_numbers_by_hand_and_keeps_a_bounded_sample(pg, db):
    conn = local_db.connect(pg[1])
    conn.execute("INSERT INTO number_inventory (number) SELECT g::text FROM generate_series(5000, 5029) AS g")
    day = dt.datetime.now(dt.UTC).date()
    written = report.write(conn, day, "UTC")
    assert written["event"]["by_hand"] == 30 and len(written["samples"]["by_hand"]) == report.SAMPLE
    assert written["samples"]["by_hand"] == [str(n) for n in range(5000, 5010)]
    assert written["reason"] == {"hand_insert": 30}
    conn.close()
