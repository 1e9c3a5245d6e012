"""The task bodies of the DAGs: read the settings a task needs, open its connections, call the
pipeline, log its summary. The DAG files only wire these together.

A body takes what it needs of the running task's context as keyword arguments named after the
context's keys (``params``, ``dag_run``, ``ti``, ``outlet_events``, ``dag``), which its DAG file's
TaskFlow task declares with a default of ``None`` (Airflow fills them in) and hands on.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from airflow.sdk.exceptions import AirflowFailException, AirflowNotFoundException, AirflowSkipException

from number_inventory import clock, settings, tenants
from number_inventory.action_form import BLOCK_ACTIONS
from number_inventory.airflow_glue import alerts, assets, run_notes
from number_inventory.airflow_glue.connections import (
    MissingConnection,
    database_problem,
    device_hook,
    inventory_db,
    require_connections,
    tenants_of,
)
from number_inventory.airflow_glue.prepared import Prepared
from number_inventory.airflow_glue.run_day import daily_report_only, decide_run, run_day
from number_inventory.airflow_glue.variables import read_settings
from number_inventory.dial_plan import CANONICALISE_ACTION
from number_inventory.settings import SettingError

if TYPE_CHECKING:
    from number_inventory.store import RunInfo

log = logging.getLogger(__name__)

Task = TypeVar("Task", bound=Callable[..., Any])


def fails_at_once(task: Task | None = None, *, about: Callable[..., str] | None = None) -> Any:
    """Decorate a task body: the one place where the domain's errors become Airflow's.

    A fault that a retry cannot fix fails the task at once, naming it, instead of after retries that
    each wait ``retry_delay``: a bad setting or parameter, a connection that is not defined in Airflow,
    an inventory database that does not exist or refuses the login, a schema the role may not change or
    a table it cannot adopt, a device read that failed (the read retried what could pass) or was
    refused, a refused manual action, a run day after today; and the deliberate failures of a run that
    has done what it could: connections without a complete read (:class:`pipeline.ReadsFailed`),
    stale reads (:class:`pipeline.StaleReads`). A run that must read and change nothing
    (:class:`pipeline.RunSkipped`) skips the task, saying why. ``about(*args, **kwargs)`` names the
    subject the message starts with (``connection 'sbc1'``); every message is scrubbed of credentials.
    A failure marked as alerted by other tasks (:func:`alerts.alerted_already`) stays so."""
    if task is None:
        return functools.partial(fails_at_once, about=about)

    @functools.wraps(task)
    def run(*args: Any, **kwargs: Any) -> Any:
        import psycopg

        from number_inventory.pipeline import RunSkipped
        from number_inventory.scrub import scrub

        def fail(problem: object) -> AirflowFailException:
            subject = f"{about(*args, **kwargs)}: " if about is not None else ""
            return AirflowFailException(scrub(f"{subject}{problem}"))

        try:
            return task(*args, **kwargs)
        except RunSkipped as exc:
            raise AirflowSkipException(str(exc)) from None
        except AirflowNotFoundException as exc:
            raise fail(f"{exc}: define it in Airflow") from None
        except psycopg.OperationalError as exc:
            problem = database_problem(exc)
            if problem is None:
                raise  # the server may be restarting, the network may come back: retried
            raise fail(problem) from None
        except Exception as exc:
            if not _is_domain_error(exc):
                raise
            failure = fail(exc)
            if why := alerts.alerted_by_others(exc):
                alerts.alerted_already(failure, why)
            raise failure from None

    return run


def _is_domain_error(exc: Exception) -> bool:
    """Whether ``exc`` is one of the domain's errors that no retry mends. The manual actions' error is
    looked up only when its module was loaded (it loads pandas): an exception of a module never
    imported cannot be raised."""
    from number_inventory.device_apis.transport import DeviceReadError
    from number_inventory.pipeline import ReadsFailed, StaleReads
    from number_inventory.schema import SchemaError
    from number_inventory.store import ReadRejected

    actions = sys.modules.get("number_inventory.actions")
    kinds: tuple[type[Exception], ...] = (
        SettingError,
        clock.FutureRunDay,
        SchemaError,
        MissingConnection,
        DeviceReadError,
        ReadRejected,
        ReadsFailed,
        StaleReads,
    )
    return isinstance(exc, kinds) or (actions is not None and isinstance(exc, actions.ActionError))


def run_info(dag_run: Any, day: dt.date) -> RunInfo:
    """The running DAG run, for the history."""
    from number_inventory.store import RunInfo

    return RunInfo(dag_run.dag_id, dag_run.run_id, day)


@fails_at_once
def prepare(kind: str, *, dag_run: Any = None, dag: Any = None, ti: Any = None) -> dict[str, Any]:
    """Validate settings, bring the schema up to date and fix the run day, for later tasks; for the
    sync, also whether it reads the devices (see :class:`Prepared`). Why a run does nothing, or only
    reports, becomes its note (``run_notes``)."""
    values = read_settings()
    timezone = values["timezone"]
    if kind == "sync":
        require_connections(values["connections"])
    day = run_day(dag_run, timezone)
    skip = decide_run(dag_run, dag, kind, day, timezone)
    if skip:
        skip = f"run day {day}: {skip}"
    report_only = daily_report_only(day, timezone) if kind == "daily" else None
    tenant_of = tenants_of(values["connections"])
    with inventory_db() as conn:
        # The global inventory and every tenant's, a configured tenant's created on its first use.
        applied = tenants.migrate_all(conn, {*tenant_of.values(), *tenants.known(conn)})
        for tenant, names in applied.items():
            log.info("Applied schema migrations to %s: %s", tenants.label(tenant), ", ".join(names))
        if kind == "sync" and not skip:
            # The devices can only be read as they are now: a sync for an older day reads nothing.
            skip = _sync_backfill(conn, day, set(tenant_of.values()))
    prepared = Prepared(run_day=day, skip=skip, report_only=report_only, tenant_of=tenant_of, **values)
    log.info(
        "Run day %s; connections %s; cooling %s day(s)",
        day,
        list(prepared.connections),
        prepared.cooling_days,
    )
    if skip:
        log.warning("This run reads nothing and changes nothing: %s", skip)
        run_notes.leave(ti, f"Read nothing and changed nothing: {skip}")
    if report_only:
        log.warning("This run changes nothing in the inventory and records no finding: %s", report_only)
        run_notes.leave(ti, f"Report only: {report_only}")
    return prepared.to_xcom()


def _sync_backfill(conn: Any, day: dt.date, named: set[str]) -> str | None:
    """Why a sync for ``day`` is a backfill in the global tenant or a configured one, or ``None``."""
    from number_inventory import pipeline

    for tenant in [tenants.GLOBAL, *sorted(named)]:
        with tenants.within(conn, tenant):
            backfill = pipeline.backfill(conn, "sync", day)
        if backfill:
            return f"{backfill}: {pipeline.SYNC_BACKFILL}"
    return None


def tenant_groups(conn: Any, prepared: Prepared) -> dict[str, list[str]]:
    """The configured connections of the global tenant and of every known tenant."""
    return tenants.groups(prepared.connections, prepared.tenant_of, tenants.known(conn))


@fails_at_once(about=lambda connection_id, *_, **__: f"connection {connection_id!r}")
def read_connection(
    connection_id: str, xcom: dict[str, Any], *, params: Any = None, dag_run: Any = None
) -> dict[str, Any]:
    """Read one connection and keep the read when it is complete; fail the task, naming the
    connection and the reason, when it is not."""
    from number_inventory import pipeline

    prepared = Prepared.from_xcom(xcom)
    allow = settings.flag("allow_mass_removal", params.get("allow_mass_removal"))
    hook = device_hook(connection_id)
    contract = hook.contract()
    tenant = prepared.tenant(connection_id)
    with inventory_db() as conn, tenants.within(conn, tenant):
        summary = pipeline.read_connection(
            conn,
            hook.read,
            connection_id,
            run_info(dag_run, prepared.run_day),
            guard=prepared.guard,
            allow_mass_removal=allow,
            absent_reads=prepared.absent_reads,
            now=functools.partial(clock.now, prepared.timezone),
            dial_plan=hook.dial_plan(contract),
            site=contract.site,
        )
    log.info(
        "Connection %s%s: %s bindings (%s active), %s numbers registered, %s AORs that are not numbers "
        "skipped, %s pages",
        connection_id,
        f" ({tenants.label(tenant)})" if tenant else "",  # a named tenant's; the global one as always
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


def connections_to_read(xcom: dict[str, Any]) -> list[str]:
    """The connections this sync run reads: all configured ones; none when it is not for now."""
    prepared = Prepared.from_xcom(xcom)
    return [] if prepared.skip else list(prepared.connections)


def skip_unless_acting(prepared: Prepared) -> None:
    """Skip a task of a run that reads nothing and changes nothing, saying why."""
    if prepared.skip:
        raise AirflowSkipException(prepared.skip)


@fails_at_once
def reconcile(xcom: dict[str, Any], *, dag_run: Any = None, outlet_events: Any = None) -> dict[str, Any]:
    """The sync's reconcile step, with its summary in the task log."""
    from number_inventory import pipeline

    prepared = Prepared.from_xcom(xcom)
    skip_unless_acting(prepared)
    run = run_info(dag_run, prepared.run_day)
    with inventory_db() as conn:
        summary = pipeline.per_tenant(
            conn,
            tenant_groups(conn, prepared),
            lambda connection_ids: pipeline.sync(
                conn, run, connection_ids, prepared.cooling_days, timezone=prepared.timezone
            ),
        )
    log_summary("Sync summary", summary)
    written = pipeline.total_across_tenants(summary, "written")
    assets.outlet_extra(outlet_events, assets.INVENTORY, run_day=summary["run_day"], written=written)
    return summary


@fails_at_once
def check_reads(xcom: dict[str, Any], *, dag_run: Any = None, ti: Any = None) -> None:
    """Fail (:class:`pipeline.ReadsFailed`), naming each configured connection without a complete
    read in this run."""
    from number_inventory import pipeline

    prepared = Prepared.from_xcom(xcom)
    skip_unless_acting(prepared)
    try:
        with inventory_db() as conn:
            _check_reads_per_tenant(conn, dag_run.run_id, prepared)
    except pipeline.ReadsFailed as exc:
        # Each failed read task alerted, naming its connection and why: this failure, which fails the
        # run, repeats them. It alerts only when some problem has no failed read task to report it.
        failed_reads = _failed_reads(dag_run, ti)
        if failed_reads >= len(exc.problems):
            alerts.alerted_already(
                exc,
                f"the {failed_reads} failed read_connection task(s) of this run alerted for each connection",
            )
        raise
    log.info("All %s connection(s) read completely", len(prepared.connections))


def _check_reads_per_tenant(conn: Any, run_id: str, prepared: Prepared) -> None:
    """:func:`pipeline.check_reads` within each tenant, for its connections; one
    :class:`pipeline.ReadsFailed` names every problem of every tenant."""
    from number_inventory import pipeline

    problems: list[str] = []
    for tenant, connection_ids in tenant_groups(conn, prepared).items():
        try:
            with tenants.within(conn, tenant):
                pipeline.check_reads(conn, run_id, connection_ids)
        except pipeline.ReadsFailed as exc:
            problems += exc.problems
    if problems:
        raise pipeline.ReadsFailed(problems)


def _failed_reads(dag_run: Any, ti: Any) -> int:
    """How many read tasks of ``dag_run`` failed (0 when Airflow cannot say: better a repeated alert
    than none)."""
    try:
        return ti.get_ti_count(
            dag_id=dag_run.dag_id, task_ids=["read_connection"], run_ids=[dag_run.run_id], states=["failed"]
        )
    except Exception:
        log.exception("Could not count the failed read tasks of this run; check_reads alerts too")
        return 0


@fails_at_once
def release_and_audit(
    xcom: dict[str, Any], *, params: Any = None, dag_run: Any = None, outlet_events: Any = None
) -> dict[str, Any]:
    """The daily step, with its summary in the task log. Fails after its transaction has committed
    (releases, repairs and findings recorded) when a configured connection's read is stale
    (:class:`pipeline.StaleReads`), naming each and its age, so that the on-call engineer is
    alerted; a dry run only reports it."""
    from number_inventory import pipeline

    prepared = Prepared.from_xcom(xcom)
    if prepared.report_only:
        raise AirflowSkipException(prepared.report_only)  # the report task writes the day's report
    dry_run = settings.flag("dry_run", params.get("dry_run"))
    despite = settings.flag(pipeline.RELEASE_DESPITE_STALE, params.get(pipeline.RELEASE_DESPITE_STALE))
    hours = prepared.max_read_age_hours
    run = run_info(dag_run, prepared.run_day)
    with inventory_db() as conn:
        summary = pipeline.per_tenant(
            conn,
            tenant_groups(conn, prepared),
            lambda connection_ids: pipeline.daily(
                conn,
                run,
                connection_ids,
                prepared.cooling_days,
                dry_run=dry_run,
                now=clock.now(prepared.timezone),
                max_read_age=dt.timedelta(hours=hours),
                timezone=prepared.timezone,
                release_despite_stale=despite,
                actor=triggering_user(dag_run) if despite else None,
            ),
        )
    log_summary("Daily release and audit" + (" (dry run: nothing written)" if dry_run else ""), summary)
    assets.outlet_extra(
        outlet_events,
        assets.INVENTORY,
        run_day=summary["run_day"],
        written=pipeline.total_across_tenants(summary, "written"),
        dry_run=dry_run,
    )
    pipeline.check_fresh(summary, hours)
    return summary


@fails_at_once
def daily_report(
    xcom: dict[str, Any], *, params: Any = None, dag_run: Any = None, outlet_events: Any = None
) -> dict[str, Any]:
    """The daily run's report: the run day's report row(s) as of the day's end, from the history
    (``report``); a run that acts rewrites the day before's too, complete by now. A daily run for a
    past day does only this ("report only"): it neither fails on staleness nor records a finding."""
    from number_inventory import pipeline

    prepared = Prepared.from_xcom(xcom)
    dry_run = settings.flag("dry_run", params.get("dry_run"))
    run = run_info(dag_run, prepared.run_day)
    with inventory_db() as conn:
        summary = pipeline.per_tenant(
            conn,
            tenant_groups(conn, prepared),
            lambda _: pipeline.daily_report(
                conn, run, prepared.timezone, report_only=prepared.report_only, dry_run=dry_run
            ),
        )
    title = "Daily report" + (f" ({clock.REPORT_ONLY})" if prepared.report_only else "")
    log_summary(title + (" (dry run: nothing written)" if dry_run else ""), summary)
    assets.outlet_extra(
        outlet_events,
        assets.DAILY_REPORT,
        days=summary["days"],
        dry_run=dry_run,
        report_only=bool(prepared.report_only),
    )
    return summary


@fails_at_once
def purge(
    xcom: dict[str, Any], *, params: Any = None, dag_run: Any = None, outlet_events: Any = None
) -> dict[str, Any]:
    """The purge step: checks the form, then decommissions the connection."""
    from number_inventory import pipeline

    prepared = Prepared.from_xcom(xcom)
    connection_id = str(params.get("connection_id") or "").strip()
    confirm = str(params.get("confirm") or "").strip()
    if not connection_id:
        raise SettingError("Parameter 'connection_id' is required: the connection to decommission")
    if confirm != connection_id:
        raise SettingError(
            f"Parameter 'confirm' must repeat the connection id {connection_id!r}; nothing was changed"
        )
    tenant = purged_tenant(connection_id, params.get("tenant"))
    with inventory_db() as conn, tenants.within(conn, tenant), tenants.naming(tenant):
        summary = pipeline.purge(
            conn,
            run_info(dag_run, prepared.run_day),
            connection_id,
            tenants.groups(prepared.connections, prepared.tenant_of).get(tenant, []),
            prepared.cooling_days,
        )
    log_summary(f"Purged connection {connection_id} ({tenants.label(tenant)})", summary)
    assets.outlet_extra(
        outlet_events, assets.INVENTORY, run_day=summary["run_day"], written=summary["cooled"]
    )
    if connection_id in prepared.connections:
        log.warning("Now remove %r from the Variable %s", connection_id, settings.CONNECTIONS_VARIABLE)
    return summary


def purged_tenant(connection_id: str, param: Any) -> str:
    """The tenant a purge works within: the purged connection's (its extra ``tenant``), or, when
    Airflow no longer defines the connection, the parameter ``tenant`` (empty: the global tenant). A
    parameter naming another tenant than the connection's is refused."""
    from airflow.sdk import Connection

    given = tenants.tenant_name(param, what="Parameter 'tenant'")
    try:
        extras = Connection.get(connection_id).extra_dejson
    except AirflowNotFoundException:
        return given
    tenant = tenants.tenant_name(extras.get("tenant"), what=f"Connection {connection_id!r}: extra 'tenant'")
    if given and given != tenant:
        raise SettingError(
            f"Parameter 'tenant' is {given!r} but connection {connection_id!r} belongs to "
            f"{tenants.label(tenant)} (its extra 'tenant'); nothing was changed"
        )
    return tenant


def triggering_user(dag_run: Any) -> str:
    """Who triggered ``dag_run`` (``dag_test`` for ``dag.test()``), or ``unknown`` when Airflow does
    not say (a run created without a user)."""
    return getattr(dag_run, "triggering_user_name", None) or "unknown"


@fails_at_once
def manual_action(
    xcom: dict[str, Any],
    *,
    params: Any = None,
    dag_run: Any = None,
    ti: Any = None,
    outlet_events: Any = None,
) -> dict[str, Any]:
    """The manual action step: checks the form, then applies the action to every number or to none,
    recording who triggered the run and why."""
    import dataclasses

    from number_inventory import actions, pipeline

    prepared = Prepared.from_xcom(xcom)
    if params.get("action") in BLOCK_ACTIONS:  # a range, list or CSV, written in bulk
        from number_inventory.airflow_glue.block_actions import block_action

        return block_action(prepared, params=params, dag_run=dag_run, outlet_events=outlet_events)
    dry_run = settings.flag("dry_run", params.get("dry_run"))
    if params.get("action") == CANONICALISE_ACTION:
        return canonicalise(prepared, params, dry_run, dag_run=dag_run, ti=ti)
    request = actions.parse_request(
        params.get("action"), params.get("numbers"), params.get("days"), params.get("reason")
    )
    run = dataclasses.replace(
        run_info(dag_run, prepared.run_day), actor=triggering_user(dag_run), note=request.note
    )
    log.info(
        "%s of %s number(s) for %s (%s)%s",
        request.action,
        len(request.numbers),
        run.actor,
        request.note,
        ", dry run: nothing is written" if dry_run else "",
    )
    tenant = tenants.tenant_name(params.get("tenant"), what="Parameter 'tenant'")
    # The form's tenant, as for block actions; an error names it.
    with inventory_db() as conn, tenants.within(conn, tenant), tenants.naming(tenant):
        summary = pipeline.manual_action(conn, run, request, dry_run=dry_run)
    changes = summary.pop("changes")
    unchanged = summary.pop("unchanged_numbers")
    verb = "Would change" if dry_run else "Changed"
    log.info("%s %s number(s):\n  %s", verb, len(changes), "\n  ".join(changes) or "none")
    if unchanged:
        log.info("Already where %s leads, left alone: %s", request.action, ", ".join(unchanged))
    return action_done(request.action, summary, dry_run=dry_run, outlet_events=outlet_events)


def action_done(action: str, summary: dict[str, Any], *, dry_run: bool, outlet_events: Any) -> dict[str, Any]:
    """Log a manual action's summary and attach what it wrote to the inventory's asset event."""
    log_summary(f"Manual action {action}" + (" (dry run: nothing written)" if dry_run else ""), summary)
    assets.outlet_extra(
        outlet_events,
        assets.INVENTORY,
        run_day=summary["run_day"],
        written=summary["written"],
        dry_run=dry_run,
    )
    return summary


def canonicalise(prepared: Prepared, params: Any, dry_run: bool, *, dag_run: Any, ti: Any) -> dict[str, Any]:
    """The action ``canonicalise_numbers``: moves the inventory and the kept read of the form's
    ``connection_id`` to its dial plan; only reports unless the form's ``canonicalise_apply`` is set
    (and ``dry_run`` is not). What an operator must resolve is logged and left as a run note."""
    import dataclasses

    from number_inventory import dial_plan, pipeline, tenants
    from number_inventory.action_form import MAX_REASON, MIN_REASON

    connection_id = params.get("connection_id")
    note = params.get("reason").strip() if isinstance(params.get("reason"), str) else ""
    if not isinstance(connection_id, str) or not connection_id.strip():
        raise SettingError(
            f"Parameter 'connection_id' is required for {CANONICALISE_ACTION}: the connection whose dial "
            "plan applies; nothing was written"
        )
    if not MIN_REASON <= len(note) <= MAX_REASON:
        raise SettingError(
            f"Parameter 'reason' is required: say why, in {MIN_REASON} to {MAX_REASON} characters; nothing "
            "was written"
        )
    connection_id = connection_id.strip()
    contract = device_hook(connection_id).contract()
    plan = dial_plan.from_values(contract.values(), connection_id)
    tenant = contract.values().get("tenant") or tenants.GLOBAL  # where its kept read is
    if plan is None:
        raise SettingError(
            f"connection {connection_id!r} has no dial plan (its extra 'country_code' is not set): give it "
            f"one before running {CANONICALISE_ACTION}; nothing was written"
        )
    apply = settings.flag("canonicalise_apply", params.get("canonicalise_apply")) and not dry_run
    run = dataclasses.replace(run_info(dag_run, prepared.run_day), actor=triggering_user(dag_run), note=note)
    with inventory_db() as conn, tenants.within(conn, tenant):
        summary = pipeline.canonicalise(conn, run, connection_id, plan, apply=apply)
    moves, findings = summary.pop("moves"), summary.pop("findings")
    log.info(
        "%s %s spelling(s):\n  %s",
        "Moved" if apply else "Would move",
        len(moves),
        "\n  ".join(moves) or "none",
    )
    if findings:
        log.warning("Left for an operator (audit findings):\n  %s", "\n  ".join(findings))
        run_notes.leave(
            ti,
            f"{len(findings)} number(s) left for an operator (audit findings); the dial plan of "
            f"{connection_id} is not accepted until they are resolved and {CANONICALISE_ACTION} runs again",
        )
    elif not apply:
        run_notes.leave(ti, f"Report only: set canonicalise_apply to move {len(moves)} spelling(s)")
    log_summary(f"{CANONICALISE_ACTION} for {connection_id}" + ("" if apply else " (report only)"), summary)
    return summary
