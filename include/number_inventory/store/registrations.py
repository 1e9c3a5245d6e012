"""What the kept reads register: numbers by connection, connections no longer configured, configured
connections whose kept read is stale, purging a connection's kept read."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import psycopg

from number_inventory.batches import NumberRange
from number_inventory.columns import INVENTORY_COLUMNS
from number_inventory.store.copy_format import fetch_columns
from number_inventory.store.reads import abandon_reads
from number_inventory.store.runs import RunInfo
from number_inventory.store.sql_files import sql

if TYPE_CHECKING:  # pandas is imported where a frame is built: reads and schema checks do without it
    import pandas as pd


def registered_numbers(
    conn: psycopg.Connection,
    connection_ids: Iterable[str] | None = None,
    *,
    within: NumberRange | None = None,
) -> pd.Series:
    """Numbers registered (an active binding) in the kept read of any of ``connection_ids``; by
    default, of every kept read, configured or not (a connection dropped from the Variable keeps
    registering its numbers until it is purged). ``within``: only the numbers of one range (see
    ``batches``), of every kept read."""
    import pandas as pd

    if within is not None and not within.everything:
        if connection_ids is not None:
            raise ValueError("registered_numbers: a range is read from every kept read")
        frame = fetch_columns(conn, sql("sync/registered_numbers_in_range"), ["number"], within.params())
        return pd.Series(frame["number"].unique(), name="number", dtype="string")
    ids = None if connection_ids is None else list(connection_ids)
    frame = fetch_columns(conn, sql("sync/registered_numbers"), ["number"], {"connection_ids": ids})
    return pd.Series(frame["number"].unique(), name="number", dtype="string")


def unconfigured_connections(conn: psycopg.Connection, connection_ids: Iterable[str]) -> dict[str, int]:
    """Connections with a kept read that are not among ``connection_ids``, with how many numbers
    each kept read still registers."""
    rows = conn.execute(sql("daily/unconfigured_connections"), {"configured": list(connection_ids)})
    return dict(rows.fetchall())


def stale_connections(
    conn: psycopg.Connection, connection_ids: Iterable[str], now: dt.datetime | None, max_age: dt.timedelta
) -> list[tuple[str, dt.datetime | None, dt.timedelta | None, int]]:
    """``(connection, read_at, age, numbers)`` for each of ``connection_ids`` whose kept read
    completed before ``now - max_age`` (``now``: the project's clock, default the database's
    ``now()``), or that has none (``read_at`` and ``age`` are ``None``), with how many Used numbers
    its kept read still registers."""
    rows = conn.execute(
        sql("daily/stale_connections"), {"configured": list(connection_ids), "now": now, "max_age": max_age}
    )
    return [tuple(r) for r in rows]


def last_seen_on(
    conn: psycopg.Connection, numbers: Sequence[str], connection_ids: Sequence[str]
) -> list[tuple[str, str]]:
    """``(number, connection)`` for each of ``numbers`` (cooling, due for release) last seen on one
    of ``connection_ids``: the connections whose kept read still holds it, else those it left in the
    run of its latest departure (``daily/last_seen_on_stale.sql``)."""
    if not numbers or not connection_ids:
        return []
    rows = conn.execute(
        sql("daily/last_seen_on_stale"), {"numbers": list(numbers), "stale": list(connection_ids)}
    )
    return [tuple(r) for r in rows]


def purge_connection(conn: psycopg.Connection, connection_id: str, run: RunInfo | None = None) -> int:
    """Inside the caller's transaction: drop a connection's kept read; return how many numbers it
    registered. They stay, until commit, in a temporary table that :func:`purged_numbers` and
    :func:`load_purged_inventory` read one number range at a time, so that a purge never holds
    them all (nor the inventory) in memory.

    Reads of the connection still running are marked failed first, so none of them can become its
    kept read afterwards. Locks in ``finish_read``'s order: reads, the connection's row, its
    registrations (a promotion of the same connection under way is waited for, then purged too).
    """
    abandon_reads(conn, connection_id, "abandoned: the connection was purged")
    conn.execute(sql("purge/lock_connection"), {"connection_id": connection_id})
    conn.execute(sql("purge/create_purged_table"))
    count = conn.execute(sql("purge/stage_purged_numbers"), {"connection_id": connection_id}).rowcount
    conn.execute(sql("purge/analyze_purged_table"))
    # "Last seen on" (the view's cooling queue): its numbers left the connection with this purge.
    conn.execute(
        sql("purge/record_purge_departures"), {"connection_id": connection_id, "run_id": run and run.run_id}
    )
    conn.execute(sql("purge/delete_registrations"), {"connection_id": connection_id})
    conn.execute(sql("purge/delete_connection"), {"connection_id": connection_id})
    return count


def purged_numbers(conn: psycopg.Connection, within: NumberRange) -> pd.DataFrame:
    """Inside the purge's transaction, after :func:`purge_connection`: the purged numbers of one
    range (see ``batches``), a frame of ``number`` and ``elsewhere`` (a boolean: the kept read of
    another connection, configured or not, still registers it)."""
    frame = fetch_columns(
        conn, sql("purge/purged_numbers_in_range"), ["number", "elsewhere"], within.params()
    )
    return frame.assign(elsewhere=(frame["elsewhere"] == "t").astype(bool))


def load_purged_inventory(conn: psycopg.Connection, within: NumberRange) -> pd.DataFrame:
    """Inside the purge's transaction, after :func:`purge_connection`: the inventory rows of the
    purged numbers of one range, as an inventory frame (see ``transitions``)."""
    return fetch_columns(
        conn, sql("purge/load_purged_inventory_in_range"), INVENTORY_COLUMNS, within.params()
    )


def registering_connections(conn: psycopg.Connection, numbers: Sequence[str]) -> list[tuple[str, str]]:
    """``(number, connection_id)`` for each kept read that registers one of ``numbers``."""
    return [tuple(r) for r in conn.execute(sql("sync/registering_connections"), {"numbers": list(numbers)})]
