"""The sync through a real scheduler: ``audiocodes_number_sync`` triggered over the REST API.

A LocalExecutor stack as processes (``deploy/run_local_stack.py``: API server, scheduler, DAG
processor; the tasks run in the scheduler's LocalExecutor workers, ``parallelism`` of them, so the
four mapped reads run side by side), its metadata in a PostgreSQL database of its own and the
inventory in another (both dropped at the end), reading the benchmark's device fleet over HTTP.

Each case is triggered with ``POST /api/v2/dags/{dag_id}/dagRuns`` and timed to the run's
``success`` (polled every 0.1 s). Where the time goes comes from the task instances the REST API
reports (``queued_when``, ``start_date``, ``end_date``) and from the lines Airflow writes in each
task's log: the task process begins (``Pre Execute``), its body begins (the end of that group: DAG
file parsed, context and XCom arguments ready), the body returned (``Done.``), the XCom pushed.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.devices import Fleet, device_connections
from deploy.run_local_stack import SYNC_DAG, LocalStack
from devtools import local_db
from number_inventory import settings, store

POLL_SECONDS = 0.1
RUN_TIMEOUT = 900
KEEP_LOGS = False  # keep every log line of each task in the results (for a closer look)
#: The DAG's tasks in the order they run.
TASKS = ("prepare", "connections_to_read", "read_connection", "reconcile", "check_reads")


class SchedulerStack(LocalStack):
    """The compose topology with a LocalExecutor instead of Celery, reading ``fleet``'s devices."""

    def __init__(self, workdir: Path, fleet: Fleet, *, parallelism: int = 4, say=None) -> None:
        super().__init__(
            workdir,
            devices=(),
            triggerer=False,
            schedules=False,
            executor="LocalExecutor",
            parallelism=parallelism,
            say=say,
        )
        self.fleet = fleet

    def _start_devices(self) -> None:  # the fleet's devices are running already
        pass

    def project_env(self) -> dict[str, str]:
        env = {
            f"AIRFLOW_CONN_{settings.INVENTORY_CONN_ID.upper()}": local_db.airflow_connection(
                self.inventory_dsn
            ),
            f"AIRFLOW_VAR_{settings.CONNECTIONS_VARIABLE.upper()}": json.dumps(self.fleet.connection_ids),
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        }
        env.update(device_connections(self.fleet))
        return env


def _time(value: str | None) -> float | None:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() if value else None


def log_marks(stack: LocalStack, run_id: str, ti: dict) -> dict[str, Any]:
    """From a task instance's log (Airflow's own lines): when the task process began (``Pre
    Execute``), when its body began (the end of that group: the DAG file parsed, the task's context
    and arguments ready), when the body returned (``Done.``) and how long pushing its XCom took."""
    answer = stack.api(
        "GET",
        f"/dags/{SYNC_DAG}/dagRuns/{run_id}/taskInstances/{ti['task_id']}/logs/{ti['try_number']}",
        params={"map_index": ti["map_index"], "full_content": True},
        headers={"Accept": "application/json"},
    )
    marks: dict[str, Any] = {
        "process": None,
        "body": None,
        "body_end": None,
        "xcom_s": None,
        "parse_ms": None,
    }
    pushing = None
    for item in answer.get("content", []):
        if not isinstance(item, dict) or not item.get("timestamp"):
            continue
        stamp, event = _time(item["timestamp"]), str(item.get("event", ""))
        if KEEP_LOGS:
            marks.setdefault("log", []).append((stamp, item.get("logger"), event[:160]))
        if event == "::group::Pre Execute" and marks["process"] is None:
            marks["process"] = stamp
        elif event == "Worker startup parse complete":
            marks["parse_ms"] = item.get("dag_file_parse_ms")
        elif event == "::endgroup::" and marks["body"] is None:
            marks["body"] = stamp
        elif event.startswith("Done. Returned value was") or event == "::group::Post Execute":
            marks["body_end"] = marks["body_end"] or stamp
        elif event == "Pushing xcom":
            pushing = stamp
        elif event == "::endgroup::" and pushing is not None and marks["xcom_s"] is None:
            marks["xcom_s"] = stamp - pushing
    return marks


def task_figures(stack: LocalStack, run_id: str, triggered: float, ended: float) -> dict[str, Any]:
    """The run's and its task instances' times (seconds since the epoch) from the REST API and the logs."""
    run = stack.api("GET", f"/dags/{SYNC_DAG}/dagRuns/{run_id}")
    tis = stack.task_instances(SYNC_DAG, run_id)
    rows = []
    for ti in sorted(tis, key=lambda t: (TASKS.index(t["task_id"]), t["map_index"])):
        rows.append(
            {
                "task": ti["task_id"],
                "map_index": ti["map_index"],
                "state": ti["state"],
                "scheduled": _time(ti.get("scheduled_when")),
                "queued": _time(ti.get("queued_when")),
                "start": _time(ti.get("start_date")),
                "end": _time(ti.get("end_date")),
                **log_marks(stack, run_id, ti),
            }
        )
    return {
        "run": {
            "triggered": triggered,
            "queued_at": _time(run.get("queued_at")),
            "start": _time(run.get("start_date")),
            "end": _time(run.get("end_date")),
            "ended": ended,
        },
        "tasks": rows,
    }


#: The breakdown's columns: where the time of each step on the run's critical path goes.
PARTS = {
    "scheduling": "scheduling: queued after its upstream ended (or the trigger)",
    "pickup": "queued → task process running (executor, fork, `start_date`)",
    "startup": "task process → body (DAG file parsed, context and XCom arguments)",
    "body": "the task body",
    "finish": "body returned → task ended (XCom push, state)",
}


def breakdown(figures: dict[str, Any]) -> dict[str, Any]:
    """Per step of the critical path (the mapped reads by the one that ended last): seconds of each
    of ``PARTS``; and the run's own start (trigger → first task queued) and end (last task → run
    ``success`` seen by the client)."""
    run, tasks = figures["run"], figures["tasks"]
    steps: dict[str, dict[str, float]] = {}
    upstream_end = run["triggered"]
    for name in TASKS:
        mine = [t for t in tasks if t["task"] == name and t["end"]]
        if not mine:
            continue
        last = max(mine, key=lambda t: t["end"])
        body = last["body"] or last["start"]
        body_end = last["body_end"] or last["end"]
        steps[name] = {
            "scheduling": last["queued"] - upstream_end,
            "pickup": last["start"] - last["queued"],
            "startup": body - last["start"],
            "body": body_end - body,
            "finish": last["end"] - body_end,
            "xcom": min(last["xcom_s"] or 0.0, last["end"] - body_end),
        }
        upstream_end = last["end"]
    totals = {part: sum(step[part] for step in steps.values()) for part in [*PARTS, "xcom"]}
    totals["run_end"] = run["ended"] - upstream_end
    return {"steps": steps, "totals": totals}


def warm_up(stack: LocalStack) -> float:
    """The API server builds its task execution API on the first call to it (seconds on this machine):
    a long-running deployment pays that once, so the benchmark pays it before the first trigger."""
    import httpx

    started = time.perf_counter()
    httpx.get(f"{stack.api_url}/execution/health", timeout=120)
    return time.perf_counter() - started


def trigger_and_wait(stack: LocalStack) -> tuple[str, float, float, str]:
    """Trigger a sync run; return its id, the trigger's and the success's wall clock and the state."""
    triggered = time.time()
    run_id = stack.trigger(SYNC_DAG, dt.datetime.now(dt.UTC))
    deadline = time.monotonic() + RUN_TIMEOUT
    while True:
        state = stack.api("GET", f"/dags/{SYNC_DAG}/dagRuns/{run_id}")["state"]
        if state in ("success", "failed"):
            return run_id, triggered, time.time(), state
        if time.monotonic() > deadline:
            raise TimeoutError(f"run {run_id}: still {state} after {RUN_TIMEOUT} s")
        time.sleep(POLL_SECONDS)


def scheduler_run(
    fleet: Fleet, cases: list[tuple[str, list[int]]], *, parallelism: int = 4, log=print
) -> dict[str, Any]:
    """Start a LocalExecutor stack and run each ``(case, registered indexes)`` through it, in order,
    from an empty inventory; return each case's wall time and breakdown."""
    workdir = Path(tempfile.mkdtemp(prefix="nibench-scheduler-"))
    stack = SchedulerStack(workdir, fleet, parallelism=parallelism, say=lambda text: log(f"  stack: {text}"))
    results: dict[str, Any] = {"parallelism": parallelism, "cases": {}}
    try:
        started = time.perf_counter()
        stack.start()
        stack.wait_for_dag(SYNC_DAG)
        stack.unpause(SYNC_DAG)
        results["execution_api_warmup_s"] = warm_up(stack)
        results["stack_start_s"] = time.perf_counter() - started
        with local_db.connect(stack.inventory_dsn) as conn:
            store.migrate(conn)  # untimed, as the in-process cases start from a migrated database
        for case, indexes in cases:
            if indexes is not None:
                fleet.register(indexes)
            with local_db.connect(stack.inventory_dsn) as conn:
                conn.execute("VACUUM ANALYZE")  # as the in-process cases find the database
            run_id, triggered, ended, state = trigger_and_wait(stack)
            figures = task_figures(stack, run_id, triggered, ended)
            with local_db.connect(stack.inventory_dsn) as conn:
                written = conn.execute(
                    "SELECT count(*) FROM number_inventory_history WHERE run_id = %s", (run_id,)
                ).fetchone()[0]
            results["cases"][case] = {
                "wall": ended - triggered,
                "state": state,
                "written": written,
                "breakdown": breakdown(figures),
                **figures,
            }
            log(f"  scheduler  {case:<10} {ended - triggered:7.2f} s trigger -> {state}, {written:,} rows")
            if state != "success":
                results["error"] = f"{case}: run {run_id} {state}\n{stack.log_tails(30)}"
                break
    except (RuntimeError, TimeoutError, AssertionError) as exc:
        results["error"] = f"{exc}\n{stack.log_tails(30)}"
    finally:
        stack.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return results


# --- the report -------------------------------------------------------------------------------------

SLACK_SECONDS = 15.0
CASES = ("initial", "churn", "no_change")


def targets(results: list[dict[str, Any]]) -> list[tuple[str, str, bool | None]]:
    """Per case run through the scheduler: trigger → success ≤ the in-process total + 15 s."""
    out = []
    for result in results:
        run = result.get("scheduler") or {}
        for name, case in run.get("cases", {}).items():
            inprocess = result["cases"].get(name, {}).get("total")
            if inprocess is None or case["state"] != "success":
                continue
            out.append(
                (
                    f"{result['size']:,} {name} through the scheduler ≤ in-process + {SLACK_SECONDS:.0f} s "
                    f"({inprocess:.2f} + {SLACK_SECONDS:.0f} s)",
                    f"{case['wall']:.2f} s",
                    case["wall"] <= inprocess + SLACK_SECONDS,
                )
            )
    return out


def markdown_lines(results: list[dict[str, Any]]) -> list[str]:
    """The scheduler's tables: trigger → success beside the in-process total, and where it went."""
    lines: list[str] = []
    for result in results:
        run = result.get("scheduler")
        if not run:
            continue
        lines += [
            "",
            f"Through a real scheduler at {result['size']:,} users: `audiocodes_number_sync` triggered "
            f"through the REST API on a LocalExecutor stack (parallelism {run['parallelism']}; API "
            "server, scheduler and DAG processor as processes; metadata in PostgreSQL), timed from the "
            "trigger to the run's success.",
        ]
        if run.get("error"):
            lines.append(f"Failed: {run['error'][:800]}")
        if not run.get("cases"):
            continue
        lines += [
            "",
            "| case | trigger → success s | in-process total s | difference s | rows written | met (≤ +15 s) |",
            "|---|---:|---:|---:|---:|:---:|",
        ]
        for name, case in run["cases"].items():
            inprocess = result["cases"].get(name, {}).get("total")
            diff = case["wall"] - inprocess if inprocess is not None else None
            met = "–" if diff is None else ("yes" if diff <= SLACK_SECONDS else "NO")
            lines.append(
                f"| {name} | **{case['wall']:.2f}** | {_s(inprocess)} | {_s(diff)} | {case['written']:,} | {met} |"
            )
        lines += [
            "",
            "Where it went, summed over the run's critical path (prepare, connections_to_read, the read "
            "that ended last, reconcile, check_reads), seconds:",
            "",
            "| case | scheduling | pick-up | start-up | body | finish (XCom push) | run end | sum |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for name, case in run["cases"].items():
            totals = case["breakdown"]["totals"]
            parts = [totals[p] for p in PARTS] + [totals["run_end"]]
            cells = [_s(totals[p]) for p in ("scheduling", "pickup", "startup", "body")]
            cells.append(f"{totals['finish']:.2f} ({totals['xcom']:.2f})")
            lines.append(
                f"| {name} | " + " | ".join(cells) + f" | {_s(totals['run_end'])} | {sum(parts):.2f} |"
            )
        first = next(iter(run["cases"]))
        lines += [
            "",
            f"Per step ({first}): " + "; ".join(f"*{k}*: {v}" for k, v in PARTS.items()) + ".",
            "",
            "| step | scheduling | pick-up | start-up | body | finish |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for step, parts in run["cases"][first]["breakdown"]["steps"].items():
            lines.append(f"| {step} | " + " | ".join(_s(parts[p]) for p in PARTS) + " |")
    return lines


def _s(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"
