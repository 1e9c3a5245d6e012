"""The PostgreSQL side: schema migrations, staged reads, set-based writes and the history.

Functions take a psycopg 3 connection (what ``PostgresHook.get_conn()`` returns, or
``psycopg.connect``) in autocommit mode and open their own transactions, except the ones that say
they run inside the caller's. Bulk data moves with ``COPY``; text from devices reaches SQL only as
COPY data or bound parameters. Every statement is a file under ``include/sql/``.

One module per concern; callers use them through this package (``store.apply_changes``):

- ``sql_files``: the SQL loader.
- ``migrations``: the schema migrations under ``include/sql/migrations/``.
- ``copy_format``: COPY's text format in, NUL-joined column aggregates out.
- ``bulk_load``: dropping and rebuilding a table's indexes around a bulk insert.
- ``inventory``: the inventory lock, loading the inventory, applying changes with their history.
- ``ranges``: the number ranges a reconcile plans by (see ``number_inventory.batches``).
- ``runs``: ``RunInfo`` and the record of processed run days.
- ``findings``: the audit's findings.
- ``reads``: staging, checking and keeping a device read.
- ``registrations``: what the kept reads register, and purging a connection's kept read.
- ``blocks``: adding, removing and importing blocks of numbers (``number_blocks``) in bulk.
- ``canonical``: moving the inventory to a connection's dial plan (``canonicalise_numbers``).
"""

from __future__ import annotations

from number_inventory.store.bulk_load import deferred_indexes
from number_inventory.store.canonical import canonical_rows, numbers_to_canonicalise, write_canonical
from number_inventory.store.findings import record_connection_findings, record_findings
from number_inventory.store.inventory import (
    ChangeWriter,
    RangeCandidates,
    apply_changes,
    load_daily_candidates,
    load_inventory,
    load_numbers,
    load_sync_candidates,
    lock_inventory,
    tune_transaction,
)
from number_inventory.store.migrations import MIGRATIONS_DIR, migrate, pending_migrations
from number_inventory.store.ranges import number_ranges
from number_inventory.store.reads import (
    SKIPPED_SAMPLES,
    ReadRejected,
    StagedRead,
    abandon_reads,
    begin_read,
    fail_read,
    finish_read,
    kept_connections,
    latest_read_at,
    reads_of_run,
    reset_read,
    stage_bindings,
)
from number_inventory.store.registrations import (
    last_seen_on,
    load_purged_inventory,
    purge_connection,
    purged_numbers,
    registered_numbers,
    registering_connections,
    stale_connections,
    unconfigured_connections,
)
from number_inventory.store.runs import RunInfo, latest_run_day, record_run
from number_inventory.store.sql_files import sql

__all__ = [
    "MIGRATIONS_DIR",
    "SKIPPED_SAMPLES",
    "ChangeWriter",
    "RangeCandidates",
    "ReadRejected",
    "RunInfo",
    "StagedRead",
    "abandon_reads",
    "apply_changes",
    "begin_read",
    "canonical_rows",
    "deferred_indexes",
    "fail_read",
    "finish_read",
    "kept_connections",
    "last_seen_on",
    "latest_read_at",
    "latest_run_day",
    "load_daily_candidates",
    "load_inventory",
    "load_numbers",
    "load_purged_inventory",
    "load_sync_candidates",
    "lock_inventory",
    "migrate",
    "number_ranges",
    "numbers_to_canonicalise",
    "pending_migrations",
    "purge_connection",
    "purged_numbers",
    "reads_of_run",
    "record_connection_findings",
    "record_findings",
    "record_run",
    "registered_numbers",
    "registering_connections",
    "reset_read",
    "sql",
    "stage_bindings",
    "stale_connections",
    "tune_transaction",
    "unconfigured_connections",
    "write_canonical",
]
