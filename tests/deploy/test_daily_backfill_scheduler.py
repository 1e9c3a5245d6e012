"""Issue 23 through Airflow's own backfill: a real scheduler (LocalExecutor, four worker slots) on a
PostgreSQL metadata database runs ``number_inventory_daily`` for ten past days, several at once and
backwards, as ``airflow backfill create`` asks it to (``POST /api/v2/backfills`` is the same call).

Every run succeeds although both devices are stale (never read), changes no inventory row and
records no finding, and the ten reports equal what replaying the history gives as of each day's end;
the same backfill run forwards from an empty report table writes the same rows. Takes minutes (the stack's start-up is most of it); it needs no Redis.
"""

from __future__ import annotations

import datetime as dt

import pytest

from deploy.run_local_stack import LocalStack, wait_until
from devtools import local_db
from number_inventory import history, report, store
from tests.deploy.helpers import Budget, start_for, tails_on_failure

DAILY = "number_inventory_daily"
BUDGET_SECONDS = 600
DAYS = 10


@pytest.fixture
def stack(tmp_path):
    stack = LocalStack(tmp_path, triggerer=False, schedules=False, executor="LocalExecutor", parallelism=4)
    try:
        yield stack
    finally:
        stack.stop()


def seed_history(dsn: str, days: list[dt.date]) -> None:
    """Numbers loaded, cooled, back, released and edited by hand over ``days`` (plain SQL, the
    history's triggers record it), each day's history rows then moved to that day."""
    with local_db.connect(dsn) as conn:
        store.migrate(conn)
        last = 0
        for i, day in enumerate(days):
            if i == 0:
                conn.execute(
                    "INSERT INTO number_inventory (number, status, usage, vendor) "
                    "SELECT g::text, 'Used', 'Device', 'AudioCodes' FROM generate_series(5000, 5039) AS g"
                )
            else:
                # each day two numbers cool: 5000+2i (released two days later) and 5020+i (back the next day)
                for n in (5000 + 2 * i, 5020 + i):
                    conn.execute(
                        "UPDATE number_inventory SET status = 'Cooling', release_date = %s WHERE number = %s",
                        (day + dt.timedelta(days=2), str(n)),
                    )
                conn.execute(
                    "UPDATE number_inventory SET status = 'Available', usage = NULL, vendor = NULL, "
                    "release_date = NULL WHERE number = %s AND status = 'Cooling'",
                    (str(5000 + 2 * (i - 2)),),
                )
                conn.execute(
                    "UPDATE number_inventory SET status = 'Used', release_date = NULL WHERE number = %s "
                    "AND status = 'Cooling'",
                    (str(5020 + i - 1),),
                )
            start = dt.datetime.combine(day, dt.time(9), tzinfo=dt.UTC)
            conn.execute(
                "UPDATE number_inventory_history SET changed_at = %s + (id - %s) * interval '1 second' "
                "WHERE id > %s",
                (start, last, last),
            )
            last = conn.execute("SELECT max(id) FROM number_inventory_history").fetchone()[0]


def report_rows(dsn: str) -> list[tuple]:
    with local_db.connect(dsn) as conn:
        return conn.execute(
            "SELECT day, measure, key, numbers, sample FROM number_inventory_daily_report ORDER BY 1, 2, 3"
        ).fetchall()


def test_an_airflow_backfill_of_the_daily_run_fills_the_reports_and_changes_nothing(stack):
    today = dt.datetime.now(dt.UTC).date()
    days = [today - dt.timedelta(days=n) for n in range(DAYS + 2, 2, -1)]  # all before today - 1
    budget = Budget(BUDGET_SECONDS)

    with tails_on_failure(stack):
        start_for(
            stack, DAILY, budget, lambda dsn: seed_history(dsn, days), start_seconds=200, parse_seconds=120
        )
        with local_db.connect(stack.inventory_dsn) as conn:  # no run yet: the stack schedules none
            before = history.inventory(conn)
            written = conn.execute("SELECT count(*) FROM number_inventory_history").fetchone()[0]

        def backfill(backwards: bool) -> list[dict]:
            """Backfill the days (reprocessing runs done before) and wait until the backfill is done."""
            created = stack.api(
                "POST",
                "/backfills",
                json={
                    "dag_id": DAILY,
                    "from_date": dt.datetime.combine(days[0], dt.time(), tzinfo=dt.UTC).isoformat(),
                    "to_date": dt.datetime.combine(days[-1], dt.time(), tzinfo=dt.UTC).isoformat(),
                    "run_backwards": backwards,
                    "max_active_runs": 4,
                    "reprocess_behavior": "completed",
                },
            )
            wait_until(
                f"backfill {created['id']}",
                lambda: stack.api("GET", f"/backfills/{created['id']}")["completed_at"],
                budget.left(),
                every=3,
            )
            runs = stack.api("GET", f"/dags/{DAILY}/dagRuns", params={"run_type": "backfill", "limit": 100})
            assert len(runs["dag_runs"]) == DAYS
            return runs["dag_runs"]

        runs = backfill(backwards=True)
        failed = [r["dag_run_id"] for r in runs if r["state"] != "success"]
        assert not failed, failed
        # Each run only reported, and said so.
        run_id = runs[0]["dag_run_id"]
        states = {ti["task_id"]: ti["state"] for ti in stack.task_instances(DAILY, run_id)}
        assert states == {"prepare": "success", "release_and_audit": "skipped", "report": "success"}
        assert "report only: run day" in stack.task_log(DAILY, run_id, "report", 1)
        spans = [(r["start_date"], r["end_date"]) for r in runs]
        together = max(sum(1 for s, e in spans if s <= start < e) for start, _ in spans)
        print(f"at most {together} backfill run(s) ran at once")
        backwards = report_rows(stack.inventory_dsn)

        # The same backfill forwards, from an empty report table: the same rows.
        with local_db.connect(stack.inventory_dsn) as conn:
            conn.execute("TRUNCATE number_inventory_daily_report")
        runs = backfill(backwards=False)
        assert all(r["state"] == "success" for r in runs), [(r["dag_run_id"], r["state"]) for r in runs]
        assert report_rows(stack.inventory_dsn) == backwards

    with local_db.connect(stack.inventory_dsn) as conn:
        assert history.inventory(conn) == before
        assert conn.execute("SELECT count(*) FROM number_inventory_history").fetchone()[0] == written
        assert conn.execute("SELECT count(*) FROM audit_finding").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM audit_connection_finding").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM inventory_run").fetchone()[0] == 0
        reports = report.summarise(report.read(conn, days[0], days[-1]))
        assert sorted(reports) == days
        for day in days:
            replayed = report.from_inventory(history.replay_as_of(conn, report.day_bounds(day, "UTC")[1]))
            assert {k: reports[day][k] for k in replayed} == replayed, day
        events = {e: sum(r["event"][e] for r in reports.values()) for e in report.EVENTS}
        assert events["to_cooling"] and events["back_online"] and events["released"], events
