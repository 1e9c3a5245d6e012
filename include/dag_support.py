"""Airflow glue shared by the DAG files: settings from Variables, the run day, hooks, task bodies.

This is the only module under ``include/`` that imports Airflow. The DAG files import it at parse
time, so it imports only what is light at module level; the hooks and the pipeline (pandas, psycopg)
are imported inside the functions, which run inside tasks.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from airflow.sdk import Variable, get_current_context
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from include import alerts
from include.number_inventory import settings
from include.number_inventory.settings import Contract, SettingError

if TYPE_CHECKING:
    from include.number_inventory.store import RunInfo

log = logging.getLogger(__name__)

DEFAULT_ARGS: dict[str, Any] = {
    "owner": "voice-platform",
    "retries": 2,
    "retry_delay": dt.timedelta(minutes=2),
    # A failed task alerts through the notifier the operator configured (include/alerts.py).
    "on_failure_callback": alerts.on_failure,
}
TAGS = ["number-inventory", "audiocodes"]
#: What every DAG of the project shares: ``@dag(dag_id=..., schedule=..., **DAG_DEFAULTS)``.
DAG_DEFAULTS: dict[str, Any] = {
    "start_date": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    "catchup": False,
    "max_active_runs": 1,
    "default_args": DEFAULT_ARGS,
    "tags": TAGS,
}


def read_settings() -> dict[str, Any]:
    """Read and validate the operator's Variables; a bad value fails the task before any write."""
    try:
        return {
            "connections": list(
                settings.connection_ids(Variable.get(settings.CONNECTIONS_VARIABLE, default=None))
            ),
            "cooling_days": settings.cooling_days(Variable.get(settings.COOLING_VARIABLE, default=None)),
            "timezone": settings.timezone(Variable.get(settings.TIMEZONE_VARIABLE, default=None)),
            "guard": vars(settings.mass_removal_guard(Variable.get(settings.GUARD_VARIABLE, default=None))),
        }
    except SettingError as exc:
        raise AirflowFailException(str(exc)) from None


def run_day(context: Any, timezone: str) -> dt.date:
    """The day a run stands for: its logical date, else its data interval end, else when it was due to
    run (a manual run may have no logical date), as a date in ``timezone``. Never the wall clock."""
    moment = context.get("logical_date") or context.get("data_interval_end") or context["dag_run"].run_after
    return moment.astimezone(ZoneInfo(timezone)).date()


def run_info(context: Any, run_day_iso: str) -> RunInfo:
    """The running DAG run, for the history."""
    from include.number_inventory.store import RunInfo

    return RunInfo(context["dag"].dag_id, context["run_id"], dt.date.fromisoformat(run_day_iso))


def inventory_db(*, migrate: bool = False):
    """An autocommit psycopg connection to ``number_inventory_db``; ``migrate`` brings the schema up
    to date first (idempotent)."""
    from airflow.providers.postgres.hooks.postgres import PostgresHook

    from include.number_inventory import store

    conn = PostgresHook(postgres_conn_id=settings.INVENTORY_CONN_ID).get_conn()
    conn.autocommit = True
    if migrate:
        applied = store.migrate(conn)
        if applied:
            log.info("Applied schema migrations: %s", ", ".join(applied))
    return conn


def device_session(connection_id: str):
    """A requests session for one AudioCodes connection (Basic auth and TLS from the Airflow
    connection), its base URL, and the contract read from its extras."""
    from airflow.providers.http.hooks.http import HttpHook

    hook = HttpHook(method="GET", http_conn_id=connection_id)
    connection = hook.get_connection(connection_id)
    contract = Contract.from_extras(connection.extra_dejson, connection_id)
    session = hook.get_conn()
    for key in Contract.extra_keys():  # the hook sends unknown extras as headers; ours are not headers
        session.headers.pop(key, None)
    return session, hook.base_url, contract


def prepare(kind: str) -> dict[str, Any]:
    """Validate settings, bring the schema up to date and fix the run day, for later tasks."""
    from include.number_inventory import store

    context = get_current_context()
    values = read_settings()
    day = run_day(context, values["timezone"])
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
    return values


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
        session, base_url, contract = device_session(connection_id)
        with inventory_db() as conn:
            summary = pipeline.read_connection(
                conn,
                session,
                base_url,
                contract,
                connection_id,
                run_info(context, prepared["run_day"]),
                guard=settings.MassRemovalGuard(**prepared["guard"]),
                allow_mass_removal=allow,
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


def skip_backfill(prepared: dict[str, Any], what: str) -> None:
    """Skip a task of a run older than the latest processed day, saying so."""
    if prepared["backfill"]:
        raise AirflowSkipException(
            f"run day {prepared['run_day']} is before the latest {what} ({prepared['latest']}): {what} "
            "reads the devices as they are now, so a backfill changes nothing"
        )


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
