"""Issue 23: a daily run for a day before today (the project's clock, with one day of slack) is a
report. It changes nothing in the inventory, records no finding, never fails on staleness, says
"report only", and writes that day's report as of the day's end; whether a run acts or only reports
depends on its run day and the clock alone, never on the order runs take the lock.

Through the real daily DAG (``dag.test()``), a real PostgreSQL and the bundled devices over real HTTP."""

from __future__ import annotations

import json

import pytest

from tests.conftest import http_connection
from tests.dags.helpers import D, history_count, rows

pytestmark = pytest.mark.dag

SYNC, DAILY = "audiocodes_number_sync", "number_inventory_daily"
TODAY = "2026-12-07T12:00"


def findings(db) -> int:
    by_number = db.execute("SELECT count(*) FROM audit_finding").fetchone()[0]
    by_connection = db.execute("SELECT count(*) FROM audit_connection_finding").fetchone()[0]
    return by_number + by_connection


def daily_summaries(db) -> list[dict]:
    return [r[0] for r in db.execute("SELECT summary FROM inventory_run WHERE kind = 'daily' ORDER BY id")]


@pytest.fixture
def drifted(db, devices, run_dag, monkeypatch):
    """A synced on 2026-12-06: 1000-1009 Used; then 1000 leaves A (the audit would cool it) and an
    operator parks 1001 Available by hand (the audit would repair it). The clock then stands at
    2026-12-07 12:00."""
    a = devices["audiocodes_a"]
    a.register_numbers(range(1000, 1010))
    devices["audiocodes_b"].register_numbers(range(2000, 2003))
    assert run_dag(SYNC, D(2026, 12, 6))[0] == "success"
    a.unregister("1000")
    db.execute(
        "UPDATE number_inventory SET status = 'Available', usage = NULL, vendor = NULL WHERE number = '1001'"
    )
    monkeypatch.setenv("NUMBER_INVENTORY_TODAY", TODAY)
    # The reads of 2026-12-06 are fresh today: only the test of staleness makes them stale.
    monkeypatch.setenv("AIRFLOW_VAR_AUDIOCODES_MAX_READ_AGE_HOURS", "72")
    return a


def test_a_past_day_daily_run_changes_nothing_and_records_no_finding(db, drifted, run_dag, output):
    before, written = rows(db), history_count(db)

    state, tasks = run_dag(DAILY, D(2026, 12, 3))

    assert state == "success", tasks
    assert rows(db) == before and history_count(db) == written
    assert findings(db) == 0
    assert "report only" in output()


def test_a_past_day_daily_run_succeeds_while_a_device_is_stale(db, drifted, devices, run_dag, monkeypatch):
    # B has not been read for days, and cannot be read now.
    b = devices["audiocodes_b"]
    monkeypatch.setenv("AIRFLOW_CONN_AUDIOCODES_B", http_connection(b, "wrong-password", retries=0))
    monkeypatch.setenv("NUMBER_INVENTORY_TODAY", "2026-12-20T12:00")  # both reads 14 days old

    state, tasks = run_dag(DAILY, D(2026, 12, 10))

    assert state == "success", tasks
    assert findings(db) == 0


def _outcome(db) -> tuple:
    """What the daily runs left: the inventory, the history's reasons, the findings, and each recorded
    run's day and whether it acted."""
    reasons = db.execute(
        "SELECT run_day, reason, count(*) FROM number_inventory_history WHERE dag_id IS NOT NULL "
        "AND dag_id <> 'audiocodes_number_sync' GROUP BY 1, 2 ORDER BY 1, 2"
    ).fetchall()
    found = db.execute('SELECT run_day, number, "check" FROM audit_finding ORDER BY 1, 2, 3').fetchall()
    runs = sorted(
        (s["run_day"], json.dumps({k: v for k, v in s.items() if k not in ("written",)}, sort_keys=True))
        for s in daily_summaries(db)
    )
    return rows(db), reasons, found, runs


@pytest.mark.parametrize("order", ["forward", "reverse"])
def test_past_day_runs_give_the_same_result_in_any_order(db, drifted, run_dag, order, request):
    days = [D(2026, 12, d) for d in (3, 4, 5)]
    for day in days if order == "forward" else days[::-1]:
        assert run_dag(DAILY, day)[0] == "success"
    outcome = _outcome(db)
    # Whatever the order: nothing acted (every day is before today, 2026-12-07, by more than a day).
    assert outcome[1] == [] and outcome[2] == []
