"""Device reads: staging a read's bindings, checking it, and keeping it as the connection's read."""

from __future__ import annotations

import datetime as dt
import itertools
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql as pgsql

from number_inventory import contacts as contacts_module
from number_inventory import numbers as nums
from number_inventory.dial_plan import CANONICALISE_ACTION, DialPlan
from number_inventory.scrub import scrub
from number_inventory.settings import MassRemovalGuard
from number_inventory.store.inventory import tune_transaction
from number_inventory.store.runs import RunInfo
from number_inventory.store.sql_files import sql

log = logging.getLogger(__name__)

#: The statements that keep a complete read, in order (see ``reads/promote_read_connection.sql``).
PROMOTE_READ = (
    "reads/promote_read_connection",
    "reads/promote_read_departures",
    "reads/promote_read_gone",
    "reads/promote_read_held",
    "reads/promote_read_changed",
    "reads/promote_read_new",
)


class ReadRejected(RuntimeError):
    """A read is not complete or looks wrong; the connection keeps its previous read."""


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
    samples), the numbers staged (hashes, to stage each number's further bindings apart: see
    :meth:`repeats`), and how many rows this reader staged, which the stage must still hold when the
    read is kept. Counting here, as the pages stream by, spares the database a DISTINCT over the
    read's text, which is then never staged, and a grouping of millions of staged rows."""

    read_id: int
    staged: int = 0
    skipped_samples: list[str] = field(default_factory=list)
    _skipped: set[int] = field(default_factory=set, repr=False)
    _seen: set[int] = field(default_factory=set, repr=False)
    _active: set[int] = field(default_factory=set, repr=False)
    _numbers: set[int] = field(default_factory=set, repr=False)

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
        if None not in numbers:  # the usual page: every AOR a number
            return
        for aor in itertools.compress(aors, [number is None for number in numbers]):
            key = hash(aor)
            if key not in self._skipped:
                self._skipped.add(key)
                if len(self.skipped_samples) < SKIPPED_SAMPLES:
                    self.skipped_samples.append(_sample(aor))

    def repeats(self, numbers: Sequence[str]) -> list[bool] | None:
        """Which of ``numbers``, staged in this order, the read has staged before (``None``: none
        has), and remember them. Held as hashes: a collision can only call a number's first binding
        a repeat, which sends that number the exact way round (``reads/collect_read.sql``), never the
        other way."""
        keys = list(map(hash, numbers))
        fresh = set(keys)
        if len(fresh) == len(keys) and self._numbers.isdisjoint(fresh):  # the usual page
            self._numbers |= fresh
            return None
        seen, flags = self._numbers, []
        for key in keys:
            flags.append(key in seen)
            seen.add(key)
        return flags

    def clear(self) -> None:
        self.staged = 0
        self._numbers.clear()
        self.skipped_samples.clear()
        self._skipped.clear()
        self._seen.clear()
        self._active.clear()


def _sample(text: str) -> str:
    if len(text) <= SKIPPED_SAMPLE_CHARS:
        return text
    return f"{text[: SKIPPED_SAMPLE_CHARS - 1]}\u2026 ({len(text)} characters)"


def stage_statement(name: str, read_id: int) -> pgsql.Composed:
    """The statement ``include/sql/<name>.sql`` over the stage of read ``read_id``: ``{stage}`` and
    ``{repeats}``, temporary tables of the session that reads (``reads/create_read_stage.sql``), so ``conn``
    must be the reader's."""
    stage = f"audiocodes_stage_{read_id}"
    return pgsql.SQL(sql(name)).format(
        stage=pgsql.Identifier(stage), repeats=pgsql.Identifier(f"{stage}_repeats")
    )


def begin_read(conn: psycopg.Connection, connection_id: str, run: RunInfo) -> int:
    """Start a read of ``connection_id`` and create its stage in ``conn``'s session; earlier reads of
    it still running (a killed worker, or a read that another deployment or a stray ``airflow dags
    test`` started) are marked failed first, so that they can never be kept. Returns the new read id."""
    with conn.transaction():
        abandon_reads(conn, connection_id, "abandoned: a later read of this connection started")
        read_id = conn.execute(
            sql("reads/begin_read"), {"connection_id": connection_id, **run.params()}
        ).fetchone()[0]
        conn.execute(stage_statement("reads/create_read_stage", read_id))
        conn.execute(stage_statement("reads/create_read_stage_repeats", read_id))
    return read_id


def abandon_reads(conn: psycopg.Connection, connection_id: str, error: str) -> None:
    """Inside the caller's transaction: mark the running reads of ``connection_id`` failed with
    ``error``. Their stages belong to their readers' sessions, which find them failed when they try
    to keep them (and drop them then, or lose them with the session); one in this session is dropped
    here. A read being kept at that moment holds its row: this waits for it, and then leaves it
    complete."""
    abandoned = conn.execute(sql("reads/abandon_reads"), {"connection_id": connection_id, "error": error})
    for (read_id,) in abandoned.fetchall():
        conn.execute(stage_statement("reads/drop_staged_read", read_id))


def stage_bindings(
    conn: psycopg.Connection,
    read: StagedRead,
    items: Sequence[tuple[str, str]],
    plan: DialPlan | None = None,
) -> int:
    """Count one page of ``(aor, contact)`` bindings into ``read`` and stage the number (under the
    connection's dial plan ``plan``, its canonical form) and active flag of each binding that has
    a number. Returns how many bindings carried no number."""
    if not items:
        return 0
    aors = [aor for aor, _ in items]
    contacts = [contact for _, contact in items]
    # PostgreSQL text cannot hold NUL: a device that sends one gets it dropped before normalising.
    if "\x00" in "".join(aors) or "\x00" in "".join(contacts):
        aors = [aor.replace("\x00", "") for aor in aors]
        contacts = [contact.replace("\x00", "") for contact in contacts]
    numbers = nums.aor_numbers(aors, plan)
    active = nums.contacts_active(contacts)
    read.count(aors, contacts, numbers, active)
    # COPY's text format, written directly: a normalised number needs no escaping, a contact (kept for
    # the view, cut to CONTACT_CHARS) may.
    kept = contacts_module.compact(contacts)
    rows = [
        f"{number}\t{'t' if flag else 'f'}\t{contact}\n"
        for number, flag, contact in zip(numbers, active, kept, strict=True)
        if number is not None
    ]
    if not rows:
        return len(numbers)
    repeats = read.repeats([number for number in numbers if number is not None])
    firsts = rows if repeats is None else list(itertools.compress(rows, [not r for r in repeats]))
    with conn.cursor().copy(stage_statement("reads/copy_binding_stage", read.read_id)) as copy:
        copy.write("".join(firsts))
    if repeats is not None:
        with conn.cursor().copy(stage_statement("reads/copy_binding_stage_repeats", read.read_id)) as copy:
            copy.write("".join(itertools.compress(rows, repeats)))
    read.staged += len(rows)
    return len(numbers) - len(rows)


def reset_read(conn: psycopg.Connection, read: StagedRead) -> None:
    """Drop what a read staged so far (the device's total changed; the read starts over)."""
    conn.execute(stage_statement("reads/empty_read_stage", read.read_id))
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
    read_at: dt.datetime | None = None,
    plan: DialPlan | None = None,
    site: str = "",
) -> dict[str, Any]:
    """Check a staged read and, when it is complete and plausible, make it the connection's kept read.

    The read must still be running (a later read, or a purge, marks it failed: then it is never
    kept), its stage must hold every row this reader staged, its distinct bindings must add up to
    ``total``, and it must not drop a suspicious share of the connection's numbers. Marking it
    complete is a compare-and-set on its state in the transaction that keeps it. Otherwise raises
    :class:`ReadRejected` after recording the failure; any other error is recorded as the read's
    failure too, then raised. ``absent_reads``: see ``reads/promote_read_connection.sql``; ``read_at``: when
    the read completed by the project's clock (default: the database's ``now()``), from which its age
    is counted; ``plan``: the dial plan the read was made under, which must be the kept read's
    (:func:`_check_dial_plan`). ``site``: the connection's site, recorded with
    the kept read (empty: none).

    Lock order, the same everywhere (``begin_read``, ``purge_connection``): the read's row, then
    the connection's row, then its registrations.
    """
    read_id = read.read_id
    try:
        with conn.transaction():
            owned = conn.execute(sql("reads/claim_read"), {"read_id": read_id}).fetchone()
            if owned is None:
                state, error = conn.execute(sql("reads/read_state"), {"read_id": read_id}).fetchone()
                raise _NotKept(f"the read is no longer running ({state}: {error}); it is never kept", {})
            described = plan.describe() if plan else None
            _check_dial_plan(conn, connection_id, described)
            summary = _check_read(conn, read, connection_id, total, pages, guard, allow_mass_removal)
            for name in PROMOTE_READ:
                conn.execute(
                    sql(name),
                    {
                        "connection_id": connection_id,
                        "read_id": read_id,
                        "absent_reads": absent_reads,
                        "read_at": read_at,
                        "dial_plan": described,
                        "site": site or None,
                    },
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


def _check_dial_plan(conn: psycopg.Connection, connection_id: str, described: str | None) -> None:
    """Inside ``finish_read``'s transaction: :class:`_NotKept` when the connection's kept read was
    made under another dial plan (or none). The new read spells the connection's numbers otherwise
    (``+49301234567`` for ``0301234567``): kept, it would cool every old spelling and register the
    new ones as new numbers. The action :data:`CANONICALISE_ACTION` moves the inventory and the kept
    read to the plan first; a connection's first read may have any plan."""
    row = conn.execute(sql("reads/connection_dial_plan"), {"connection_id": connection_id}).fetchone()
    if row is None or row[0] == described:
        return
    raise _NotKept(
        f"the connection's dial plan changed (kept read: {row[0] or 'no dial plan'}; this read: "
        f"{described or 'no dial plan'}): kept, this read would cool the numbers as the device spelled "
        f"them before and register their new spellings as new numbers. Run the action "
        f"{CANONICALISE_ACTION} of number_inventory_action for this connection (a dry run first), "
        "which moves the inventory and the kept read to the plan, then sync again",
        {},
    )


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
    conn.execute(sql("reads/create_read_registration"))
    cursor = conn.execute(
        stage_statement("reads/collect_read", read.read_id), {"connection_id": connection_id}
    )
    figures = dict(zip([c.name for c in cursor.description], cursor.fetchone(), strict=True))
    conn.execute(sql("reads/analyze_read_registration"))
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
        conn.execute(sql("reads/fail_read"), {"error": scrub(error), "read_id": read_id, **values})
        conn.execute(stage_statement("reads/drop_staged_read", read_id))


_FIGURES = ("total", "pages", "bindings", "active_bindings", "numbers", "skipped_aors", "removed")


def _record_figures(conn: psycopg.Connection, read_id: int, figures: dict[str, Any]) -> None:
    """Inside the caller's transaction: store a kept read's figures and drop its staged rows."""
    conn.execute(
        sql("reads/record_read_figures"), {"read_id": read_id, **{k: figures.get(k) for k in _FIGURES}}
    )
    conn.execute(stage_statement("reads/drop_staged_read", read_id))


def reads_of_run(conn: psycopg.Connection, run_id: str) -> list[dict[str, Any]]:
    """The latest read of each connection made by one DAG run."""
    cursor = conn.execute(sql("reads/reads_of_run"), {"run_id": run_id})
    names = [c.name for c in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor]


def latest_read_at(conn: psycopg.Connection, connection_ids: Sequence[str]) -> dt.datetime | None:
    """When the latest kept read of ``connection_ids`` completed (by the project's clock), or ``None``
    when none of them has a kept read."""
    return conn.execute(sql("reads/latest_read_at"), {"configured": list(connection_ids)}).fetchone()[0]


def kept_connections(conn: psycopg.Connection) -> set[str]:
    """Connections that have a kept complete read."""
    return {row[0] for row in conn.execute(sql("reads/kept_connections"))}
