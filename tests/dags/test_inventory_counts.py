"""The counts the Number Inventory view's summary reads (migration 0015) are kept by the database for
every writer: the DAGs (whose own history rows the history triggers leave to them, but whose counts
they must not skip), hand INSERT, UPDATE, DELETE, COPY, a renumbering, an upsert and TRUNCATE. After
each step they equal a ``GROUP BY`` of the inventory. Writers do not wait for one another on them."""

from __future__ import annotations

import psycopg
import pytest

from number_inventory import history
from number_inventory.store import sql
from tests.dags.helpers import D

pytestmark = pytest.mark.dag

SYNC, DAILY, PURGE, ACTION = (
    "audiocodes_number_sync",
    "number_inventory_daily",
    "audiocodes_connection_purge",
    "number_inventory_action",
)


@pytest.fixture
def operator(pg):
    """An operator's own session: plain SQL."""
    conn = psycopg.connect(pg[1], autocommit=True, application_name="ops-console")
    yield conn
    conn.close()


def kept(db) -> dict[tuple[str, str], int]:
    """The counts as the view reads them."""
    return {(vendor, status): n for vendor, status, n in db.execute(sql("view/status_counts"))}


def counted(db) -> dict[tuple[str, str], int]:
    """The counts as a scan of the inventory finds them."""
    rows = db.execute(
        "SELECT coalesce(vendor, ''), status, count(*) FROM number_inventory GROUP BY 1, 2"
    ).fetchall()
    return {(vendor, status): n for vendor, status, n in rows}


def test_the_counts_follow_every_writer(db, devices, run_dag, operator, monkeypatch):
    monkeypatch.setenv("AIRFLOW_VAR_AUDIOCODES_MAX_READ_AGE_HOURS", "72")
    a, b = devices["audiocodes_a"], devices["audiocodes_b"]
    a.register_numbers(range(1000, 1010))
    b.register_numbers(range(1010, 1020))
    assert run_dag(SYNC, D(2026, 11, 2))[0] == "success"
    assert kept(db) == counted(db) == {("AudioCodes", "Used"): 20}

    # A range loaded by hand with INSERT and with COPY, then a sync that cools four numbers.
    operator.execute(
        "INSERT INTO number_inventory (number) SELECT g::text FROM generate_series(2000, 2009) AS g"
    )
    with operator.cursor().copy("COPY number_inventory (number, status, vendor) FROM STDIN") as copy:
        for n in range(2100, 2105):
            copy.write_row((str(n), "Reserved", "Microsoft" if n % 2 else None))
    for n in range(1000, 1004):
        a.unregister(str(n))
    assert run_dag(SYNC, D(2026, 11, 3))[0] == "success"
    assert kept(db) == counted(db)
    assert counted(db)[("AudioCodes", "Cooling")] == 4

    # Hand edits in one transaction: a status change, a renumbering, a vendor change, a DELETE; an
    # upsert; an update that changes neither vendor nor status.
    with operator.transaction():
        operator.execute("UPDATE number_inventory SET status = 'Reserved', tag = 'CEO' WHERE number = '2000'")
        operator.execute("UPDATE number_inventory SET number = '2019' WHERE number = '2009'")
        operator.execute("UPDATE number_inventory SET vendor = 'Microsoft' WHERE number = '2100'")
        operator.execute("DELETE FROM number_inventory WHERE number IN ('2008', '2104', '1010')")
    operator.execute(
        "INSERT INTO number_inventory (number, status) VALUES ('2001', 'Used-Utility'), ('2200', 'Available') "
        "ON CONFLICT (number) DO UPDATE SET status = excluded.status"
    )
    operator.execute("UPDATE number_inventory SET tag = 'lab' WHERE number LIKE '21%'")
    assert kept(db) == counted(db)

    # The DAGs again: a manual action, the daily release, a purge that cools a connection's numbers.
    form = {"reason": "INC-1: port-out"}
    assert run_dag(ACTION, D(2026, 11, 4), action="release_now", numbers=["1000"], **form)[0] == "success"
    assert kept(db) == counted(db)
    assert run_dag(DAILY, D(2026, 11, 5))[0] == "success"
    assert kept(db) == counted(db)
    assert counted(db)[("", "Available")] == 4 + 8  # 1000-1003 released, 2002-2007 and 2019, 2200
    confirm = {"connection_id": "audiocodes_b", "confirm": "audiocodes_b"}
    assert run_dag(PURGE, D(2026, 11, 5), **confirm)[0] == "success"
    assert kept(db) == counted(db)
    assert counted(db)[("AudioCodes", "Cooling")] == 10  # 1010-1019 (the audit put 1010 back)

    operator.execute("TRUNCATE number_inventory")
    assert kept(db) == counted(db) == {}
    operator.execute("INSERT INTO number_inventory (number) VALUES ('3000')")
    assert kept(db) == counted(db) == {("", "Available"): 1}


def test_writers_do_not_wait_for_each_other_on_the_counts(db, pg):
    """A long transaction that folded the counts holds their rows until it ends; a second writer
    still writes at once (it only appends), and the counts are right whichever commits first."""
    first, second = (psycopg.connect(pg[1], autocommit=True) for _ in range(2))
    try:
        second.execute("SET lock_timeout = '2s'")  # a wait on the first would fail the test
        first.execute("INSERT INTO number_inventory (number) VALUES ('0')")  # a committed count to fold
        with first.transaction():
            first.execute(
                "INSERT INTO number_inventory (number) SELECT g::text FROM generate_series(1, 100) AS g"
            )
            second.execute("INSERT INTO number_inventory (number, status) VALUES ('500', 'Reserved')")
            with second.transaction():
                second.execute("UPDATE number_inventory SET status = 'Used' WHERE number = '500'")
                second.execute("DELETE FROM number_inventory WHERE number = '500'")
            second.execute("INSERT INTO number_inventory (number, status) VALUES ('501', 'Reserved')")
            assert kept(db) == counted(db) == {("", "Available"): 1, ("", "Reserved"): 1}
        assert kept(db) == counted(db) == {("", "Available"): 101, ("", "Reserved"): 1}

        # A REPEATABLE READ writer appends without folding; the next READ COMMITTED write folds.
        with first.transaction():
            first.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            first.execute("UPDATE number_inventory SET status = 'Used' WHERE number = '1'")
        second.execute("UPDATE number_inventory SET status = 'Used' WHERE number = '2'")
        assert kept(db) == counted(db) == {("", "Available"): 99, ("", "Used"): 2, ("", "Reserved"): 1}
        # Folded: the latest quarter hour holds one row per vendor and status.
        rows, groups = db.execute(
            "SELECT count(*), count(DISTINCT (vendor, status)) FROM number_inventory_count "
            "WHERE changed_at = (SELECT max(changed_at) FROM number_inventory_count)"
        ).fetchone()
        assert rows == groups
    finally:
        first.close()
        second.close()


@pytest.mark.parametrize("isolation", ["REPEATABLE READ", "SERIALIZABLE"])
def test_a_truncate_that_could_miscount_is_refused_and_changes_nothing(db, pg, isolation):
    """TRUNCATE removes every row, also those committed after a REPEATABLE READ or SERIALIZABLE
    transaction took its snapshot, which that transaction's triggers (the counts, the history) cannot
    see: it is refused with a clear error, and the inventory and its counts stay as they were. Under
    READ COMMITTED (the default) the triggers see every row the TRUNCATE removes."""
    truncating, writer = (psycopg.connect(pg[1], autocommit=True) for _ in range(2))
    try:
        writer.execute("INSERT INTO number_inventory (number) SELECT g::text FROM generate_series(1, 5) AS g")
        refusal = f"refused in a {isolation} transaction"
        with pytest.raises(psycopg.errors.RaiseException, match=refusal) as refused, truncating.transaction():
            truncating.execute(f"SET TRANSACTION ISOLATION LEVEL {isolation}")
            assert truncating.execute("SELECT count(*) FROM number_inventory").fetchone()[0] == 5
            # Committed after the snapshot: unseen by this transaction, but TRUNCATE removes it.
            writer.execute("INSERT INTO number_inventory (number, status) VALUES ('6', 'Reserved')")
            truncating.execute("TRUNCATE number_inventory")
        assert "DELETE" in (refused.value.diag.message_hint or "")
        assert kept(db) == counted(db) == {("", "Available"): 5, ("", "Reserved"): 1}

        # The same TRUNCATE under READ COMMITTED, with a writer committing just before it.
        with truncating.transaction():
            truncating.execute("SELECT count(*) FROM number_inventory")
            writer.execute("INSERT INTO number_inventory (number) VALUES ('7')")
            truncating.execute("TRUNCATE number_inventory")
        assert kept(db) == counted(db) == {}
        assert history.replay(db) == history.inventory(db) == []
    finally:
        truncating.close()
        writer.close()
