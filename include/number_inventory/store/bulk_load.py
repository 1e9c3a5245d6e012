"""Bulk inserts that drop a table's indexes and build them again afterwards."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator

import psycopg
from psycopg import sql as pgsql

from number_inventory.store.sql_files import sql

log = logging.getLogger(__name__)

#: A bulk insert (see :func:`deferred_indexes`) of at least this many rows, and at least as many as
#: the table holds, drops the table's indexes and builds them again afterwards.
BULK_ROWS = 50_000
#: ``maintenance_work_mem`` while building those indexes (the server default is 64MB).
MAINTENANCE_WORK_MEM = "256MB"
#: How long a bulk insert waits for readers of the table (the Number Inventory view, say) to let go
#: of it before it inserts with the indexes in place instead.
BULK_LOCK_WAIT = "3s"


@contextlib.contextmanager
def deferred_indexes(conn: psycopg.Connection, table: str, rows: int) -> Iterator[bool]:
    """Inside the caller's transaction: around an insert of ``rows`` rows into ``table``, when that is
    a bulk load (at least :data:`BULK_ROWS`, and at least as many rows as the table holds), drop the
    table's indexes and build them again once the body is done. Building an index over a million
    rows costs a fraction of maintaining it row by row (PostgreSQL's advice for populating a table).

    Keys are built again too, so a duplicate still fails, at the build (a ``UniqueViolation``, as it
    would have at the insert); keys that foreign keys refer to stay. Dropping an index takes the
    table's ACCESS EXCLUSIVE lock: readers wait until the transaction commits, and nobody can write
    the table in between. If readers hold the table for :data:`BULK_LOCK_WAIT`, the insert keeps the
    indexes. Should the body fail, rolling back the transaction (or savepoint) brings the indexes
    back. Yields whether the indexes were dropped.
    """
    held = conn.execute(sql("bulk_load/table_rows"), {"table": table}).fetchone()[0]
    if rows < max(BULK_ROWS, held):
        yield False
        return
    if not _owns(conn, table):
        # Dropping an index takes the table's owner; a role that may only write inserts with them.
        yield False
        return
    if not _lock_exclusive(conn, table):
        log.info("%s is in use: inserting %d rows with its indexes in place", table, rows)
        yield False
        return
    indexes = conn.execute(sql("bulk_load/deferrable_indexes"), {"table": table}).fetchall()
    for drop, _ in indexes:
        conn.execute(drop)
    yield True
    started = time.perf_counter()
    with setting(conn, "maintenance_work_mem", MAINTENANCE_WORK_MEM):
        for _, build in indexes:
            conn.execute(build)
    log.info(
        "%s: bulk insert of %d rows, its %d indexes built afterwards in %.1f s",
        table,
        rows,
        len(indexes),
        time.perf_counter() - started,
    )


def _owns(conn: psycopg.Connection, table: str) -> bool:
    """Whether the current role owns ``table`` (or is a member of its owner)."""
    return conn.execute(sql("bulk_load/owns_table"), {"table": table}).fetchone()[0]


def _lock_exclusive(conn: psycopg.Connection, table: str) -> bool:
    """Inside the caller's transaction: take ``table``'s ACCESS EXCLUSIVE lock, waiting at most
    :data:`BULK_LOCK_WAIT`; whether it was taken."""
    try:
        with conn.transaction(), setting(conn, "lock_timeout", BULK_LOCK_WAIT):
            conn.execute(
                pgsql.SQL(sql("bulk_load/lock_table_exclusive")).format(table=pgsql.Identifier(table))
            )
        return True
    except psycopg.errors.LockNotAvailable:
        return False


@contextlib.contextmanager
def setting(conn: psycopg.Connection, name: str, value: str) -> Iterator[None]:
    """Inside the caller's transaction: the server setting ``name`` at ``value`` while inside, then
    back to what it was. On an error the caller's rollback (of the transaction or savepoint it runs
    in) undoes the setting, so it is not restored here."""
    previous = conn.execute(sql("bulk_load/current_setting"), {"name": name}).fetchone()[0]
    conn.execute(sql("bulk_load/set_local_setting"), {"name": name, "value": value})
    yield
    conn.execute(sql("bulk_load/set_local_setting"), {"name": name, "value": previous})
