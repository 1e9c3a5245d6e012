"""Schema migrations: the files under ``include/sql/migrations/``, applied once each, in order."""

from __future__ import annotations

from pathlib import Path

import psycopg

from number_inventory.store.sql_files import SQL_DIR, sql

MIGRATIONS_DIR = SQL_DIR / "migrations"
# pg_advisory_xact_lock key of migrations (the inventory's own is ``inventory.INVENTORY_LOCK``).
MIGRATION_LOCK = 7_301_002


def pending_migrations(conn: psycopg.Connection) -> list[str]:
    """The migrations this version ships that the database has not applied, in order; reads only."""
    return [path.stem for path in _pending(conn)]


def _pending(conn: psycopg.Connection) -> list[Path]:
    from number_inventory import schema

    done = schema.applied(conn)
    return [path for path in sorted(MIGRATIONS_DIR.glob("*.sql")) if path.stem not in done]


def migrate(conn: psycopg.Connection) -> list[str]:
    """Apply the migrations under ``include/sql/migrations`` not yet applied, once, in order, in one
    transaction; return their names.

    Which are pending is asked with a plain ``SELECT`` first, so a role that may read and write but
    not create runs no DDL at all once the schema is up to date. A ``number_inventory`` table that
    existed before the first migration is adopted (``schema.adopt_inventory``). Raises
    ``schema.SchemaError``, saying what to grant or fix, when the role may not apply a migration or
    the table cannot be adopted; nothing is changed then.
    """
    from number_inventory import schema

    if not _pending(conn):
        return []
    applied_now: list[str] = []
    step = "the record of migrations"
    try:
        with conn.transaction():
            conn.execute(sql("runs/advisory_lock"), {"key": MIGRATION_LOCK})
            pending = _pending(conn)  # again: another run may have applied them while this one waited
            if not pending:
                return []
            adopt = pending[0].stem == schema.FIRST_MIGRATION and schema.exists(conn, schema.INVENTORY)
            if not schema.exists(conn, schema.SCHEMA_TABLE) or not schema.exists(conn, schema.INVENTORY):
                schema.check_may_create(conn)
            if not schema.exists(conn, schema.SCHEMA_TABLE):
                conn.execute(sql("schema/create_schema_table"))
            if adopt:
                step = f"adopting the existing table {schema.INVENTORY}"
                schema.adopt_inventory(conn)
            for path in pending:
                step = path.stem
                conn.execute(path.read_text())
                conn.execute(sql("schema/record_migration"), {"version": path.stem})
                applied_now.append(path.stem)
    except psycopg.Error as exc:
        # Rolled back: nothing of the migrations stays.
        raise schema.migration_failed(conn, step, exc) from exc
    return applied_now
