"""The history of the inventory: who wrote each change, and replaying it.

The DAGs record their own changes (``store.apply_changes``), with their run and reason; every other
write to ``number_inventory`` (an operator's ``UPDATE``, an ``INSERT`` or ``COPY`` of a new number
range, a ``DELETE``) is recorded by the triggers of migration ``0012``, with the database user and the
client's ``application_name``. A DAG transaction marks itself as the pipeline's so that the triggers
skip its statements and each change is recorded once; the triggers honour the mark only for a role
that may write the history itself (migration ``0017``), so a role that may not cannot hide its edits.
"""

from __future__ import annotations

import datetime as dt

import psycopg

from number_inventory.store.sql_files import sql

#: The transaction setting that marks a transaction's writes as the pipeline's own.
WRITER_SETTING = "number_inventory.writer"
#: The columns a replay of the history reproduces (``updated_at`` is not among them).
REPLAYED = ("number", "status", "usage", "vendor", "tag", "release_date")


def mark_pipeline_writes(conn: psycopg.Connection) -> None:
    """Inside the caller's transaction, until it ends: its writes to the inventory are the pipeline's,
    which records their history itself, so the triggers leave them alone. The mark is the
    transaction's own id, so a mark that outlives its transaction (a plain ``SET`` in a pooled
    session) matches no other transaction."""
    conn.execute(sql("history/mark_pipeline_writes"), {"name": WRITER_SETTING})


def replay(conn: psycopg.Connection) -> list[tuple]:
    """The inventory as the history says it is: for each number its latest change's after-values,
    numbers whose latest change deleted them left out; ``REPLAYED`` columns in number order."""
    return conn.execute(sql("history/history_replay")).fetchall()


def inventory(conn: psycopg.Connection) -> list[tuple]:
    """The ``REPLAYED`` columns of the inventory, in number order (to compare with :func:`replay`)."""
    return conn.execute(sql("history/history_inventory")).fetchall()


def replay_as_of(conn: psycopg.Connection, moment: dt.datetime) -> list[tuple]:
    """:func:`replay` up to ``moment``: the inventory as the history says it was just before then (each
    number's latest change with ``changed_at`` before ``moment``); what the daily report counts."""
    return conn.execute(sql("history/history_replay_before"), {"moment": moment}).fetchall()
