"""A read owns its stage (issue 12, hole 1), purge and promotion lock in one order, and any fault
inside ``finish_read`` records the read as failed. Real PostgreSQL, real HTTP against the bundled
device server, real threads and sessions."""

from __future__ import annotations

import datetime as dt
import threading
import time
from functools import partial

import psycopg
import pytest
import requests
from psycopg import sql as pgsql

from devtools import local_db
from number_inventory import pipeline, store
from number_inventory.device_apis.contract import Contract
from number_inventory.device_client import DeviceReadError, read_registered_users
from number_inventory.settings import MassRemovalGuard
from number_inventory.store import ReadRejected, RunInfo
from tests.conftest import PASSWORDS, read_stages

DAY1, DAY2 = dt.date(2026, 11, 2), dt.date(2026, 11, 3)
GUARD = MassRemovalGuard()


def read(conn, device, connection_id: str, run: RunInfo, *, password: str | None = None) -> dict:
    session = requests.Session()
    session.auth = ("admin", password or PASSWORDS[connection_id])
    contract = Contract(page_size=30, backoff_seconds=0.05, retries=0)
    return pipeline.read_connection(
        conn, partial(read_registered_users, session, device.url, contract), connection_id, run, guard=GUARD
    )


def kept_numbers(db, connection_id: str) -> int:
    return db.execute(
        "SELECT count(*) FROM audiocodes_registration WHERE connection_id = %s AND active", (connection_id,)
    ).fetchone()[0]


def read_states(db, connection_id: str) -> list[tuple[str, str | None]]:
    return db.execute(
        "SELECT state, error FROM audiocodes_read WHERE connection_id = %s ORDER BY read_id", (connection_id,)
    ).fetchall()


def wait_for(check, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def in_thread(target, *args) -> tuple[threading.Thread, dict]:
    """Run ``target(*args)`` in a thread; the result or the exception lands in the returned dict."""
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["result"] = target(*args)
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def test_a_read_abandoned_by_a_second_read_never_becomes_complete(db, pg, devices, monkeypatch):
    a = devices["audiocodes_a"]
    a.register_numbers(range(1000, 1300))  # 300 bindings: 10 pages of 30
    read(db, a, "audiocodes_a", RunInfo("test", "day1", DAY1))
    assert kept_numbers(db, "audiocodes_a") == 300

    # Every page is staged as it arrives, so read A has staged 90 bindings while it waits for page 3.
    monkeypatch.setattr(pipeline, "STAGE_BATCH", 30)
    staged: dict[int, int] = {}
    stage_bindings = store.stage_bindings

    def counted(conn, read_, items, plan=None):
        skipped = stage_bindings(conn, read_, items, plan)
        staged[read_.read_id] = read_.staged
        return skipped

    monkeypatch.setattr(store, "stage_bindings", counted)
    a.slow_page(3, 2.0, times=1)
    served = a.requests_served
    with local_db.connect(pg[1]) as conn_a:
        thread, outcome = in_thread(read, conn_a, a, "audiocodes_a", RunInfo("test", "day2-a", DAY2))
        wait_for(lambda: a.requests_served >= served + 3, 10, "read A to be inside page 3")
        wait_for(lambda: staged.get(2) == 90, 10, "read A to stage its first three pages")

        # Read B of the same connection starts (marking A abandoned) and fails at once.
        with pytest.raises(DeviceReadError, match="HTTP 401"):
            read(db, a, "audiocodes_a", RunInfo("test", "day2-b", DAY2), password="wrong")
        thread.join(30)
        assert read_stages(db) == 0  # read A dropped its stage when it found itself abandoned

    assert isinstance(outcome.get("error"), ReadRejected), outcome
    assert "abandoned" in str(outcome["error"])
    assert kept_numbers(db, "audiocodes_a") == 300  # the first read stays the kept one
    states = [state for state, _ in read_states(db, "audiocodes_a")]
    assert states == ["complete", "failed", "failed"]
    assert read_stages(db) == 0
    kept_read = db.execute("SELECT read_id FROM audiocodes_connection").fetchone()[0]
    assert kept_read == 1


def test_completeness_is_counted_from_what_is_staged(db, pg):
    run = RunInfo("test", "run", DAY1)
    first = store.StagedRead(store.begin_read(db, "a", run))
    store.stage_bindings(db, first, [(f"{n}@h", "status:1") for n in range(1000, 1010)])
    store.finish_read(db, first, "a", total=10, pages=1, guard=GUARD)

    read_ = store.StagedRead(store.begin_read(db, "a", run))
    store.stage_bindings(db, read_, [(f"{n}@h", "status:1") for n in range(1000, 1010)])
    # Part of this read's stage goes while it still runs (a stray statement in its own session: no
    # other session can see the stage, below).
    db.execute(
        pgsql.SQL("DELETE FROM {} WHERE number >= '1005'").format(
            pgsql.Identifier(f"audiocodes_stage_{read_.read_id}")
        )
    )
    with pytest.raises(ReadRejected, match="10 bindings with a number were staged, 5 are in the stage"):
        store.finish_read(db, read_, "a", total=10, pages=1, guard=GUARD)
    assert kept_numbers(db, "a") == 10
    assert [s for s, _ in read_states(db, "a")] == ["complete", "failed"]


def test_a_read_stages_where_no_other_session_sees_it_and_a_killed_reader_leaves_nothing(db, pg):
    run = RunInfo("test", "run", DAY1)
    reader = local_db.connect(pg[1])
    read_a = store.StagedRead(store.begin_read(reader, "a", run))
    store.stage_bindings(reader, read_a, [(f"{n}@h", "status:1") for n in range(1000, 1010)])
    # Another read, in parallel in a session of its own, neither sees nor can touch read A's rows.
    read_b = store.StagedRead(store.begin_read(db, "b", run))
    store.stage_bindings(db, read_b, [(f"{n}@h", "status:1") for n in range(2000, 2003)])
    stage_a = pgsql.Identifier(f"audiocodes_stage_{read_a.read_id}")
    with pytest.raises(psycopg.errors.UndefinedTable):
        db.execute(pgsql.SQL("DELETE FROM {}").format(stage_a))
    assert store.finish_read(db, read_b, "b", total=3, pages=1, guard=GUARD)["numbers"] == 3
    assert read_stages(db) == 1  # read A's, in its reader's session

    # Read A's worker is killed: its session ends, and its stage with it.
    db.execute("SELECT pg_terminate_backend(%s)", (reader.info.backend_pid,))
    wait_for(lambda: read_stages(db) == 0, 10, "the killed reader's stage to go")
    reader.close()
    # The read itself stays running until the next read of its connection (or a purge) fails it.
    assert read_states(db, "a") == [("running", None)]
    store.finish_read(
        db, store.StagedRead(store.begin_read(db, "a", run)), "a", total=0, pages=1, guard=GUARD
    )
    assert [state for state, _ in read_states(db, "a")] == ["failed", "complete"]
    assert (kept_numbers(db, "a"), kept_numbers(db, "b")) == (0, 3)


def test_a_failed_read_can_never_become_complete(db):
    run = RunInfo("test", "run", DAY1)
    read_ = store.StagedRead(store.begin_read(db, "a", run))
    store.stage_bindings(db, read_, [("1000@h", "status:1")])
    store.fail_read(db, read_.read_id, "the device went away")
    with pytest.raises(ReadRejected, match="no longer running"):
        store.finish_read(db, read_, "a", total=1, pages=1, guard=GUARD)
    assert read_states(db, "a") == [("failed", "the device went away")]
    assert kept_numbers(db, "a") == 0


def test_an_exception_inside_finish_read_records_the_read_as_failed(db, pg):
    run = RunInfo("test", "run", DAY1)
    read_ = store.StagedRead(store.begin_read(db, "a", run))
    store.stage_bindings(db, read_, [("1000@h", "status:1")])
    # A real fault: the kept registrations are locked by another session, and this one gives up.
    with local_db.connect(pg[1]) as blocker, blocker.transaction():
        blocker.execute("LOCK TABLE audiocodes_registration IN ACCESS EXCLUSIVE MODE")
        db.execute("SET lock_timeout = '300ms'")
        try:
            with pytest.raises(psycopg.errors.LockNotAvailable):
                store.finish_read(db, read_, "a", total=1, pages=1, guard=GUARD)
        finally:
            db.execute("RESET lock_timeout")
    [(state, error)] = read_states(db, "a")
    assert state == "failed"
    assert "LockNotAvailable" in error
    assert read_stages(db) == 0


def named(pg, name: str) -> psycopg.Connection:
    return local_db.connect(psycopg.conninfo.make_conninfo(pg[1], application_name=name))


def waiting_on_a_lock(db, name: str) -> bool:
    row = db.execute(
        "SELECT wait_event_type FROM pg_stat_activity WHERE application_name = %s", (name,)
    ).fetchone()
    return bool(row) and row[0] == "Lock"


def test_purge_and_a_concurrent_promotion_do_not_deadlock(db, pg):
    run = RunInfo("test", "run", DAY1)
    first = store.StagedRead(store.begin_read(db, "b", run))
    store.stage_bindings(db, first, [(f"{n}@h", "status:1") for n in range(1000, 1020)])
    store.finish_read(db, first, "b", total=20, pages=1, guard=GUARD)
    store.finish_read(db, _staged(db, "a", run, range(3000, 3001)), "a", total=1, pages=1, guard=GUARD)

    # The next read of b drops its last number (1019) and turns its first (1000) inactive.
    bindings = [("1000@h", "status:0")] + [(f"{n}@h", "status:1") for n in range(1001, 1019)]
    with named(pg, "test-promote") as promote_conn, named(pg, "test-purge") as purge_conn:
        promoting = store.StagedRead(store.begin_read(promote_conn, "b", run))
        store.stage_bindings(promote_conn, promoting, bindings)

        # A third session holds the kept registration of 1019, so each writer stops where its lock
        # order shows: the promotion holds b's connection row and waits for 1019; the purge then
        # starts and takes what it takes first.
        blocker = local_db.connect(pg[1])
        blocker.execute("BEGIN")
        blocker.execute(
            "SELECT 1 FROM audiocodes_registration WHERE connection_id = 'b' AND number = '1019' FOR UPDATE"
        )
        promotion, promoted = in_thread(
            lambda: store.finish_read(promote_conn, promoting, "b", total=19, pages=1, guard=GUARD)
        )
        wait_for(lambda: waiting_on_a_lock(db, "test-promote"), 10, "the promotion to wait for 1019")
        purge, purged = in_thread(
            lambda: pipeline.purge(purge_conn, RunInfo("purge", "purge-run", DAY2), "b", ["a"], 2)
        )
        wait_for(lambda: waiting_on_a_lock(db, "test-purge"), 10, "the purge to wait")
        blocker.execute("ROLLBACK")
        blocker.close()
        promotion.join(30)
        purge.join(30)

    assert "error" not in promoted, promoted.get("error")
    assert "error" not in purged, purged.get("error")
    assert promoted["result"]["state"] == "complete"
    assert purged["result"]["numbers"] == 18  # the promoted read's active numbers, then purged
    assert store.kept_connections(db) == {"a"}
    assert (
        db.execute("SELECT count(*) FROM audiocodes_registration WHERE connection_id = 'b'").fetchone()[0]
        == 0
    )


def _staged(db, connection_id: str, run: RunInfo, numbers) -> store.StagedRead:
    read_ = store.StagedRead(store.begin_read(db, connection_id, run))
    store.stage_bindings(db, read_, [(f"{n}@h", "status:1") for n in numbers])
    return read_
