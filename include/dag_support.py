"""Airflow glue shared by the DAG files: settings from Variables, the run day, hooks, task bodies.

This is the only module under ``include/`` that imports Airflow. The DAG files import it at parse
time, so it imports only what is light at module level; the hooks and the pipeline (pandas, psycopg)
are imported inside the functions, which run inside tasks.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

from airflow.sdk import Variable, get_current_context
from airflow.sdk.exceptions import AirflowFailException, AirflowNotFoundException, AirflowSkipException

from include import alerts
from include.number_inventory import clock, settings
from include.number_inventory.settings import SettingError

if TYPE_CHECKING:
    from include.number_inventory.store import RunInfo

log = logging.getLogger(__name__)

#: How long a task other than a read may run: ``prepare`` (migrations included), ``reconcile`` and the
#: daily step take seconds at a million numbers (see the README's benchmarks); a task still running
#: after this waits on a lock or a database that does not answer.
TASK_TIMEOUT = dt.timedelta(minutes=15)
#: How long one device's read may run (``read_connection``): a million bindings take well under a
#: minute on a LAN; the rest is room for slow links and retried pages. A device that trickles or
#: hangs cannot hold the one active sync run for longer than this.
READ_TIMEOUT = dt.timedelta(minutes=30)
#: How long a whole run may take: reads of many connections may wait for worker slots.
DAGRUN_TIMEOUT = dt.timedelta(hours=2)

DEFAULT_ARGS: dict[str, Any] = {
    "owner": "voice-platform",
    "retries": 2,
    "retry_delay": dt.timedelta(minutes=2),
    "execution_timeout": TASK_TIMEOUT,
    # A failed task alerts through the notifier the operator configured (include/alerts.py).
    "on_failure_callback": alerts.on_failure,
}
TAGS = ["number-inventory", "audiocodes"]
#: What every DAG of the project shares: ``@dag(dag_id=..., schedule=..., **DAG_DEFAULTS)``.
DAG_DEFAULTS: dict[str, Any] = {
    "start_date": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    "catchup": False,
    "max_active_runs": 1,
    "dagrun_timeout": DAGRUN_TIMEOUT,
    "default_args": DEFAULT_ARGS,
    "tags": TAGS,
}

Task = TypeVar("Task", bound=Callable[..., Any])


def fails_at_once(task: Task) -> Task:
    """Decorate a task body: a fault that a retry cannot fix (a bad setting, a connection that is not
    defined in Airflow, an inventory database that does not exist or refuses the login, a schema the
    role may not change or a table it cannot adopt) fails the task at once, naming it, instead of
    after retries that each wait ``retry_delay``."""

    @functools.wraps(task)
    def run(*args: Any, **kwargs: Any) -> Any:
        import psycopg

        from include.number_inventory.schema import SchemaError

        try:
            return task(*args, **kwargs)
        except (SettingError, SchemaError, MissingConnection) as exc:
            raise AirflowFailException(str(exc)) from None
        except AirflowNotFoundException as exc:
            raise AirflowFailException(f"{exc}: define it in Airflow") from None
        except psycopg.OperationalError as exc:
            problem = _database_problem(exc)
            if problem is None:
                raise  # the server may be restarting, the network may come back: retried
            raise AirflowFailException(problem) from None

    return run  # type: ignore[return-value]


class MissingConnection(AirflowNotFoundException):
    """An Airflow connection the pipeline needs is not defined."""


def read_settings() -> dict[str, Any]:
    """Read and validate the operator's Variables; a bad value fails the task before any write."""
    from airflow.sdk.configuration import conf

    # One read task is mapped per connection, and Airflow maps at most [core] max_map_length.
    most = conf.getint("core", "max_map_length", fallback=settings.MAX_CONNECTIONS)
    try:
        return {
            "connections": list(
                settings.connection_ids(Variable.get(settings.CONNECTIONS_VARIABLE, default=None), limit=most)
            ),
            "cooling_days": settings.cooling_days(Variable.get(settings.COOLING_VARIABLE, default=None)),
            "timezone": settings.timezone(Variable.get(settings.TIMEZONE_VARIABLE, default=None)),
            "guard": vars(settings.mass_removal_guard(Variable.get(settings.GUARD_VARIABLE, default=None))),
            "absent_reads": settings.absent_reads(Variable.get(settings.ABSENT_READS_VARIABLE, default=None)),
        }
    except SettingError as exc:
        raise AirflowFailException(str(exc)) from None


def run_day(context: Any, timezone: str) -> dt.date:
    """The day a run stands for: its logical date, else its data interval end, else when it was due to
    run (a manual run may have no logical date), as a date in ``timezone``. Never the wall clock."""
    moment = context.get("logical_date") or context.get("data_interval_end") or context["dag_run"].run_after
    return moment.astimezone(ZoneInfo(timezone)).date()


def decide_run(context: Any, kind: str, day: dt.date, timezone: str) -> tuple[dt.date, str | None]:
    """Today, and why this run must read and change nothing (``None``: it acts). Fails the task
    when the run day is after today (``clock``); only the sync is latest-only."""
    try:
        now = clock.now(timezone)
        clock.check_not_future(day, now.date())
    except (clock.FutureRunDay, SettingError) as exc:
        raise AirflowFailException(str(exc)) from None
    if kind != "sync":
        return now.date(), None
    dag_run = context["dag_run"]
    run_type = str(getattr(dag_run.run_type, "value", dag_run.run_type))
    window = latest_only_window(context) if run_type == "scheduled" else None
    return now.date(), clock.sync_skip_reason(run_type, window, now)


def latest_only_window(context: Any) -> tuple[dt.datetime, dt.datetime] | None:
    """``(left, right)``: a scheduled run is the latest while ``left < now <= right``; ``None`` when
    its timetable schedules nothing after it. Worked out from the DAG's timetable as Airflow's
    ``LatestOnlyOperator`` does (providers/standard/operators/latest_only.py)."""
    import pendulum
    from airflow.serialization.encoders import coerce_to_core_timetable
    from airflow.timetables.base import DataInterval, TimeRestriction

    dag_run = context["dag_run"]
    moment = dag_run.logical_date or dag_run.run_after
    start = pendulum.instance(dag_run.data_interval_start or moment)
    end = pendulum.instance(dag_run.data_interval_end or moment)
    timetable = coerce_to_core_timetable(context["dag"].timetable)
    current = DataInterval(start=start, end=end)
    before = TimeRestriction(earliest=None, latest=end - dt.timedelta(microseconds=1), catchup=True)
    previous = timetable.next_dagrun_info(last_automated_data_interval=current, restriction=before)
    left = previous.data_interval.end if previous else start
    after = TimeRestriction(earliest=end, latest=None, catchup=True)
    following = timetable.next_dagrun_info(last_automated_data_interval=current, restriction=after)
    return None if following is None else (left, following.data_interval.end)


def run_info(context: Any, run_day_iso: str) -> RunInfo:
    """The running DAG run, for the history."""
    from include.number_inventory.store import RunInfo

    return RunInfo(context["dag"].dag_id, context["run_id"], dt.date.fromisoformat(run_day_iso))


def require_connections(connection_ids: list[str]) -> None:
    """Fail at once, naming them all, when connection ids of the Variable are not defined in Airflow
    (asked of Airflow at run time, through the SDK, as a read would)."""
    from airflow.sdk import Connection

    missing = []
    for connection_id in connection_ids:
        try:
            Connection.get(connection_id)
        except AirflowNotFoundException:
            missing.append(connection_id)
    if missing:
        names = ", ".join(repr(c) for c in missing)
        raise AirflowFailException(
            f"{'connection' if len(missing) == 1 else 'connections'} {names} "
            f"{'is' if len(missing) == 1 else 'are'} not defined in Airflow (listed in the Variable "
            f"{settings.CONNECTIONS_VARIABLE!r}): add {'it' if len(missing) == 1 else 'them'} "
            "(Admin → Connections, or AIRFLOW_CONN_<ID>), or run audiocodes_connection_purge to "
            "decommission a device; nothing was read"
        )


def _database_problem(error: Exception) -> str | None:
    """What to do about a failed connection to the inventory database that no retry can fix, or
    ``None`` for one that may pass (a server restarting, a network fault). PostgreSQL refuses a
    connection before any SQLSTATE reaches the client, so this reads its message."""
    text = str(error)
    missing = re.search(r'database "([^"]+)" does not exist', text)
    if missing:
        name = missing[1]
        return (
            f'database "{name}" does not exist: create it (createdb {name}, or CREATE DATABASE {name} '
            f"as a role that may), or point the connection {settings.INVENTORY_CONN_ID!r} at the right one"
        )
    if re.search(r'password authentication failed|role "[^"]+" does not exist|no password supplied', text):
        return (
            f"cannot log in to the inventory database: check the login and password of the connection "
            f"{settings.INVENTORY_CONN_ID!r}"
        )
    return None


def inventory_db(*, migrate: bool = False):
    """An autocommit psycopg connection to ``number_inventory_db``; ``migrate`` brings the schema up
    to date first (idempotent). Raises :class:`MissingConnection` when the connection is not defined
    (a task decorated with :func:`fails_at_once` then fails at once, as it does when the database does
    not exist or refuses the login)."""
    from airflow.providers.postgres.hooks.postgres import PostgresHook

    from include.number_inventory import store

    try:
        conn = PostgresHook(postgres_conn_id=settings.INVENTORY_CONN_ID).get_conn()
    except AirflowNotFoundException:
        raise MissingConnection(
            f"connection {settings.INVENTORY_CONN_ID!r} is not defined in Airflow: add it (Admin → "
            "Connections, or AIRFLOW_CONN_NUMBER_INVENTORY_DB), pointing at the inventory database"
        ) from None
    conn.autocommit = True
    if migrate:
        applied = store.migrate(conn)
        if applied:
            log.info("Applied schema migrations: %s", ", ".join(applied))
    return conn


def device_hook(connection_id: str):
    """The hook of one AudioCodes connection, whatever its type (``audiocodes``, or ``http`` with the
    same extras); its contract is checked here, so a bad extra fails before a read is begun."""
    from include.audiocodes_provider.hooks.audiocodes import AudioCodesHook

    hook = AudioCodesHook(audiocodes_conn_id=connection_id)
    hook.contract()
    return hook


@fails_at_once
def prepare(kind: str) -> dict[str, Any]:
    """Validate settings, bring the schema up to date and fix the run day, for later tasks."""
    from include.number_inventory import store

    context = get_current_context()
    values = read_settings()
    if kind == "sync":
        require_connections(values["connections"])
    day = run_day(context, values["timezone"])
    today, skip = decide_run(context, kind, day, values["timezone"])
    values.update(today=today.isoformat(), skip=skip)
    with inventory_db(migrate=True) as conn:
        latest = store.latest_run_day(conn, kind)
    values.update(run_day=day.isoformat(), latest=latest.isoformat() if latest else None)
    values["backfill"] = latest is not None and day < latest
    log.info(
        "Run day %s (latest %s run: %s); connections %s; cooling %s day(s)",
        day,
        kind,
        latest,
        values["connections"],
        values["cooling_days"],
    )
    if skip:
        log.warning("This run reads nothing and changes nothing: %s", skip)
    return values


@fails_at_once
def read_connection(connection_id: str, prepared: dict[str, Any]) -> dict[str, Any]:
    """Read one connection and keep the read when it is complete; fail the task, naming the
    connection and the reason, when it is not."""
    from include.number_inventory import pipeline
    from include.number_inventory.device_client import DeviceReadError
    from include.number_inventory.store import ReadRejected

    context = get_current_context()
    context["connection_label"] = connection_id  # shown as the mapped task's name in the UI
    allow = settings.flag("allow_mass_removal", context["params"].get("allow_mass_removal"))
    try:
        hook = device_hook(connection_id)
        with inventory_db() as conn:
            summary = pipeline.read_connection(
                conn,
                hook.read,
                connection_id,
                run_info(context, prepared["run_day"]),
                guard=settings.MassRemovalGuard(**prepared["guard"]),
                allow_mass_removal=allow,
                absent_reads=prepared.get("absent_reads", settings.DEFAULT_ABSENT_READS),
            )
    except (DeviceReadError, ReadRejected, SettingError) as exc:
        raise AirflowFailException(f"connection {connection_id!r}: {exc}") from None
    log.info(
        "Connection %s: %s bindings (%s active), %s numbers registered, %s AORs that are not numbers "
        "skipped, %s pages",
        connection_id,
        summary["bindings"],
        summary["active_bindings"],
        summary["numbers"],
        summary["skipped_aors"],
        summary["pages"],
    )
    return {k: summary[k] for k in ("connection_id", "read_id", "bindings", "numbers", "skipped_aors")}


def log_summary(title: str, summary: dict[str, Any]) -> None:
    """Write a summary to the task log, one line per figure."""
    log.info(
        "%s\n%s", title, "\n".join(f"  {k:<28} {json.dumps(v, default=str)}" for k, v in summary.items())
    )


def reads_devices(prepared: dict[str, Any]) -> bool:
    """Whether this sync run reads the devices: not for a backfill, nor when it is not for now."""
    return not (prepared["backfill"] or prepared.get("skip"))


def skip_backfill(prepared: dict[str, Any], what: str) -> None:
    """Skip a task of a run that does not stand for now, or is older than the latest processed day,
    saying so."""
    if prepared.get("skip"):
        raise AirflowSkipException(f"run day {prepared['run_day']}: {prepared['skip']}")
    if prepared["backfill"]:
        raise AirflowSkipException(
            f"run day {prepared['run_day']} is before the latest {what} ({prepared['latest']}): {what} "
            "reads the devices as they are now, so a backfill changes nothing"
        )


@fails_at_once
def reconcile(prepared: dict[str, Any]) -> dict[str, Any]:
    """The sync's reconcile step, with its summary in the task log."""
    from include.number_inventory import pipeline

    context = get_current_context()
    with inventory_db() as conn:
        summary = pipeline.sync(
            conn, run_info(context, prepared["run_day"]), prepared["connections"], prepared["cooling_days"]
        )
    log_summary("Sync summary", summary)
    return summary


@fails_at_once
def check_reads(prepared: dict[str, Any]) -> None:
    """Fail, naming each configured connection without a complete read in this run."""
    from include.number_inventory import pipeline

    context = get_current_context()
    with inventory_db() as conn:
        problems = pipeline.check_reads(conn, context["run_id"], prepared["connections"])
    if problems:
        raise AirflowFailException(
            "Some connections were not read; their numbers keep their previous read:\n  "
            + "\n  ".join(problems)
        )
    log.info("All %s connection(s) read completely", len(prepared["connections"]))


@fails_at_once
def release_and_audit(prepared: dict[str, Any]) -> dict[str, Any]:
    """The daily step, with its summary in the task log."""
    from include.number_inventory import pipeline

    context = get_current_context()
    dry_run = settings.flag("dry_run", context["params"].get("dry_run"))
    with inventory_db() as conn:
        summary = pipeline.daily(
            conn,
            run_info(context, prepared["run_day"]),
            prepared["connections"],
            prepared["cooling_days"],
            dry_run=dry_run,
        )
    log_summary("Daily release and audit" + (" (dry run: nothing written)" if dry_run else ""), summary)
    return summary


@fails_at_once
def purge(prepared: dict[str, Any]) -> dict[str, Any]:
    """The purge step: checks the form, then decommissions the connection."""
    from include.number_inventory import pipeline

    context = get_current_context()
    connection_id = str(context["params"].get("connection_id") or "").strip()
    confirm = str(context["params"].get("confirm") or "").strip()
    if not connection_id:
        raise AirflowFailException("Parameter 'connection_id' is required: the connection to decommission")
    if confirm != connection_id:
        raise AirflowFailException(
            f"Parameter 'confirm' must repeat the connection id {connection_id!r}; nothing was changed"
        )
    try:
        with inventory_db() as conn:
            summary = pipeline.purge(
                conn,
                run_info(context, prepared["run_day"]),
                connection_id,
                prepared["connections"],
                prepared["cooling_days"],
            )
    except SettingError as exc:
        raise AirflowFailException(str(exc)) from None
    log_summary(f"Purged connection {connection_id}", summary)
    if connection_id in prepared["connections"]:
        log.warning("Now remove %r from the Variable %s", connection_id, settings.CONNECTIONS_VARIABLE)
    return summary


def triggering_user(context: Any) -> str:
    """Who triggered the running DAG run (``dag_test`` for ``dag.test()``), or ``unknown`` when Airflow
    does not say (a run created without a user)."""
    return getattr(context["dag_run"], "triggering_user_name", None) or "unknown"


@fails_at_once
def manual_action(prepared: dict[str, Any]) -> dict[str, Any]:
    """The manual action step: checks the form, then applies the action to every number or to none,
    recording who triggered the run and why."""
    import dataclasses

    from include.number_inventory import actions, pipeline

    context = get_current_context()
    params = context["params"]
    dry_run = settings.flag("dry_run", params.get("dry_run"))
    try:
        request = actions.parse_request(
            params.get("action"), params.get("numbers"), params.get("days"), params.get("reason")
        )
        run = dataclasses.replace(
            run_info(context, prepared["run_day"]), actor=triggering_user(context), note=request.note
        )
        log.info(
            "%s of %s number(s) for %s (%s)%s",
            request.action,
            len(request.numbers),
            run.actor,
            request.note,
            ", dry run: nothing is written" if dry_run else "",
        )
        with inventory_db() as conn:
            summary = pipeline.manual_action(conn, run, request, dry_run=dry_run)
    except actions.ActionError as exc:
        raise AirflowFailException(str(exc)) from None
    changes = summary.pop("changes")
    unchanged = summary.pop("unchanged_numbers")
    verb = "Would change" if dry_run else "Changed"
    log.info("%s %s number(s):\n  %s", verb, len(changes), "\n  ".join(changes) or "none")
    if unchanged:
        log.info("Already where %s leads, left alone: %s", request.action, ", ".join(unchanged))
    log_summary(
        f"Manual action {request.action}" + (" (dry run: nothing written)" if dry_run else ""), summary
    )
    return summary
