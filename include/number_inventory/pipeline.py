"""The steps of the DAGs, as plain functions of a database connection and validated settings.

Each step that writes the inventory holds the inventory lock for one transaction: it loads what it
needs, plans with ``transitions`` and applies the plan set-based, so a crash anywhere leaves the
inventory as it was. The DAG files call these through ``number_inventory.airflow_glue.tasks``; benchmarks and the
demo call them directly.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import logging
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

import psycopg

from number_inventory import report, store, tenants
from number_inventory.device_client import Binding, DeviceReadError, ReadResult
from number_inventory.settings import (
    DEFAULT_READ_AGE_HOURS,
    READ_AGE_VARIABLE,
    MassRemovalGuard,
    SettingError,
)
from number_inventory.store import RunInfo

if TYPE_CHECKING:  # the planners (pandas) are imported by the steps that plan: a read needs none
    import pandas as pd

    from number_inventory import actions
    from number_inventory.dial_plan import DialPlan

log = logging.getLogger(__name__)

#: The audit's check name for a kept read of a connection that is no longer configured.
UNCONFIGURED_CONNECTION = "unconfigured_connection"
#: The audit's check name for a configured connection whose last complete read is too old, or missing.
STALE_READ = "stale_read"

#: The audit's check name for a configured connection whose stale read withholds the release of the
#: cooling numbers last seen on it (issue 22).
RELEASE_WITHHELD_STALE = "release_withheld_stale"
#: The daily trigger parameter that releases them anyway.
RELEASE_DESPITE_STALE = "release_despite_stale"


#: Why a sync for a day before the latest sync (a backfill) reads nothing and changes nothing.
class RunSkipped(Exception):
    """This run reads and changes nothing, for the reason the message gives (a sync for a day earlier
    than the latest sync, found under the inventory lock): the task is skipped, saying why."""


SYNC_BACKFILL = "the sync reads the devices as they are now, so a backfill changes nothing"


class ReadsFailed(Exception):
    """Configured connections without a complete read in this sync run (:func:`check_reads`): the run
    fails, naming each and why (``problems``, a line each); their numbers keep their previous read.
    No retry mends it: the next run reads them again."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__(
            "Some connections were not read; their numbers keep their previous read:\n  "
            + "\n  ".join(self.problems)
        )


class StaleReads(Exception):
    """Configured connections whose last complete read is too old, found by a daily run that has
    recorded everything else (:func:`check_fresh`): the run fails so that the on-call engineer is
    alerted, naming each connection, its age and the releases it withholds."""


#: Bindings staged per COPY while reading a connection, and the most AOR and contact text (in
#: characters) a batch holds before it is staged: whichever comes first. The text bound keeps a
#: read of long, hostile AORs from holding 20,000 of them.
STAGE_BATCH = 20_000
STAGE_BATCH_CHARS = 4_000_000


class DeviceReader(Protocol):
    """Reads one device's registered users, handing each page to ``on_page`` and calling
    ``on_restart`` when the read starts over; raises ``DeviceReadError`` when it cannot complete.
    In the DAGs, ``AudioCodesHook.read``; elsewhere, ``functools.partial(read_registered_users,
    session, base_url, contract)``."""

    def __call__(
        self, *, on_page: Callable[[Sequence[Binding]], None], on_restart: Callable[[], None]
    ) -> ReadResult: ...


def read_connection(
    conn: psycopg.Connection,
    read_device: DeviceReader,
    connection_id: str,
    run: RunInfo,
    *,
    guard: MassRemovalGuard,
    allow_mass_removal: bool = False,
    absent_reads: int = 1,
    now: Callable[[], dt.datetime] | None = None,
    dial_plan: DialPlan | None = None,
    site: str = "",
) -> dict[str, Any]:
    """Read one connection's registered users into the stage and, when the read is complete and
    plausible, keep it as the connection's read. Any failure is recorded and re-raised; the
    connection then keeps its previous read. ``absent_reads``: Variable ``audiocodes_absent_reads``
    (see ``reads/promote_read_connection.sql``); ``now``: the project's clock, which times the kept read
    (default: the database's); ``dial_plan``: the connection's, which makes its numbers canonical;
    ``site``: the connection's extra ``site``, recorded with the kept read. Works on the inventory of
    ``conn``'s tenant (``tenants.within``)."""
    read = store.StagedRead(store.begin_read(conn, connection_id, run))
    # Pages are staged a few at a time: fewer, larger COPYs, and the memory held stays bounded by
    # STAGE_BATCH bindings and STAGE_BATCH_CHARS of their text.
    batch: list[tuple[str, str]] = []
    chars = 0

    def flush() -> None:
        nonlocal chars
        if batch:
            store.stage_bindings(conn, read, batch, dial_plan)
            batch.clear()
        chars = 0

    def stage(items: Sequence[tuple[str, str]]) -> None:
        nonlocal chars
        batch.extend(items)
        chars += len("".join(itertools.chain.from_iterable(items)))  # about 0.1 ms per 1000 bindings
        if len(batch) >= STAGE_BATCH or chars >= STAGE_BATCH_CHARS:
            flush()

    def restart() -> None:
        nonlocal chars
        batch.clear()
        chars = 0
        store.reset_read(conn, read)

    try:
        result = read_device(on_page=stage, on_restart=restart)
        flush()
    except DeviceReadError as exc:
        store.fail_read(conn, read.read_id, str(exc))
        raise
    except BaseException as exc:
        store.fail_read(conn, read.read_id, f"{type(exc).__name__} during the read")
        raise
    summary = store.finish_read(
        conn,
        read,
        connection_id,
        total=result.total,
        pages=result.pages,
        guard=guard,
        allow_mass_removal=allow_mass_removal,
        absent_reads=absent_reads,
        read_at=now() if now else None,
        plan=dial_plan,
        site=site,
    )
    if read.skipped_samples:
        log.info(
            "%s: %d AORs that are not numbers were skipped, for example %s",
            connection_id,
            read.skipped_aors,
            read.skipped_samples,
        )
    return summary


#: A named tenant's summary leaves out what only the log needs: XCom holds counts and messages.
_LOG_ONLY = ("conflicts_sample",)


def per_tenant(
    conn: psycopg.Connection,
    groups: Mapping[str, Sequence[str]],
    step: Callable[[Sequence[str]], dict[str, Any]],
) -> dict[str, Any]:
    """Run ``step`` once per tenant of ``groups`` (``tenants.groups``: each tenant's configured
    connections), within that tenant's inventory and with its connections alone: its cooling, guard,
    absent reads, staleness and clock never see another tenant's reads. Each tenant runs on its own:
    one that fails (its error then names the tenant) does not keep the others from running, and the
    first failure is raised once all have run.

    The summary is the global tenant's, exactly as without tenants, with ``tenants``: each named
    tenant's summary by name (without its samples) when there are named tenants."""
    summaries: dict[str, dict[str, Any]] = {}
    failed: Exception | None = None
    for tenant, connection_ids in groups.items():
        try:
            with tenants.within(conn, tenant), tenants.naming(tenant):
                summaries[tenant] = step(connection_ids)
        except Exception as exc:
            log.error("%s: %s", tenants.label(tenant), exc)
            failed = failed or exc
        else:
            if tenant:
                log.info("%s: %s", tenants.label(tenant), summaries[tenant])
    if failed is not None:
        raise failed
    summary = summaries.pop(tenants.GLOBAL)
    if summaries:
        summary["tenants"] = {
            tenant: {k: v for k, v in brief.items() if k not in _LOG_ONLY}
            for tenant, brief in summaries.items()
        }
    return summary


def total_across_tenants(summary: dict[str, Any], key: str) -> int:
    """The count ``key`` of a :func:`per_tenant` summary, summed over every tenant."""
    named = summary.get("tenants", {}).values()
    return (summary.get(key) or 0) + sum(s.get(key) or 0 for s in named)


def lines_across_tenants(summary: dict[str, Any], key: str) -> list[str]:
    """The lines ``key`` of a :func:`per_tenant` summary over every tenant, each named tenant's
    prefixed with its name."""
    named = summary.get("tenants", {})
    lines = [f"{tenants.label(t)}: {line}" for t, s in named.items() for line in s.get(key) or []]
    return [*(summary.get(key) or []), *lines]


def backfill(conn: psycopg.Connection, kind: str, run_day: dt.date) -> str | None:
    """Why a run of ``kind`` for ``run_day`` is a backfill: a run of that kind has processed a later
    day already (``None`` when it has not). The one place that decides it.

    Asked holding the inventory lock (taken here; inside a step's transaction, which holds it
    already, this is a savepoint), so within the caller's transaction no run can record a later day
    between this answer and the writes that follow it. The sync's ``prepare`` asks it too, before
    any device is read; the sync itself asks again, as the lock has been let go in between.
    """
    with conn.transaction():
        store.lock_inventory(conn)
        latest = store.latest_run_day(conn, kind)
    if latest is None or run_day >= latest:
        return None
    return f"run day {run_day} is before the latest {kind} ({latest})"


def _unread(conn: psycopg.Connection, connection_ids: Sequence[str]) -> list[str]:
    kept = store.kept_connections(conn)
    return [c for c in connection_ids if c not in kept]


def _unconfigured(conn: psycopg.Connection, connection_ids: Sequence[str]) -> list[tuple[str, int, str]]:
    """``(connection, numbers, message)`` for each kept read of a connection that is no longer
    configured. Its numbers stay registered until the purge DAG decommissions it: dropping an id
    from the Variable must not cool a device's numbers."""
    found = []
    for connection_id, numbers in store.unconfigured_connections(conn, connection_ids).items():
        message = (
            f"connection {connection_id} is no longer configured; its kept read still registers "
            f"{numbers} numbers: purge it or configure it again"
        )
        log.warning("%s", message)
        found.append((connection_id, numbers, message))
    return found


def _stale(
    conn: psycopg.Connection,
    connection_ids: Sequence[str],
    now: dt.datetime | None,
    max_read_age: dt.timedelta,
) -> list[tuple[str, int, str, str]]:
    """``(connection, numbers, message, what)`` for each configured connection whose last complete
    read is older than ``max_read_age`` at ``now``, or that was never read completely (``what``:
    since when, for other messages). Its numbers stay as its old read left them: staleness cools
    nothing; it alarms, and withholds the release of the numbers last seen on it
    (:func:`_withhold_stale`)."""
    hours = max_read_age / dt.timedelta(hours=1)
    found = []
    for connection_id, read_at, age, numbers in store.stale_connections(
        conn, connection_ids, now, max_read_age
    ):
        if read_at is None:
            what = "has never been read completely"
        else:
            when = read_at.astimezone(now.tzinfo if now else dt.UTC).isoformat(sep=" ", timespec="minutes")
            what = f"was last read completely {age / dt.timedelta(hours=1):.1f} hours ago ({when})"
        message = (
            f"connection {connection_id} {what}, more than {READ_AGE_VARIABLE} ({hours:g}) allows; "
            f"its old read still holds {numbers} numbers Used and nothing is cooled on its account: see "
            "why its reads fail (the sync's read_connection task), fix the device or its connection, "
            "or purge it if it is decommissioned"
        )
        log.warning("%s", message)
        found.append((connection_id, numbers, message, what))
    return found


def _withhold_stale(
    conn: psycopg.Connection, released: pd.DataFrame, stale: Sequence[str]
) -> tuple[pd.Series, Counter[str]]:
    """Which rows of ``released`` (a release plan) are the release of a number last seen on one of
    the ``stale`` connections, and how many such numbers each of those connections has. Such a
    connection cannot confirm that the number is still gone from it (it may have registered again
    since its last complete read): releasing it could hand out a number that is in use."""
    import pandas as pd

    due = released["reason"] == "released"
    if not stale or not due.any():
        return pd.Series(False, index=released.index), Counter()
    seen = store.last_seen_on(conn, released.loc[due, "number"].tolist(), stale)
    held = {number for number, _ in seen}
    return due & released["number"].isin(held), Counter(connection_id for _, connection_id in seen)


def _cooling_from(
    conn: psycopg.Connection, run_day: dt.date, connection_ids: Sequence[str], timezone: str | None
) -> tuple[dt.date, str | None]:
    """The day cooling counts from, and a note when that is not ``run_day``: the day (in ``timezone``,
    the project's clock's zone) of the latest kept read of ``connection_ids`` when it is after
    ``run_day``. The devices are read as they are now, so a number missing from a read made on
    2026-12-07 was seen gone on 2026-12-07, even in a manual run for 2026-12-04: counted from the
    run day, it would be released three days early. ``timezone`` ``None``: from ``run_day`` (a
    caller planning a given day with reads it staged itself, such as the benchmarks)."""
    if timezone is None:
        return run_day, None
    read_at = store.latest_read_at(conn, connection_ids)
    if read_at is None:
        return run_day, None
    read_day = read_at.astimezone(ZoneInfo(timezone)).date()
    if read_day <= run_day:
        return run_day, None
    note = f"cooling counted from {read_day}, the day of the read, not the run day {run_day}"
    log.warning(
        "The devices were last read on %s (%s), after this run's day %s (an earlier logical date): %s",
        read_day,
        timezone,
        run_day,
        note,
    )
    return read_day, note


def _cooling_summary(cool_from: dt.date, note: str | None) -> dict[str, str]:
    return {"cooling_from": cool_from.isoformat(), "cooling_note": note} if note else {}


def sync(
    conn: psycopg.Connection,
    run: RunInfo,
    connection_ids: Sequence[str],
    cooling_days: int,
    *,
    batch_rows: int | None = None,
    timezone: str | None = None,
) -> dict[str, Any]:
    """Reconcile the inventory with the kept reads of ``connection_ids`` (the SPEC's transition table).

    A sync for a day earlier than the latest sync changes nothing: the devices can only be read as
    they are now. While some connection has never been read completely, nothing is cooled. Cooling
    counts from the run day, or from the day of the latest kept read in ``timezone`` when that is
    later (``_cooling_from``: a manual run with an earlier logical date reads the devices today). It
    plans by number range, about ``batch_rows`` rows at a time (see ``batches``), in one transaction;
    the result is the same for any split.
    """
    from number_inventory import transitions

    with conn.transaction():
        store.lock_inventory(conn)
        store.tune_transaction(conn)
        skipped = backfill(conn, "sync", run.run_day)
        if skipped:
            raise RunSkipped(f"{skipped}: {SYNC_BACKFILL}")
        unread = _unread(conn, connection_ids)
        unconfigured = _unconfigured(conn, connection_ids)
        cool_from, cooling_note = _cooling_from(conn, run.run_day, connection_ids, timezone)
        writer = store.ChangeWriter(conn, run)
        inventory = registered = 0
        counts: Counter[str] = Counter()
        conflicts: list[str] = []
        for numbers in store.number_ranges(conn, batch_rows):
            # Only the rows the transition table can change or report (every kept read's
            # registrations): the plan is the same as for the whole range (transitions.sync_candidates).
            part = store.load_sync_candidates(conn, numbers)
            plan = transitions.plan_sync(
                part.inventory, part.registered, cool_from, cooling_days, can_cool=not unread
            )
            writer.write(plan.changes, numbers)
            inventory += part.inventory_rows
            registered += part.registered_numbers
            counts.update(plan.counts())
            conflicts = sorted([*conflicts, *plan.conflicts["number"].sort_values().head(20)])[:20]
            del part, plan  # before the next range loads: one range in memory
        summary = {
            "run_day": run.run_day.isoformat(),
            "inventory": inventory,
            "registered_numbers": registered,
            "written": writer.finish(),
            **{reason: counts[reason] for reason in sorted(counts) if reason not in ("conflict", "withheld")},
            "conflict": counts["conflict"],
            "withheld": counts["withheld"],
            "never_read": unread,
            "unconfigured_connections": [message for _, _, message in unconfigured],
            "conflicts_sample": conflicts,
            **_cooling_summary(cool_from, cooling_note),
        }
        store.record_run(conn, "sync", run, summary)
    return summary


def daily(
    conn: psycopg.Connection,
    run: RunInfo,
    connection_ids: Sequence[str],
    cooling_days: int,
    *,
    dry_run: bool = False,
    now: dt.datetime | None = None,
    max_read_age: dt.timedelta = dt.timedelta(hours=DEFAULT_READ_AGE_HOURS),
    batch_rows: int | None = None,
    timezone: str | None = None,
    release_despite_stale: bool = False,
    actor: str | None = None,
) -> dict[str, Any]:
    """Release the due cooling numbers, recount the Tag of the rest, then audit AudioCodes numbers
    against the kept reads; record findings.

    A configured connection whose last complete read is older than ``max_read_age`` at ``now`` (the
    project's clock; default the database's), or that was never read completely, is a ``stale_read``
    finding, listed in the summary's ``stale_reads`` for the caller to fail the run on; it changes no
    number. The release of a due cooling number last seen on such a connection is withheld (a
    ``release_withheld_stale`` finding per connection, with the count), unless
    ``release_despite_stale``: then it is released, its history naming ``actor`` and why. The audit
    cools from the day of the latest kept read in ``timezone`` when that is after
    the run day, as the sync does (``_cooling_from``).

    A daily run for a past day never gets here: it only writes its day's report (:func:`daily_report`;
    the caller decides that from the run day and the clock alone). For a day earlier than the latest
    daily run (the day before, within the clock's slack) it does what any run does but never counts
    Tags back into the past. ``dry_run`` writes nothing at all and reports what would change. Like the
    sync it works by number range, about ``batch_rows`` rows at a time, in one transaction.
    """
    from number_inventory import transitions

    with conn.transaction():
        store.lock_inventory(conn)
        store.tune_transaction(conn)
        # Tags count down to the latest run day: a run for an earlier day leaves them as they are.
        recount = backfill(conn, "daily", run.run_day) is None
        unread = _unread(conn, connection_ids)
        unconfigured = _unconfigured(conn, connection_ids)
        stale = _stale(conn, connection_ids, now, max_read_age)
        stale_ids = [connection_id for connection_id, *_ in stale]
        cool_from, cooling_note = _cooling_from(conn, run.run_day, connection_ids, timezone)
        writer = store.ChangeWriter(conn, run)
        despite_note = f"released despite a stale read of {', '.join(stale_ids)} ({RELEASE_DESPITE_STALE})"
        # The releases despite a stale read are written on their own, so that their history names who
        # asked for them and why.
        despite_writer = None
        if release_despite_stale and stale_ids and not dry_run:
            despite_writer = store.ChangeWriter(
                conn, dataclasses.replace(run, actor=actor, note=despite_note)
            )
        inventory = released_count = recounted = repaired = despite = 0
        withheld_by: Counter[str] = Counter()
        withheld_numbers = 0
        checks: Counter[str] = Counter()
        for numbers in store.number_ranges(conn, batch_rows):
            # Only the rows the release and the audit can change or report, with the registered
            # numbers (every kept read) among them or not in the inventory: the plan is the same as
            # for the whole range (transitions.daily_candidates).
            candidates = store.load_daily_candidates(conn, numbers)
            part = candidates.inventory
            released = transitions.plan_release(part, run.run_day, recount=recount)
            held, by_connection = _withhold_stale(conn, released, stale_ids)
            if release_despite_stale:
                despite += int(held.sum())
            else:
                released = released[~held]
                withheld_by.update(by_connection)
                withheld_numbers += int(held.sum())
            repairs, findings = transitions.plan_audit(
                transitions.apply_to_frame(part, released),
                candidates.registered,
                cool_from,
                cooling_days,
                can_cool=not unread,
            )
            inventory += candidates.inventory_rows
            released_count += int((released["reason"] == "released").sum())
            recounted += int((released["reason"] == "tag_recount").sum())
            repaired += len(repairs)
            checks.update(findings["check"].astype(str).tolist())
            if not dry_run:
                if despite_writer is not None:
                    despite_writer.write(released[held], numbers)
                    released = released[~held]
                writer.write(released, numbers)
                writer.write(repairs, numbers)
                store.record_findings(conn, findings, run)
            del candidates, part, released, held, repairs, findings  # one range in memory at a time
        checks = {k: checks[k] for k in sorted(checks)}
        if unconfigured:
            checks[UNCONFIGURED_CONNECTION] = len(unconfigured)
        if stale:
            checks[STALE_READ] = len(stale)
        whats = {connection_id: what for connection_id, _, _, what in stale}
        withheld = [
            (connection_id, count, _withheld_message(connection_id, whats[connection_id], count))
            for connection_id, count in sorted(withheld_by.items())
        ]
        if withheld:
            checks[RELEASE_WITHHELD_STALE] = len(withheld)
        summary = {
            "run_day": run.run_day.isoformat(),
            "report_only": False,
            "dry_run": dry_run,
            "inventory": inventory,
            "released": released_count,
            "tags_recounted": recounted,
            "findings": checks,
            "repaired": repaired,
            "never_read": unread,
            "unconfigured_connections": [message for _, _, message in unconfigured],
            "stale_reads": [message for _, _, message, _ in stale],
            **_cooling_summary(cool_from, cooling_note),
        }
        if withheld:
            summary[RELEASE_WITHHELD_STALE] = [message for _, _, message in withheld]
            summary["withheld_releases"] = withheld_numbers
        if despite:
            summary["released_despite_stale"] = despite
            log.warning("%d cooling number(s) %s, for %s", despite, despite_note, actor or "an unknown actor")
        if dry_run:
            summary["written"] = 0
            summary["repaired"] = 0
            return summary
        summary["written"] = writer.finish() + (despite_writer.finish() if despite_writer else 0)
        store.record_connection_findings(conn, UNCONFIGURED_CONNECTION, unconfigured, run)
        store.record_connection_findings(conn, STALE_READ, [f[:3] for f in stale], run)
        store.record_connection_findings(conn, RELEASE_WITHHELD_STALE, withheld, run)
        store.record_run(conn, "daily", run, summary)
    return summary


def daily_report(
    conn: psycopg.Connection,
    run: RunInfo,
    timezone: str,
    *,
    report_only: str | None = None,
    dry_run: bool = False,
) -> dict[str, Any]:
    """Write the daily report of ``run``'s day as of the day's end, from the history (``report``);
    a run that acts (``report_only`` is ``None``) rewrites the day before's too, which is complete by
    now. A report-only run (a past day: ``report_only`` says why) does only this. Reads the history,
    writes only the report table: it takes no inventory lock and waits for no other run. ``dry_run``
    works the reports out and writes nothing."""
    days = [run.run_day] if report_only else [run.run_day - dt.timedelta(days=1), run.run_day]
    reports = [report.write(conn, day, timezone, run, dry_run=dry_run) for day in days]
    summary: dict[str, Any] = {
        "run_day": run.run_day.isoformat(),
        "report_only": report_only or False,
        "dry_run": dry_run,
        "days": [day.isoformat() for day in days],
        **report.brief(reports[-1]),
    }
    if report_only:
        log.info("%s", report_only)
    return summary


def _withheld_message(connection_id: str, what: str, count: int) -> str:
    message = (
        f"connection {connection_id} {what}: the release of {count} cooling number(s) last seen on it is "
        "withheld, as it cannot confirm that they are still gone from it; they stay Cooling until it is "
        "read completely again. Fix the device or its connection, purge it if it is decommissioned, or "
        f"trigger the daily run with {RELEASE_DESPITE_STALE} to release them anyway"
    )
    log.warning("%s", message)
    return message


def purge(
    conn: psycopg.Connection,
    run: RunInfo,
    connection_id: str,
    connection_ids: Sequence[str],
    cooling_days: int,
    *,
    batch_rows: int | None = None,
) -> dict[str, Any]:
    """Decommission ``connection_id``: drop its kept read and cool, by the normal rules, the numbers
    that no other kept read registers (configured or not).

    Like the sync, it withholds all cooling while a configured connection has never been read
    completely (the numbers may be that connection's) and says so; the next sync after that read
    cools them. Like the sync it plans by number range, about ``batch_rows`` rows at a time, in one
    transaction, loading only the purged numbers and their inventory rows; the result is the same
    for any split.
    """
    from number_inventory import transitions

    with conn.transaction():
        store.lock_inventory(conn)
        store.tune_transaction(conn)
        if connection_id not in store.kept_connections(conn):
            raise SettingError(f"connection {connection_id!r} has no kept read: there is nothing to purge")
        unread = _unread(conn, [c for c in connection_ids if c != connection_id])
        ranges = store.number_ranges(conn, batch_rows)  # before the purge: its registrations count too
        purged = store.purge_connection(conn, connection_id, run)
        writer = store.ChangeWriter(conn, run)
        kept_elsewhere = withheld = 0
        for numbers in ranges:
            part = store.purged_numbers(conn, numbers)
            elsewhere = part["number"][part["elsewhere"]]
            inventory = store.load_purged_inventory(conn, numbers)
            changes = transitions.plan_purge(inventory, part["number"], elsewhere, run.run_day, cooling_days)
            kept_elsewhere += len(elsewhere)
            if unread:
                withheld += len(changes)
            else:
                writer.write(changes, numbers)
            del part, elsewhere, inventory, changes  # before the next range loads: one range in memory
        if unread:
            log.warning(
                "%s never been read completely: its numbers are unknown, so the purge of %s cools "
                "nothing (%d numbers withheld, still Used); the next sync after it is read cools them",
                _have(unread),
                connection_id,
                withheld,
            )
        summary = {
            "run_day": run.run_day.isoformat(),
            "connection_id": connection_id,
            "numbers": purged,
            "kept_by_other_connections": kept_elsewhere,
            "cooled": writer.finish(),
            "withheld": withheld,
            "never_read": unread,
        }
        store.record_run(conn, "purge", run, summary)
    return summary


def _have(connection_ids: Sequence[str]) -> str:
    if len(connection_ids) == 1:
        return f"configured connection {connection_ids[0]} has"
    return f"configured connections {', '.join(connection_ids)} have"


def check_reads(conn: psycopg.Connection, run_id: str, connection_ids: Sequence[str]) -> None:
    """Raise :class:`ReadsFailed`, a line per configured connection that has no complete read in
    this run saying why, when there is any."""
    reads = {r["connection_id"]: r for r in store.reads_of_run(conn, run_id)}
    problems = []
    for connection_id in connection_ids:
        read = reads.get(connection_id)
        if read is None:
            problems.append(f"{connection_id}: not read in this run")
        elif read["state"] != "complete":
            problems.append(f"{connection_id}: {read['state']}: {read['error']}")
    if problems:
        raise ReadsFailed(problems)


def check_fresh(summary: dict[str, Any], max_read_age_hours: int) -> None:
    """Raise :class:`StaleReads` when the daily run summed up in ``summary`` (of :func:`daily`, which
    committed first) found stale reads, naming each stale connection and each withheld release; a
    dry run only reports them."""
    stale = lines_across_tenants(summary, "stale_reads")
    if stale and not summary["dry_run"]:
        withheld = lines_across_tenants(summary, RELEASE_WITHHELD_STALE)
        raise StaleReads(
            f"stale_read: {len(stale)} configured connection(s) not read completely for more than "
            f"{max_read_age_hours} hour(s); the rest of the daily run was done and recorded:\n  "
            + "\n  ".join([*stale, *withheld])
        )


def manual_action(
    conn: psycopg.Connection, run: RunInfo, request: actions.ActionRequest, *, dry_run: bool = False
) -> dict[str, Any]:
    """Apply an operator's action to the numbers of ``request``, all or nothing.

    Under the inventory lock, every number is checked against its row and the kept reads (see
    ``actions``); if any cannot take the action, :class:`actions.ActionError` names each and why, and
    nothing is written. Otherwise the changes and their history (with ``run.actor`` and
    ``run.note``) are written in one transaction. ``dry_run`` checks the same and writes nothing.
    """
    from number_inventory import actions

    with conn.transaction():
        store.lock_inventory(conn)
        inventory = store.load_numbers(conn, request.numbers)
        registrations = actions.registrations_by_number(store.registering_connections(conn, request.numbers))
        plan = actions.plan_action(request, inventory, registrations, run.run_day)
        if len(plan.refusals):
            raise actions.ActionError(
                f"{request.action} refused for {len(plan.refusals)} of {len(request.numbers)} number(s); "
                "nothing was written:\n  " + "\n  ".join(plan.refusal_lines())
            )
        summary = {
            "run_day": run.run_day.isoformat(),
            "action": request.action,
            "days": request.days,
            "reason": request.note,
            "actor": run.actor,
            "dry_run": dry_run,
            "numbers": len(request.numbers),
            **plan.counts(),
            "changes": [_described(c) for c in plan.changes.to_dict("records")],
            "unchanged_numbers": plan.unchanged["number"].tolist(),
        }
        if dry_run:
            summary["written"] = 0
            return summary
        written = store.apply_changes(conn, plan.changes, run)
        if written != len(plan.changes):
            # A hand edit landed between the load and the write (it does not take the lock).
            raise actions.ActionError(
                f"{len(plan.changes) - written} number(s) changed while {request.action} ran; nothing was "
                "written: run it again"
            )
        summary["written"] = written
        store.record_run(conn, "action", run, {k: v for k, v in summary.items() if k != "changes"})
    return summary


def _described(change: dict[str, Any]) -> str:
    """One planned change as the log shows it: ``1000: Cooling (2026-11-05) → Available``."""

    def state(prefix: str) -> str:
        status, release = change[f"{prefix}status"], change[f"{prefix}release_date"]
        return f"{status} ({release})" if release else str(status)

    return f"{change['number']}: {state('before_')} → {state('')}"


def canonicalise(
    conn: psycopg.Connection, run: RunInfo, connection_id: str, dial_plan: DialPlan, *, apply: bool = False
) -> dict[str, Any]:
    """The action ``canonicalise_numbers``: move the inventory and ``connection_id``'s kept read to
    its ``dial_plan`` (see :mod:`number_inventory.canonical`), under the inventory lock, in one
    transaction. Without ``apply`` (the default) it only reports what it would do. Returns a summary
    whose ``moves`` and ``findings`` say, one line each, what was (or would be) merged or renamed and
    what is left for an operator."""
    from number_inventory import canonical

    with conn.transaction():
        store.lock_inventory(conn)
        bare, registered = store.numbers_to_canonicalise(conn, dial_plan, connection_id)
        found = canonical.candidates(dial_plan, dict.fromkeys([*bare, *registered]))
        rows = store.canonical_rows(conn, [*found, *{c for c in found.values() if c}])
        plan = canonical.plan_canonical(found, rows, registered)
        summary = {
            "run_day": run.run_day.isoformat(),
            "action": canonical.ACTION,
            "connection_id": connection_id,
            "dial_plan": dial_plan.describe(),
            "reason": run.note,
            "actor": run.actor,
            "applied": apply,
            **plan.counts(),
            "accepted": plan.accepted,
            "moves": [f"{old} → {new}" for old, new, _ in plan.moves],
            "findings": [f"{f['number']}: {f['check']}: {f['why']}" for f in plan.findings],
        }
        if not apply:
            summary["written"] = 0
            return summary
        summary["written"] = store.write_canonical(conn, plan, run, connection_id, dial_plan)
        store.record_run(
            conn, "action", run, {k: v for k, v in summary.items() if k not in ("moves", "findings")}
        )
    return summary
