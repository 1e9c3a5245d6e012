"""A worker killed in the middle of the reconcile's transaction leaves the inventory exactly as it
was, and the next run converges to what an uninterrupted run gives. Real PostgreSQL, real HTTP."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap
import time
from functools import partial

import psycopg
import requests

from number_inventory import pipeline, store, transitions
from number_inventory.device_apis.contract import Contract
from number_inventory.device_client import read_registered_users
from number_inventory.settings import MassRemovalGuard
from number_inventory.store import RunInfo
from tests.conftest import PASSWORDS, ROOT

CONNECTIONS = ["audiocodes_a", "audiocodes_b"]


def read_all(db, devices, run: RunInfo) -> None:
    for connection_id, device in devices.items():
        session = requests.Session()
        session.auth = ("admin", PASSWORDS[connection_id])
        pipeline.read_connection(
            db,
            partial(read_registered_users, session, device.url, Contract(page_size=30, backoff_seconds=0.05)),
            connection_id,
            run,
            guard=MassRemovalGuard(),
        )


def snapshot(db):
    inventory = store.load_inventory(db).sort_values("number").reset_index(drop=True)
    history = db.execute("SELECT count(*) FROM number_inventory_history").fetchone()[0]
    return inventory, history


SYNC_IN_A_CHILD = textwrap.dedent(
    """
    import datetime as dt, sys
    from devtools import local_db
    from number_inventory import pipeline, store
    conn = local_db.connect(sys.argv[1])
    pipeline.sync(conn, store.RunInfo("crash", "crash-run", dt.date(2026, 11, 3)), ["audiocodes_a", "audiocodes_b"], 2)
    print("committed")
    """
)


def wait_for(check, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_killed_reconcile_changes_nothing_and_the_rerun_converges(db, pg, devices):
    a, b = devices["audiocodes_a"], devices["audiocodes_b"]
    a.register_numbers(range(1000, 1100))
    b.register_numbers(range(2000, 2100))
    day1, day2 = dt.date(2026, 11, 2), dt.date(2026, 11, 3)
    read_all(db, devices, RunInfo("test", "day1", day1))
    pipeline.sync(db, RunInfo("test", "day1", day1), CONNECTIONS, 2)

    for n in range(1000, 1050):
        a.unregister(str(n))
    a.register_numbers(range(1100, 1150))
    read_all(db, devices, RunInfo("test", "day2", day2))
    before, history_before = snapshot(db)
    registered = store.registered_numbers(db, CONNECTIONS)
    plan = transitions.plan_sync(store.load_inventory(db), registered, day2, 2)
    expected = transitions.apply_to_frame(store.load_inventory(db), plan.changes)
    assert len(plan.changes) == 100  # 50 to cool, 50 to insert: the child's transaction has work to lose

    # Hold back the sync's last statement (recording the run) so the child is caught mid-transaction,
    # after its inventory writes.
    locker = psycopg.connect(pg[1])
    locker.execute("LOCK TABLE inventory_run IN SHARE MODE")
    child_dsn = psycopg.conninfo.make_conninfo(pg[1], application_name="number-inventory-crash")
    child = subprocess.Popen(
        [sys.executable, "-c", SYNC_IN_A_CHILD, child_dsn], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        waiting = wait_for(
            lambda: db.execute(
                "SELECT query FROM pg_stat_activity WHERE application_name = 'number-inventory-crash' "
                "AND wait_event_type = 'Lock'"
            ).fetchone(),
            60,
            "the child to block inside its transaction",
        )
        assert "inventory_run" in waiting[0]
        uncommitted = db.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity s USING (pid) "
            "WHERE s.application_name = 'number-inventory-crash' AND l.relation = 'number_inventory'::regclass "
            "AND l.mode = 'RowExclusiveLock' AND l.granted"
        ).fetchone()[0]
        assert uncommitted == 1  # it has written to the inventory, not committed
        child.kill()
        child.wait(timeout=30)
    finally:
        locker.rollback()
        locker.close()
        if child.poll() is None:
            child.kill()
    wait_for(
        lambda: (
            not db.execute(
                "SELECT 1 FROM pg_stat_activity WHERE application_name = 'number-inventory-crash'"
            ).fetchone()
        ),
        30,
        "the killed child's session to end",
    )
    assert "committed" not in (child.stdout.read() if child.stdout else "")

    after_crash, history_after_crash = snapshot(db)
    assert after_crash.equals(before) and history_after_crash == history_before

    summary = pipeline.sync(db, RunInfo("test", "day2-rerun", day2), CONNECTIONS, 2)
    assert summary["written"] == 100
    final, _ = snapshot(db)
    assert final.equals(expected.sort_values("number").reset_index(drop=True).astype(final.dtypes))
