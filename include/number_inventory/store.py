"""The PostgreSQL side: schema migrations, staged reads, set-based writes and the history.

Functions take a psycopg 3 connection (what ``PostgresHook.get_conn()`` returns, or
``psycopg.connect``) in autocommit mode and open their own transactions, except the ones that say
they run inside the caller's. Bulk data moves with ``COPY``; text from devices reaches SQL only as
COPY data or bound parameters.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import itertools
import json
import logging
import re
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import psycopg

from include.number_inventory import numbers as nums
from include.number_inventory.settings import MassRemovalGuard
from include.number_inventory.transitions import BEFORE, CHANGE_COLUMNS, FIELDS, INVENTORY_COLUMNS

log = logging.getLogger(__name__)

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
MIGRATIONS_DIR = SQL_DIR / "migrations"

# pg_advisory_xact_lock keys: every inventory write holds the first, migrations the second.
INVENTORY_LOCK = 7_301_001
MIGRATION_LOCK = 7_301_002
#: ``work_mem`` of the transactions that sort, hash and join whole reads and the whole inventory, so
#: that a million rows are handled in memory instead of spilling to disk (the server default is 4MB).
WORK_MEM = "128MB"
#: A bulk insert (see :func:`deferred_indexes`) of at least this many rows, and at least as many as
#: the table holds, drops the table's indexes and builds them again afterwards.
BULK_ROWS = 50_000
#: ``maintenance_work_mem`` while building those indexes (the server default is 64MB).
MAINTENANCE_WORK_MEM = "256MB"
#: How long a bulk insert waits for readers of the table (the Number Inventory view, say) to let go
#: of it before it inserts with the indexes in place instead.
BULK_LOCK_WAIT = "3s"


@dataclass(frozen=True)
class RunInfo:
    """Which Airflow run is writing, and for which run day; recorded with every change. A manual
    action also records who triggered it (``actor``) and the reason they gave (``note``)."""

    dag_id: str
    run_id: str
    run_day: dt.date
    actor: str | None = None
    note: str | None = None

    def params(self) -> dict[str, Any]:
        return {
            "dag_id": self.dag_id,
            "run_id": self.run_id,
            "run_day": self.run_day,
            "actor": self.actor,
            "note": self.note,
        }


class ReadRejected(RuntimeError):
    """A read is not complete or looks wrong; the connection keeps its previous read."""


@functools.cache
def sql(name: str) -> str:
    """The text of ``include/sql/<name>.sql``."""
    return (SQL_DIR / f"{name}.sql").read_text()


def statements(name: str) -> list[str]:
    """The statements of a SQL file, for files that hold more than one."""
    return [s.strip() for s in re.split(r";\s*$", sql(name), flags=re.MULTILINE) if _has_code(s)]


def _has_code(text: str) -> bool:
    return any(line.strip() and not line.strip().startswith("--") for line in text.splitlines())


# --- schema -------------------------------------------------------------------------------------


def migrate(conn: psycopg.Connection) -> list[str]:
    """Apply the migrations under ``include/sql/migrations`` not yet applied, once, in order, in one
    transaction; return their names.

    Which are pending is asked with a plain ``SELECT`` first, so a role that may read and write but
    not create runs no DDL at all once the schema is up to date. A ``number_inventory`` table that
    existed before the first migration is adopted (``schema.adopt_inventory``). Raises
    ``schema.SchemaError``, saying what to grant or fix, when the role may not apply a migration or
    the table cannot be adopted; nothing is changed then.
    """
    from include.number_inventory import schema

    migrations = sorted(MIGRATIONS_DIR.glob("*.sql"))
    if not [p for p in migrations if p.stem not in schema.applied(conn)]:
        return []
    applied_now: list[str] = []
    step = "the record of migrations"
    try:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            done = schema.applied(conn)  # again: another run may have applied them while this one waited
            pending = [p for p in migrations if p.stem not in done]
            if not pending:
                return []
            adopt = schema.FIRST_MIGRATION not in done and schema.exists(conn, schema.INVENTORY)
            if not schema.exists(conn, schema.SCHEMA_TABLE) or not schema.exists(conn, schema.INVENTORY):
                schema.check_may_create(conn)
            if not schema.exists(conn, schema.SCHEMA_TABLE):
                conn.execute(
                    f"CREATE TABLE {schema.SCHEMA_TABLE} ("
                    " version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
                )
            if adopt:
                step = f"adopting the existing table {schema.INVENTORY}"
                schema.adopt_inventory(conn)
            for path in pending:
                step = path.stem
                conn.execute(path.read_text())
                conn.execute(f"INSERT INTO {schema.SCHEMA_TABLE} (version) VALUES (%s)", (path.stem,))
                applied_now.append(path.stem)
    except psycopg.Error as exc:
        # Rolled back: nothing of the migrations stays.
        raise schema.migration_failed(conn, step, exc) from exc
    return applied_now


# --- COPY helpers -------------------------------------------------------------------------------


def _fetch_columns(
    conn: psycopg.Connection, query: str, columns: Sequence[str], params: Any = None
) -> pd.DataFrame:
    """The result of ``query`` as a frame of text columns. The query returns one NUL-joined
    ``bytea`` aggregate per column, in one or more rows (see ``include/sql/load_inventory.sql``);
    a row of NULLs is a part of the table without rows."""
    values: list[list[str]] = [[] for _ in columns]
    with conn.cursor(binary=True) as cursor:
        # Streamed: each row is split here while the server builds the next.
        for row in cursor.stream(query, params):
            if row[0] is None:
                continue
            for column, joined in zip(values, row, strict=True):
                column.extend(bytes(joined).decode().split("\x00"))
    return pd.DataFrame(
        {name: pd.Series(column, dtype="string") for name, column in zip(columns, values, strict=True)}
    )


# COPY's text format: NULL, and the characters that must be escaped in a value.
NULL = "\\N"
_COPY_SPECIALS = "\\\t\n\r"
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_in(conn: psycopg.Connection, table: str, frame: pd.DataFrame) -> None:
    """COPY ``frame``, of text and boolean columns, into ``table``; missing and empty text arrives as
    NULL. A text column that is empty throughout is left to the table's default (NULL) instead of
    sent: the before-values of a first load, say. The data is COPY's text format built column by
    column and joined at C speed, several times faster than the ``csv`` module row by row."""
    if frame.empty:
        return
    columns: dict[str, list[str]] = {}
    for name in frame.columns:
        column = frame[name]
        if column.dtype == bool:
            columns[name] = ["t" if flag else "f" for flag in column.to_numpy()]
            continue
        if column.dtype != "string":
            raise TypeError(f"{table}.{name}: only text and boolean columns are copied, not {column.dtype}")
        values = column.to_numpy(dtype=object, na_value="")
        joined = "".join(values)
        if not joined:
            continue
        if any(special in joined for special in _COPY_SPECIALS):
            values = [value.translate(_COPY_ESCAPES) for value in values]
        columns[name] = [value or NULL for value in values]
    rows = map("\t".join, zip(*columns.values(), strict=True))
    with conn.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        copy.write("\n".join(rows) + "\n")


def tune_transaction(conn: psycopg.Connection) -> None:
    """Inside the caller's transaction, until commit: ``WORK_MEM``, and no JIT compilation (which
    costs more than it saves on these scans, joins and aggregates)."""
    conn.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
    conn.execute("SET LOCAL jit = off")


# --- inventory ----------------------------------------------------------------------------------


def lock_inventory(conn: psycopg.Connection) -> None:
    """Inside the caller's transaction: wait for, then hold, the inventory write lock until commit, so
    concurrent runs (sync, daily, purge, backfills) never interleave their writes."""
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (INVENTORY_LOCK,))


def load_inventory(conn: psycopg.Connection) -> pd.DataFrame:
    """The whole inventory as an inventory frame (see ``transitions``)."""
    return _fetch_columns(conn, sql("load_inventory"), INVENTORY_COLUMNS)


def apply_changes(conn: psycopg.Connection, changes: pd.DataFrame, run: RunInfo) -> int:
    """Inside the caller's transaction: write ``changes`` and their history; return rows written.

    Rows changed by someone else since they were loaded are left alone (and not counted).
    """
    if changes.empty:
        return 0
    if not changes["number"].is_unique:
        raise ValueError("a plan names a number more than once; nothing was written")
    conn.execute(sql("create_change_table"))
    _copy_in(conn, "inventory_change", changes[list(CHANGE_COLUMNS)])
    conn.execute("ANALYZE inventory_change")
    written = conn.execute(sql("apply_updates"), run.params()).rowcount
    new = int(changes["is_new"].sum())
    if new:
        written += _insert_new(conn, run, new)
    conn.execute("DROP TABLE inventory_change")
    return written


def _insert_new(conn: psycopg.Connection, run: RunInfo, count: int) -> int:
    """Insert the ``count`` new numbers of ``inventory_change`` with their history; return how many."""
    try:
        with (
            conn.transaction(),
            deferred_indexes(conn, "number_inventory", count),
            deferred_indexes(conn, "number_inventory_history", count),
        ):
            last = None
            for statement in statements("apply_inserts"):
                last = conn.execute(statement, run.params())
            return last.rowcount
    except psycopg.errors.UniqueViolation:
        # Someone inserted one of these numbers while we did: the savepoint undid our part.
        return conn.execute(sql("apply_inserts_on_conflict"), run.params()).rowcount


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
    held = conn.execute(sql("table_rows"), {"table": table}).fetchone()[0]
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
    indexes = conn.execute(sql("deferrable_indexes"), {"table": table}).fetchall()
    for drop, _ in indexes:
        conn.execute(drop)
    yield True
    started = time.perf_counter()
    with _setting(conn, "maintenance_work_mem", MAINTENANCE_WORK_MEM):
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
    query = "SELECT pg_has_role(relowner, 'USAGE') FROM pg_class WHERE oid = %s::regclass"
    return conn.execute(query, (table,)).fetchone()[0]


def _lock_exclusive(conn: psycopg.Connection, table: str) -> bool:
    """Inside the caller's transaction: take ``table``'s ACCESS EXCLUSIVE lock, waiting at most
    :data:`BULK_LOCK_WAIT`; whether it was taken."""
    try:
        with conn.transaction(), _setting(conn, "lock_timeout", BULK_LOCK_WAIT):
            conn.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
        return True
    except psycopg.errors.LockNotAvailable:
        return False


@contextlib.contextmanager
def _setting(conn: psycopg.Connection, name: str, value: str) -> Iterator[None]:
    """Inside the caller's transaction: the server setting ``name`` at ``value`` while inside, then
    back to what it was. On an error the caller's rollback (of the transaction or savepoint it runs
    in) undoes the setting, so it is not restored here."""
    previous = conn.execute("SELECT current_setting(%s)", (name,)).fetchone()[0]
    conn.execute("SELECT set_config(%s, %s, true)", (name, value))
    yield
    conn.execute("SELECT set_config(%s, %s, true)", (name, previous))


def latest_run_day(conn: psycopg.Connection, kind: str) -> dt.date | None:
    """The latest run day a run of ``kind`` has processed."""
    return conn.execute("SELECT max(run_day) FROM inventory_run WHERE kind = %s", (kind,)).fetchone()[0]


def record_run(conn: psycopg.Connection, kind: str, run: RunInfo, summary: dict[str, Any]) -> None:
    """Inside the caller's transaction: note that ``run`` processed its run day."""
    conn.execute(
        "INSERT INTO inventory_run (kind, dag_id, run_id, run_day, summary) "
        "VALUES (%(kind)s, %(dag_id)s, %(run_id)s, %(run_day)s, %(summary)s)",
        {"kind": kind, **run.params(), "summary": json.dumps(summary)},
    )


def record_findings(conn: psycopg.Connection, findings: pd.DataFrame, run: RunInfo, *, dry_run: bool) -> None:
    """Inside the caller's transaction: store the audit's findings."""
    if findings.empty:
        return
    rows = [
        (
            run.dag_id,
            run.run_id,
            run.run_day,
            r["number"],
            r["check"],
            bool(r["repaired"]),
            dry_run,
            json.dumps({f: r[b] for f, b in zip(FIELDS, BEFORE, strict=True)}),
            json.dumps({f: r[f] for f in FIELDS}),
        )
        for r in findings.fillna("").to_dict("records")
    ]
    with conn.cursor().copy(
        'COPY audit_finding (dag_id, run_id, run_day, number, "check", repaired, dry_run, before, after) '
        "FROM STDIN"
    ) as copy:
        for row in rows:
            copy.write_row(row)


# --- device reads -------------------------------------------------------------------------------


#: How many AORs that are not numbers a read keeps as samples for its log, and how many characters
#: of each: a read counts every such AOR but never holds their text (a device can send megabytes).
SKIPPED_SAMPLES = 5
SKIPPED_SAMPLE_CHARS = 80


@dataclass
class StagedRead:
    """A read being staged, and the figures of the bindings staged so far: the distinct bindings,
    held as 64-bit hashes of AOR and contact (a read of a million bindings takes megabytes, not its
    text; two bindings sharing a hash is a chance of about one in 10^7 at that size), how many of
    them are active, the distinct AORs that are not numbers (hashes too, with a few truncated
    samples), and how many rows this reader staged, which the stage must still hold when the read is
    kept. Counting here, as the pages stream by, spares the database a DISTINCT over the read's text,
    which is then never staged."""

    read_id: int
    staged: int = 0
    skipped_samples: list[str] = field(default_factory=list)
    _skipped: set[int] = field(default_factory=set, repr=False)
    _seen: set[int] = field(default_factory=set, repr=False)
    _active: set[int] = field(default_factory=set, repr=False)

    @property
    def bindings(self) -> int:
        return len(self._seen)

    @property
    def active_bindings(self) -> int:
        return len(self._active)

    @property
    def skipped_aors(self) -> int:
        """How many distinct AORs that are not numbers the read skipped."""
        return len(self._skipped)

    def count(
        self, aors: Sequence[str], contacts: Sequence[str], numbers: Sequence, active: Sequence[bool]
    ) -> None:
        # A binding's active flag follows from its contact, so a binding seen twice has one flag.
        keys = list(map(hash, zip(aors, contacts, strict=True)))
        self._seen.update(keys)
        self._active.update(itertools.compress(keys, active))
        for aor, number in zip(aors, numbers, strict=True):
            if number is not None:
                continue
            key = hash(aor)
            if key not in self._skipped:
                self._skipped.add(key)
                if len(self.skipped_samples) < SKIPPED_SAMPLES:
                    self.skipped_samples.append(_sample(aor))

    def clear(self) -> None:
        self.staged = 0
        self.skipped_samples.clear()
        self._skipped.clear()
        self._seen.clear()
        self._active.clear()


def _sample(text: str) -> str:
    if len(text) <= SKIPPED_SAMPLE_CHARS:
        return text
    return f"{text[: SKIPPED_SAMPLE_CHARS - 1]}\u2026 ({len(text)} characters)"


def begin_read(conn: psycopg.Connection, connection_id: str, run: RunInfo) -> int:
    """Start a read of ``connection_id``; earlier reads of it still running (a killed worker, or a
    read that another deployment or a stray ``airflow dags test`` started) are marked failed first,
    so that they can never be kept. Returns the new read id."""
    with conn.transaction():
        abandon_reads(conn, connection_id, "abandoned: a later read of this connection started")
        row = conn.execute(
            "INSERT INTO audiocodes_read (connection_id, dag_id, run_id, run_day) "
            "VALUES (%(connection_id)s, %(dag_id)s, %(run_id)s, %(run_day)s) RETURNING read_id",
            {"connection_id": connection_id, **run.params()},
        ).fetchone()
    return row[0]


def abandon_reads(conn: psycopg.Connection, connection_id: str, error: str) -> None:
    """Inside the caller's transaction: mark the running reads of ``connection_id`` failed with
    ``error`` and drop what they staged. A read being kept at that moment holds its row: this waits
    for it, and then leaves it complete."""
    conn.execute(sql("abandon_reads"), {"connection_id": connection_id, "error": error})


def stage_bindings(conn: psycopg.Connection, read: StagedRead, items: Sequence[tuple[str, str]]) -> int:
    """Count one page of ``(aor, contact)`` bindings into ``read`` and stage the number and active
    flag of each binding that has a number. Returns how many bindings carried no number."""
    if not items:
        return 0
    aors = [aor for aor, _ in items]
    contacts = [contact for _, contact in items]
    # PostgreSQL text cannot hold NUL: a device that sends one gets it dropped before normalising.
    if "\x00" in "".join(aors) or "\x00" in "".join(contacts):
        aors = [aor.replace("\x00", "") for aor in aors]
        contacts = [contact.replace("\x00", "") for contact in contacts]
    numbers = nums.aor_numbers(aors)
    active = nums.contacts_active(contacts)
    read.count(aors, contacts, numbers, active)
    # COPY's text format, written directly: a normalised number needs no escaping.
    rows = [
        f"{read.read_id}\t{number}\t{'t' if flag else 'f'}\n"
        for number, flag in zip(numbers, active, strict=True)
        if number is not None
    ]
    if rows:
        with conn.cursor().copy("COPY audiocodes_binding_stage (read_id, number, active) FROM STDIN") as copy:
            copy.write("".join(rows))
        read.staged += len(rows)
    return len(numbers) - len(rows)


def reset_read(conn: psycopg.Connection, read: StagedRead) -> None:
    """Drop what a read staged so far (the device's total changed; the read starts over)."""
    conn.execute("DELETE FROM audiocodes_binding_stage WHERE read_id = %s", (read.read_id,))
    read.clear()


class _NotKept(Exception):
    """Inside :func:`finish_read`: the read is not kept; its transaction rolls back."""

    def __init__(self, problem: str, summary: dict[str, Any]) -> None:
        super().__init__(problem)
        self.problem = problem
        self.summary = summary


def finish_read(
    conn: psycopg.Connection,
    read: StagedRead,
    connection_id: str,
    *,
    total: int,
    pages: int,
    guard: MassRemovalGuard,
    allow_mass_removal: bool = False,
    absent_reads: int = 1,
) -> dict[str, Any]:
    """Check a staged read and, when it is complete and plausible, make it the connection's kept read.

    The read must still be running (a later read, or a purge, marks it failed: then it is never
    kept), its stage must hold every row this reader staged, its distinct bindings must add up to
    ``total``, and it must not drop a suspicious share of the connection's numbers. Marking it
    complete is a compare-and-set on its state in the transaction that keeps it. Otherwise raises
    :class:`ReadRejected` after recording the failure; any other error is recorded as the read's
    failure too, then raised. ``absent_reads``: see ``promote_read.sql``.

    Lock order, the same everywhere (``begin_read``, ``purge_connection``): the read's row, then
    the connection's row, then its registrations.
    """
    read_id = read.read_id
    try:
        with conn.transaction():
            owned = conn.execute(
                "UPDATE audiocodes_read SET state = 'complete' WHERE read_id = %s AND state = 'running' "
                "RETURNING read_id",
                (read_id,),
            ).fetchone()
            if owned is None:
                state, error = conn.execute(
                    "SELECT state, error FROM audiocodes_read WHERE read_id = %s", (read_id,)
                ).fetchone()
                raise _NotKept(f"the read is no longer running ({state}: {error}); it is never kept", {})
            summary = _check_read(conn, read, connection_id, total, pages, guard, allow_mass_removal)
            for statement in statements("promote_read"):
                conn.execute(
                    statement,
                    {"connection_id": connection_id, "read_id": read_id, "absent_reads": absent_reads},
                )
            _record_figures(conn, read_id, summary)
    except _NotKept as exc:
        fail_read(conn, read_id, exc.problem, figures=exc.summary)
        raise ReadRejected(exc.problem) from None
    except BaseException as exc:
        first_line = (str(exc).splitlines() or [""])[0]
        try:
            fail_read(conn, read_id, f"{type(exc).__name__} while keeping the read: {first_line}")
        except Exception:  # the connection itself may be gone; the next read of it fails this one
            log.exception("could not record the failure of read %s", read_id)
        raise
    return {**summary, "state": "complete"}


def _check_read(
    conn: psycopg.Connection,
    read: StagedRead,
    connection_id: str,
    total: int,
    pages: int,
    guard: MassRemovalGuard,
    allow_mass_removal: bool,
) -> dict[str, Any]:
    """Inside ``finish_read``'s transaction: the read's figures, or :class:`_NotKept` saying why
    the read is not complete or not plausible."""
    tune_transaction(conn)
    conn.execute(sql("collect_read"), {"read_id": read.read_id, "connection_id": connection_id})
    cursor = conn.execute(sql("read_figures"))
    figures = dict(zip([c.name for c in cursor.description], cursor.fetchone(), strict=True))
    in_stage = figures.pop("staged")
    summary = {
        "connection_id": connection_id,
        "read_id": read.read_id,
        "total": total,
        "pages": pages,
        "bindings": read.bindings,
        "active_bindings": read.active_bindings,
        "skipped_aors": read.skipped_aors,
        **figures,
    }
    if in_stage != read.staged:
        raise _NotKept(
            f"the read lost part of its stage: {read.staged} bindings with a number were staged, "
            f"{in_stage} are in the stage (was another read of this connection started?)",
            summary,
        )
    if read.bindings != total:
        raise _NotKept(
            f"read does not add up: {read.bindings} distinct bindings received, "
            f"the device announced total={total}",
            summary,
        )
    if not allow_mass_removal and guard.trips(figures["kept_numbers"], figures["removed"]):
        raise _NotKept(
            f"suspicious read: {figures['removed']} of the {figures['kept_numbers']} numbers registered "
            f"on this connection would go (guard: more than {guard.max_share:.0%} and at least "
            f"{guard.min_numbers}); trigger with allow_mass_removal to accept it",
            summary,
        )
    return summary


def fail_read(
    conn: psycopg.Connection, read_id: int, error: str, figures: dict[str, Any] | None = None
) -> None:
    """Record that a read failed and drop what it staged; the connection keeps its previous read.
    A read already ended (abandoned by a later read, say) keeps the reason it has."""
    values = {k: (figures or {}).get(k) for k in _FIGURES}
    with conn.transaction():
        conn.execute(
            "UPDATE audiocodes_read SET state = 'failed', error = %(error)s, finished_at = now(), "
            + ", ".join(f"{k} = %({k})s" for k in _FIGURES)
            + " WHERE read_id = %(read_id)s AND state = 'running'",
            {"error": error, "read_id": read_id, **values},
        )
        conn.execute("DELETE FROM audiocodes_binding_stage WHERE read_id = %s", (read_id,))


_FIGURES = ("total", "pages", "bindings", "active_bindings", "numbers", "skipped_aors", "removed")


def _record_figures(conn: psycopg.Connection, read_id: int, figures: dict[str, Any]) -> None:
    """Inside the caller's transaction: store a kept read's figures and drop its staged rows."""
    conn.execute(
        "UPDATE audiocodes_read SET finished_at = now(), "
        + ", ".join(f"{k} = %({k})s" for k in _FIGURES)
        + " WHERE read_id = %(read_id)s",
        {"read_id": read_id, **{k: figures.get(k) for k in _FIGURES}},
    )
    conn.execute("DELETE FROM audiocodes_binding_stage WHERE read_id = %s", (read_id,))


def reads_of_run(conn: psycopg.Connection, run_id: str) -> list[dict[str, Any]]:
    """The latest read of each connection made by one DAG run."""
    cursor = conn.execute(
        "SELECT DISTINCT ON (connection_id) connection_id, read_id, state, error, bindings, numbers, "
        "skipped_aors FROM audiocodes_read WHERE run_id = %s ORDER BY connection_id, read_id DESC",
        (run_id,),
    )
    names = [c.name for c in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor]


def kept_connections(conn: psycopg.Connection) -> set[str]:
    """Connections that have a kept complete read."""
    return {row[0] for row in conn.execute("SELECT connection_id FROM audiocodes_connection")}


def registered_numbers(conn: psycopg.Connection, connection_ids: Iterable[str] | None = None) -> pd.Series:
    """Numbers registered (an active binding) in the kept read of any of ``connection_ids``; by
    default, of every kept read, configured or not (a connection dropped from the Variable keeps
    registering its numbers until it is purged)."""
    ids = None if connection_ids is None else list(connection_ids)
    frame = _fetch_columns(conn, sql("registered_numbers"), ["number"], {"connection_ids": ids})
    return pd.Series(frame["number"].unique(), name="number", dtype="string")


def unconfigured_connections(conn: psycopg.Connection, connection_ids: Iterable[str]) -> dict[str, int]:
    """Connections with a kept read that are not among ``connection_ids``, with how many numbers
    each kept read still registers."""
    rows = conn.execute(sql("unconfigured_connections"), {"configured": list(connection_ids)})
    return dict(rows.fetchall())


def record_connection_findings(
    conn: psycopg.Connection, check: str, findings: Sequence[tuple[str, int, str]], run: RunInfo
) -> None:
    """Inside the caller's transaction: store audit findings about whole connections
    (``(connection_id, numbers, message)``), which ``audit_finding`` cannot hold: it is by number."""
    for connection_id, numbers, message in findings:
        conn.execute(
            "INSERT INTO audit_connection_finding "
            '(dag_id, run_id, run_day, connection_id, "check", numbers, message) '
            "VALUES (%(dag_id)s, %(run_id)s, %(run_day)s, %(connection_id)s, %(check)s, %(numbers)s, %(message)s)",
            {
                **run.params(),
                "connection_id": connection_id,
                "check": check,
                "numbers": numbers,
                "message": message,
            },
        )


def purge_connection(conn: psycopg.Connection, connection_id: str) -> pd.Series:
    """Inside the caller's transaction: drop a connection's kept read; return the numbers it had.

    Reads of the connection still running are marked failed first, so none of them can become its
    kept read afterwards. Locks in ``finish_read``'s order: reads, the connection's row, its
    registrations (a promotion of the same connection under way is waited for, then purged too).
    """
    abandon_reads(conn, connection_id, "abandoned: the connection was purged")
    conn.execute("SELECT 1 FROM audiocodes_connection WHERE connection_id = %s FOR UPDATE", (connection_id,))
    numbers = registered_numbers(conn, [connection_id])
    conn.execute("DELETE FROM audiocodes_registration WHERE connection_id = %s", (connection_id,))
    conn.execute("DELETE FROM audiocodes_connection WHERE connection_id = %s", (connection_id,))
    return numbers


# --- manual actions -----------------------------------------------------------------------------


def load_numbers(conn: psycopg.Connection, numbers: Sequence[str]) -> pd.DataFrame:
    """The inventory rows of ``numbers`` as an inventory frame; numbers not in the inventory are missing."""
    found = conn.execute(sql("load_numbers"), {"numbers": list(numbers)}).fetchall()
    return pd.DataFrame(
        {name: pd.Series([r[i] for r in found], dtype="string") for i, name in enumerate(INVENTORY_COLUMNS)}
    )


def registering_connections(conn: psycopg.Connection, numbers: Sequence[str]) -> list[tuple[str, str]]:
    """``(number, connection_id)`` for each kept read that registers one of ``numbers``."""
    return [tuple(r) for r in conn.execute(sql("registering_connections"), {"numbers": list(numbers)})]
