"""The docker-compose topology for real, as processes: a sync run through the REST API, on Celery.

PostgreSQL (metadata and inventory databases of their own), Redis as the broker, the API server,
scheduler, DAG processor, triggerer and one Celery worker, and two bundled devices, all started by
``deploy/run_local_stack.py`` and stopped at the end. Skipped when Redis does not answer.
"""

from __future__ import annotations

import datetime as dt
import re

import psutil
import pytest

from deploy.run_local_stack import DEFAULT_REDIS_URL, SYNC_DAG, LocalStack, redis_reason
from devtools import local_db
from number_inventory import store
from tests.deploy.helpers import Budget, start_for, tails_on_failure

#: Every wait of the test together stays within this (the machine may be shared and small).
BUDGET_SECONDS = 240
COOLING_DAYS = 3


@pytest.fixture
def stack(tmp_path):
    reason = redis_reason(DEFAULT_REDIS_URL)
    if reason:
        pytest.skip(f"{reason}: the Celery topology needs a Redis broker")
    stack = LocalStack(
        tmp_path,
        # only the run the test triggers: no scheduled runs
        schedules=False,
        # set like .env sets it, to see a Variable reach the worker
        variables={"AIRFLOW_VAR_AUDIOCODES_COOLING_DURATION": str(COOLING_DAYS)},
    )
    redis_before = redis_keys()
    try:
        yield stack
    finally:
        started = [m for process in stack.processes.values() for m in process.members()]
        stack.stop()
        left = [m for m in started if alive(m)]
        assert not left, f"still running after stop: {left}"
        # nothing left behind in the broker's database (its queue, kombu's bookkeeping)
        assert redis_keys() <= redis_before, f"left in Redis: {redis_keys() - redis_before}"


def redis_keys() -> set[bytes]:
    import redis

    return set(redis.Redis.from_url(DEFAULT_REDIS_URL, socket_timeout=5).scan_iter(count=1000))


def alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def seed_inventory(dsn: str) -> None:
    """Rows that the sync must change, and rows it must leave alone."""
    with local_db.connect(dsn) as conn:
        store.migrate(conn)
        conn.execute(
            "INSERT INTO number_inventory (number, status, usage, vendor, tag, release_date) VALUES "
            "('1001', 'Available', NULL, NULL, NULL, NULL), "  # registered: becomes Used
            "('1060', 'Cooling', 'Device', 'AudioCodes', 'Cooling: 1 day(s) until release on 2000-01-02', "
            " '2000-01-02'), "  # registered again: back online
            "('1010', 'Used', 'Device', 'Microsoft', NULL, NULL), "  # another vendor's: a conflict, unchanged
            "('1020', 'Reserved', NULL, NULL, NULL, NULL), "  # reserved: unchanged
            "('2000', 'Used', 'Device', 'AudioCodes', NULL, NULL)"  # registered nowhere: cools
        )


def test_a_sync_runs_on_celery_workers_through_the_rest_api(stack):
    with tails_on_failure(stack):
        check_a_sync_run(stack)


def check_a_sync_run(stack: LocalStack) -> None:
    budget = Budget(BUDGET_SECONDS, kept=20)  # 20 s kept for stopping

    # the DAG processor parsed the DAGs without errors; unpaused, the sync is triggered through the REST API
    start_for(stack, SYNC_DAG, budget, seed_inventory, start_seconds=150, parse_seconds=60)
    logical = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=1)
    run_id = stack.trigger(SYNC_DAG, logical)
    state = stack.wait_for_run(SYNC_DAG, run_id, timeout=budget.left())
    tis = stack.task_instances(SYNC_DAG, run_id)
    summary = [(ti["task_id"], ti["map_index"], ti["state"]) for ti in tis]
    failed_logs = [
        stack.task_log(SYNC_DAG, run_id, ti["task_id"], ti["try_number"], ti["map_index"])[-3000:]
        for ti in tis
        if state != "success" and ti["state"] == "failed"
    ]
    assert state == "success", f"{summary}\n" + "\n".join(failed_logs)

    # every task went through this stack's Celery queue; the two reads are separate mapped instances
    assert {ti["task_id"] for ti in tis} == {
        "prepare",
        "connections_to_read",
        "read_connection",
        "reconcile",
        "check_reads",
    }
    assert all(ti["state"] == "success" and ti["queue"] == stack.queue for ti in tis), summary
    reads = sorted((ti for ti in tis if ti["task_id"] == "read_connection"), key=lambda ti: ti["map_index"])
    assert [(ti["map_index"], ti["rendered_map_index"]) for ti in reads] == [
        (0, "audiocodes_a"),
        (1, "audiocodes_b"),
    ]
    assert all(ti["hostname"] for ti in reads)
    assert reads[0]["pid"] != reads[1]["pid"]

    # ... and the Celery worker is what executed them
    worker_log = stack.processes["airflow-worker"].output()
    for map_index in (0, 1):
        assert re.search(
            rf"Executing workload in Celery: .*run_id={re.escape(run_id)}/task_id=read_connection/"
            rf"map_index={map_index}/",
            worker_log,
        ), f"the worker did not execute read_connection[{map_index}]"

    # the API server fetches each read's log from the worker's log server (the worker keeps its own)
    log_server = f"http://{reads[0]['hostname']}:{stack.env['AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT']}/log/"
    for ti, conn_id in zip(reads, ("audiocodes_a", "audiocodes_b"), strict=True):
        log = stack.task_log(SYNC_DAG, run_id, "read_connection", ti["try_number"], ti["map_index"])
        assert log_server in log, log[:1000]
        assert f"Connection {conn_id}: " in log, log[-2000:]
        assert "numbers registered" in log
        for device in stack.devices.values():  # credentials never reach a log
            assert device.password not in log
    for device in stack.devices.values():
        assert device.password not in worker_log

    # the inventory: what the two devices register is Used / Device / AudioCodes
    run_day = logical.date()
    release = run_day + dt.timedelta(days=COOLING_DAYS)
    with local_db.connect(stack.inventory_dsn) as conn:
        rows = {
            r[0]: tuple(r[1:])
            for r in conn.execute(
                "SELECT number, status, usage, vendor, tag, release_date FROM number_inventory"
            )
        }
        reads_kept = conn.execute(
            "SELECT connection_id, state, numbers FROM audiocodes_read WHERE run_id = %s ORDER BY 1",
            (run_id,),
        ).fetchall()
        history = conn.execute(
            "SELECT count(*) FROM number_inventory_history WHERE run_id = %s", (run_id,)
        ).fetchone()[0]
    registered = {str(n) for n in range(1000, 1100)}  # 1000-1059 on a, 1050-1099 on b
    used = ("Used", "Device", "AudioCodes", None, None)
    assert {n for n, row in rows.items() if row == used} == registered - {"1010", "1020"}
    assert rows["1010"] == ("Used", "Device", "Microsoft", None, None)
    assert rows["1020"] == ("Reserved", None, None, None, None)
    assert rows["2000"] == (
        "Cooling",
        "Device",
        "AudioCodes",
        f"Cooling: {COOLING_DAYS} day(s) until release on {release}",
        release,
    )
    assert set(rows) == registered | {"2000"}
    assert reads_kept == [("audiocodes_a", "complete", 60), ("audiocodes_b", "complete", 50)]
    assert history == len(registered - {"1010", "1020"}) + 1  # one change per row that changed
