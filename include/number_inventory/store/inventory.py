"""The inventory table: its lock, loading it, and writing planned changes with their history."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import psycopg

from number_inventory import history
from number_inventory.batches import NumberRange
from number_inventory.columns import CHANGE_COLUMNS, INVENTORY_COLUMNS
from number_inventory.store.bulk_load import deferred_indexes, setting
from number_inventory.store.copy_format import copy_in, fetch_columns
from number_inventory.store.runs import RunInfo
from number_inventory.store.sql_files import sql

if TYPE_CHECKING:  # pandas is imported where a frame is built: reads and schema checks do without it
    import pandas as pd

# pg_advisory_xact_lock key: every inventory write holds it (migrations hold ``MIGRATION_LOCK``).
INVENTORY_LOCK = 7_301_001
#: The statements that insert new numbers, in order (see ``sync/apply_inserts_skip_existing.sql``).
APPLY_INSERTS = (
    "sync/apply_inserts_skip_existing",
    "sync/apply_inserts_numbers",
    "sync/apply_inserts_history",
)
#: ``work_mem`` of the transactions that sort, hash and join whole reads and the whole inventory, so
#: that a million rows are handled in memory instead of spilling to disk (the server default is 4MB).
WORK_MEM = "128MB"
#: How ``sync/apply_updates.sql`` finds the rows it updates: each planned change, in number order, looked
#: up in the primary key (a nested loop of index scans). The planner would rather hash the changes
#: and scan the whole number range for them (ten times the rows, when a tenth of them change), which
#: at ten million cost a third more: the scan evicted from ``shared_buffers`` the index pages the
#: update writes. Its statistics of the changes are then not needed either.
UPDATE_PLAN = (("enable_hashjoin", "off"), ("enable_mergejoin", "off"), ("enable_bitmapscan", "off"))


def tune_transaction(conn: psycopg.Connection) -> None:
    """Inside the caller's transaction, until commit: ``WORK_MEM``, and no JIT compilation (which
    costs more than it saves on these scans, joins and aggregates)."""
    conn.execute(sql("sync/tune_transaction"), {"work_mem": WORK_MEM})


def lock_inventory(conn: psycopg.Connection) -> None:
    """Inside the caller's transaction: wait for, then hold, the inventory write lock until commit, so
    concurrent runs (sync, daily, purge, backfills) never interleave their writes."""
    conn.execute(sql("runs/advisory_lock"), {"key": INVENTORY_LOCK})


def load_inventory(conn: psycopg.Connection, within: NumberRange | None = None) -> pd.DataFrame:
    """The inventory as an inventory frame (see ``transitions``): all of it, or the numbers of one
    range (see ``batches``)."""
    if within is None or within.everything:
        return fetch_columns(conn, sql("sync/load_inventory"), INVENTORY_COLUMNS)
    return fetch_columns(conn, sql("sync/load_inventory_in_range"), INVENTORY_COLUMNS, within.params())


@dataclass(frozen=True)
class RangeCandidates:
    """What a reconcile plans one number range from (see :func:`load_sync_candidates` and
    :func:`load_daily_candidates`)."""

    #: The inventory rows the transition table can change or report (an inventory frame).
    inventory: pd.DataFrame
    #: The registered numbers among them, and those not in the inventory.
    registered: pd.Series
    #: The range's inventory rows and distinct registered numbers, all of them.
    inventory_rows: int
    registered_numbers: int


def load_sync_candidates(conn: psycopg.Connection, within: NumberRange | None = None) -> RangeCandidates:
    """The rows of one number range (all of them: ``None``) that the sync's transition table can
    change or report, selected in the database (``transitions.sync_candidates`` in pandas): in a
    steady state a few in a hundred, so the fixed points are neither sent nor planned."""
    return _load_candidates(conn, within, daily=False)


def load_daily_candidates(conn: psycopg.Connection, within: NumberRange | None = None) -> RangeCandidates:
    """The rows of one number range that the daily run's release and audit can change or report
    (``transitions.daily_candidates`` in pandas): the sync's, every AudioCodes row that is not Used,
    vendors that may be AudioCodes spelled otherwise, and both spellings of a number."""
    return _load_candidates(conn, within, daily=True)


def _load_candidates(conn: psycopg.Connection, within: NumberRange | None, *, daily: bool) -> RangeCandidates:
    within = within or NumberRange()
    # Two ordered index-only scans merged cost a fraction of hashing a million numbers, and need no
    # memory; the planner, not knowing that only a few rows come out, would hash.
    with (
        conn.transaction(),
        setting(conn, "enable_hashjoin", "off"),
        setting(conn, "enable_hashagg", "off"),
        conn.cursor(binary=True) as cursor,
    ):
        row = cursor.execute(sql("sync/candidates_in_range"), {**within.params(), "daily": daily}).fetchone()
    inventory_rows, registered_numbers, missing, *columns = row
    import pandas as pd

    def split(joined: bytes | None) -> pd.Series:
        return pd.Series([] if joined is None else bytes(joined).decode().split("\x00"), dtype="string")

    names = ("number", "registered", *INVENTORY_COLUMNS[1:])
    frame = pd.DataFrame({name: split(joined) for name, joined in zip(names, columns, strict=True)})
    registered = frame.loc[frame["registered"] == "t", "number"]
    return RangeCandidates(
        inventory=frame[list(INVENTORY_COLUMNS)],
        registered=pd.concat([registered, split(missing)], ignore_index=True).rename("number"),
        inventory_rows=inventory_rows,
        registered_numbers=registered_numbers,
    )


def apply_changes(conn: psycopg.Connection, changes: pd.DataFrame, run: RunInfo) -> int:
    """Inside the caller's transaction: write ``changes`` and their history; return rows written.

    Rows changed by someone else since they were loaded are left alone (and not counted).
    """
    if changes.empty:
        return 0
    writer = ChangeWriter(conn, run)
    writer.write(changes)
    return writer.finish()


class ChangeWriter:
    """Inside the caller's transaction: write the changes of a reconcile that plans batch by batch
    (see ``batches``); :func:`apply_changes` is the one-batch case.

    Each batch's updates are applied at once (compare and set, with their history), looked up in
    the batch's number range of the table only; its new numbers are kept in a temporary table and
    inserted together by :meth:`finish`, so a first load of ten million numbers still builds its
    indexes once (see ``deferred_indexes``). Batches must not share a number.
    """

    def __init__(self, conn: psycopg.Connection, run: RunInfo) -> None:
        self.conn, self.run = conn, run
        self.written = 0
        self.new = 0
        history.mark_pipeline_writes(conn)  # recorded here, once: the history triggers skip these writes

    def write(self, changes: pd.DataFrame, within: NumberRange | None = None) -> None:
        """Write one batch's ``changes``, all of whose numbers lie in ``within`` (default: anywhere)."""
        if changes.empty:
            return
        if not changes["number"].is_unique:
            raise ValueError("a plan names a number more than once; nothing was written")
        within = within or NumberRange()
        if not within.everything and not within.contains(changes["number"]).all():
            raise ValueError(f"a plan names a number outside its range {within}; nothing was written")
        updates, new = changes[~changes["is_new"]], changes[changes["is_new"]]
        conn = self.conn
        if len(updates):
            conn.execute(sql("sync/create_change_table"))
            copy_in(conn, "inventory_change", updates[list(CHANGE_COLUMNS)])
            params = {**self.run.params(), **within.params()}
            with contextlib.ExitStack() as stack:
                for name, value in UPDATE_PLAN:
                    stack.enter_context(setting(conn, name, value))
                self.written += conn.execute(sql("sync/apply_updates"), params).rowcount
            conn.execute(sql("sync/drop_change_table"))
        if len(new):
            if not self.new:
                conn.execute(sql("sync/create_change_table"))
                conn.execute(sql("sync/park_new_changes"))
            copy_in(conn, "inventory_new_change", new[list(CHANGE_COLUMNS)])
            self.new += len(new)

    def finish(self) -> int:
        """Insert the new numbers of every batch; return the rows written in all."""
        if self.new:
            conn = self.conn
            conn.execute(sql("sync/unpark_new_changes"))
            conn.execute(sql("sync/analyze_change_table"))
            self.written += _insert_new(conn, self.run, self.new)
            conn.execute(sql("sync/drop_change_table"))
            self.new = 0
        return self.written


def _insert_new(conn: psycopg.Connection, run: RunInfo, count: int) -> int:
    """Insert the ``count`` new numbers of ``inventory_change`` with their history; return how many."""
    try:
        with (
            conn.transaction(),
            deferred_indexes(conn, "number_inventory", count),
            deferred_indexes(conn, "number_inventory_history", count),
        ):
            last = None
            for name in APPLY_INSERTS:
                last = conn.execute(sql(name), run.params())
            return last.rowcount
    except psycopg.errors.UniqueViolation:
        # Someone inserted one of these numbers while we did: the savepoint undid our part.
        return conn.execute(sql("sync/apply_inserts_on_conflict"), run.params()).rowcount


def load_numbers(conn: psycopg.Connection, numbers: Sequence[str]) -> pd.DataFrame:
    """The inventory rows of ``numbers`` as an inventory frame; numbers not in the inventory are missing."""
    found = conn.execute(sql("sync/load_numbers"), {"numbers": list(numbers)}).fetchall()
    import pandas as pd

    return pd.DataFrame(
        {name: pd.Series([r[i] for r in found], dtype="string") for i, name in enumerate(INVENTORY_COLUMNS)}
    )
