"""What the migrations need of the database before they run, and the table they adopt.

``store.migrate`` applies the migrations; this module answers the questions around it, each with a
:class:`SchemaError` that says what to do:

- which migrations are pending, asked with a plain ``SELECT`` (a role that may write but not create
  never runs DDL when none is pending);
- whether the role may create the inventory's tables, when they are not there yet;
- whether a ``number_inventory`` table that existed before the first migration (the SPEC's columns
  plus the operator's own) can be adopted, and adopting it: the missing columns, defaults, key and
  checks are added, the operator's columns and rows are kept; what cannot be adopted is refused,
  naming the table and what is wrong, and nothing is changed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import psycopg
from psycopg import sql as pgsql

from number_inventory.store.sql_files import sql

log = logging.getLogger(__name__)

SCHEMA_TABLE = "number_inventory_schema"
INVENTORY = "number_inventory"
#: The migration that creates the inventory; a table of that name found before it is adopted.
FIRST_MIGRATION = "0001_inventory"

#: The SPEC's columns, with the types the pipeline reads and writes them as.
TEXT_TYPES = ("text", "character varying")
SPEC_COLUMNS = {
    "number": TEXT_TYPES,
    "status": TEXT_TYPES,
    "usage": TEXT_TYPES,
    "vendor": TEXT_TYPES,
    "tag": TEXT_TYPES,
    "release_date": ("date",),
}
#: Columns an adopted table must have already: without them its rows say nothing the pipeline can
#: keep (a missing status is not "Available").
REQUIRED = ("number", "status")
#: Added when missing, empty.
ADDED_TYPES = {"usage": "text", "vendor": "text", "tag": "text", "release_date": "date"}
UPDATED_AT_TYPES = ("timestamp with time zone", "timestamp without time zone")
STATUSES = ("Available", "Used", "Used-Utility", "Reserved", "Cooling")
#: 0001's checks, by name: later migrations replace them by these names (the number's: 0022).
NUMBER_CHECK = (
    "CASE rtrim(number, '0123456789') WHEN '' THEN octet_length(number) BETWEEN 1 AND 32 "
    "WHEN '+' THEN octet_length(number) BETWEEN 2 AND 33 "
    "ELSE number ~ '^\\+[0-9]{1,32};ext=[0-9]{1,16}$' END"
)
CHECKS = {
    "number_is_normalised": NUMBER_CHECK,
    "status_is_known": "status IN ('Available', 'Used', 'Used-Utility', 'Reserved', 'Cooling')",
}
SAMPLES = 5


class SchemaError(RuntimeError):
    """The schema cannot be brought up to date by this role, or a table cannot be adopted; nothing
    was changed."""


def _who(conn: psycopg.Connection) -> tuple[str, str, str | None]:
    """The role, the database and the schema new tables go to."""
    return conn.execute(sql("schema/who")).fetchone()


def exists(conn: psycopg.Connection, table: str) -> bool:
    """Whether ``table`` is visible on the search path."""
    return conn.execute(sql("schema/table_exists"), {"table": table}).fetchone()[0]


def applied(conn: psycopg.Connection) -> set[str]:
    """The migrations recorded as applied; none when the record is not there yet. Reads only."""
    if not exists(conn, SCHEMA_TABLE):
        return set()
    query = pgsql.SQL(sql("schema/applied_migrations")).format(schema_table=pgsql.Identifier(SCHEMA_TABLE))
    try:
        with conn.transaction():
            return {row[0] for row in conn.execute(query)}
    except psycopg.errors.InsufficientPrivilege:
        user, database, _ = _who(conn)
        raise SchemaError(
            f"role {user!r} may not read {SCHEMA_TABLE} in database {database!r}, the record of the "
            f"migrations applied: grant SELECT ON {SCHEMA_TABLE} TO {user}"
        ) from None


def check_may_create(conn: psycopg.Connection) -> None:
    """Raise unless the role may create the inventory's tables (the first migration is pending)."""
    user, database, schema = _who(conn)
    if schema is None:
        raise SchemaError(
            f"role {user!r} has no schema to create the inventory's tables in, in database {database!r}: "
            "none of its search_path exists"
        )
    allowed = conn.execute(sql("schema/may_create"), {"schema": schema}).fetchone()[0]
    if not allowed:
        raise SchemaError(
            f"role {user!r} may not create tables in schema {schema!r} of database {database!r}, and "
            f"the inventory's tables are not there yet: grant CREATE ON SCHEMA {schema} TO {user}, or run "
            "the migrations once as the owner (a DAG run whose connection logs in as the owner)"
        )


def migration_failed(conn: psycopg.Connection, version: str, error: psycopg.Error) -> SchemaError:
    """The error to raise when a migration fails: who may not do what, and what to do about it."""
    user, database, _ = _who(conn)
    said = error.diag.message_primary or str(error)
    if isinstance(error, psycopg.errors.InsufficientPrivilege):
        return SchemaError(
            f"role {user!r} may not apply migration {version} in database {database!r} ({said}): run "
            "the migrations once as the owner of the inventory's tables (a DAG run whose connection "
            "logs in as the owner); afterwards a role that may only read and write is enough"
        )
    return SchemaError(f"migration {version} failed in database {database!r}: {said}; nothing was changed")


# --- adopting a table that existed before the migrations -----------------------------------------


def adopt_inventory(conn: psycopg.Connection) -> list[str]:
    """Inside the caller's transaction (the migrations'): make an existing ``number_inventory`` what
    the first migration would have created, keeping the operator's columns and rows. Returns what was
    added; raises :class:`SchemaError` naming each problem when the table cannot be adopted."""
    columns = {
        name: (kind, not_null, has_default)
        for name, kind, not_null, has_default in conn.execute(
            sql("schema/table_columns"), {"table": INVENTORY}
        )
    }
    problems = _column_problems(columns)
    if not problems:
        problems = _row_problems(conn, has_key=_number_key(conn) is not None)
    if problems:
        raise SchemaError(
            f"table {INVENTORY} existed before the first migration and cannot be adopted: "
            + "; ".join(problems)
            + ". Nothing was changed; fix the table and run again."
        )
    return _complete(conn, columns)


def _column_problems(columns: dict[str, tuple[str, bool, bool]]) -> list[str]:
    problems = []
    for name in REQUIRED:
        if name not in columns:
            problems.append(f"it has no column {name!r}")
    for name, kinds in SPEC_COLUMNS.items():
        if name in columns and columns[name][0] not in kinds:
            problems.append(
                f"column {name!r} is {columns[name][0]}, not {' or '.join(kinds)} "
                f"(ALTER TABLE {INVENTORY} ALTER COLUMN {name} TYPE {kinds[0]} converts it)"
            )
    if "updated_at" in columns and columns["updated_at"][0] not in UPDATED_AT_TYPES:
        problems.append(f"column 'updated_at' is {columns['updated_at'][0]}, not timestamp with time zone")
    ours = {*SPEC_COLUMNS, "updated_at"}
    for name, (_, not_null, has_default) in columns.items():
        if name not in ours and not_null and not has_default:
            problems.append(
                f"column {name!r} is NOT NULL without a default, and new numbers are inserted with the "
                "SPEC's columns only: give it a default or allow NULL"
            )
    return problems


def _number_key(conn: psycopg.Connection) -> str | None:
    """The name of a unique index on exactly ``number`` (the primary key or another), if any."""
    row = conn.execute(sql("schema/number_key"), {"table": INVENTORY}).fetchone()
    return row[0] if row else None


def _row_problems(conn: psycopg.Connection, *, has_key: bool) -> list[str]:
    bad_numbers, number_samples, bad_statuses, status_samples = conn.execute(
        pgsql.SQL(sql("schema/row_problems")).format(
            table=pgsql.Identifier(INVENTORY),
            number_check=pgsql.SQL(NUMBER_CHECK),
            samples=pgsql.Literal(SAMPLES),
        ),
        {"statuses": list(STATUSES)},
    ).fetchone()
    problems = []
    if bad_numbers:
        problems.append(
            f"{bad_numbers} row(s) have a number that is not normalised (digits with an optional "
            f"leading '+', 1 to 32 digits), e.g. {_samples(number_samples)}"
        )
    if bad_statuses:
        problems.append(
            f"{bad_statuses} row(s) have a status that is not one of {', '.join(STATUSES)}, "
            f"e.g. {_samples(status_samples)}"
        )
    if not has_key:
        duplicates = conn.execute(
            pgsql.SQL(sql("schema/duplicate_numbers")).format(
                table=pgsql.Identifier(INVENTORY), samples=pgsql.Literal(SAMPLES)
            )
        ).fetchall()
        if duplicates:
            problems.append(f"numbers appear more than once, e.g. {_samples(r[0] for r in duplicates)}")
    return problems


def _samples(values: Iterable[str | None]) -> str:
    return ", ".join("NULL" if v is None else repr(v) for v in values)


def _complete(conn: psycopg.Connection, columns: dict[str, tuple[str, bool, bool]]) -> list[str]:
    """Add what the first migration would have created and the table lacks."""
    table = pgsql.Identifier(INVENTORY)
    updated_at, status = pgsql.Identifier("updated_at"), pgsql.Identifier("status")
    done = []

    def run(statement: str, what: str, **parts: pgsql.Composable) -> None:
        conn.execute(pgsql.SQL(sql(statement)).format(table=table, **parts))
        done.append(what)

    for name, kind in ADDED_TYPES.items():
        if name not in columns:
            run("schema/add_column", f"column {name}", column=pgsql.Identifier(name), type=pgsql.SQL(kind))
    for name in SPEC_COLUMNS:
        if name in columns and columns[name][0] == "character varying":
            # Lengths were the operator's; the pipeline writes tags and statuses of its own.
            run("schema/column_as_text", f"{name} as text", column=pgsql.Identifier(name))
    if "updated_at" not in columns:
        run("schema/add_updated_at", "column updated_at")
    else:
        if not columns["updated_at"][2]:
            run("schema/set_updated_at_default", "a default for updated_at")
        if not columns["updated_at"][1]:
            run("schema/fill_updated_at", "updated_at where it was empty")
            run("schema/set_not_null", "updated_at NOT NULL", column=updated_at)
    if not columns["status"][2]:
        run("schema/set_status_default", "a default for status")
    if not columns["status"][1]:
        run("schema/set_not_null", "status NOT NULL", column=status)
    if _number_key(conn) is None:
        primary = conn.execute(sql("schema/has_primary_key"), {"table": INVENTORY}).fetchone()
        if primary:  # the operator's own key stays; numbers get a unique key beside it
            run("schema/add_number_unique", "a unique key on number")
        else:
            run("schema/add_number_primary_key", "the primary key (number)")
    present = {
        row[0]
        for row in conn.execute(sql("schema/present_checks"), {"table": INVENTORY, "names": list(CHECKS)})
    }
    for name, check in CHECKS.items():
        if name not in present:
            run(
                "schema/add_check",
                f"the check {name}",
                constraint=pgsql.Identifier(name),
                check=pgsql.SQL(check),
            )
    kept = [name for name in columns if name not in {*SPEC_COLUMNS, "updated_at"}]
    log.warning(
        "Adopted the existing table %s: added %s; kept its own columns: %s",
        INVENTORY,
        ", ".join(done) or "nothing",
        ", ".join(kept) or "none",
    )
    return done
