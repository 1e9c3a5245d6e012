"""What the benchmark runs in worker processes: the pipeline's steps, the naive baseline and the floor.

Every step runs in a fresh process (``spawn``), as an Airflow task does in its worker, so that its
peak RSS is its own. A step first connects and imports (not timed), then calls ``ready()`` (the
parent releases all workers of a step at once) and returns its figures: ``seconds`` per phase, the
wall time of its work and ``rss`` (peak resident set, bytes).

Phases are timed by wrapping the ``store`` and ``transitions`` functions that the pipeline calls, so
the pipeline itself runs unchanged.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import os
import resource
import time
import traceback
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import requests

from bench import peer
from devtools import local_db
from number_inventory import pipeline, store, transitions
from number_inventory.device_apis.contract import Contract
from number_inventory.device_client import read_registered_users
from number_inventory.settings import MassRemovalGuard
from number_inventory.store import RunInfo
from number_inventory.store import inventory as store_inventory


def peak_rss() -> int:
    """This process's peak resident set size, in bytes."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


@contextlib.contextmanager
def phases(plan: dict[str, list[tuple[Any, str]]]) -> Iterator[dict[str, float]]:
    """Time the functions named in ``plan`` (phase -> [(module, function name)]) while inside: each
    phase's total, and each function's under ``"phase/function"`` (for profiling)."""
    seconds: dict[str, float] = defaultdict(float)
    originals = []
    for phase, targets in plan.items():
        for module, name in targets:
            original = getattr(module, name)
            originals.append((module, name, original))

            def timed(*args, _original=original, _phase=phase, **kwargs):
                start = time.perf_counter()
                try:
                    return _original(*args, **kwargs)
                finally:
                    took = time.perf_counter() - start
                    seconds[_phase] += took
                    seconds[f"{_phase}/{_original.__name__}"] += took

            setattr(module, name, functools.wraps(original)(timed))
    try:
        yield seconds
    finally:
        for module, name, original in originals:
            setattr(module, name, original)


def _detail(seconds: dict[str, float]) -> dict[str, float]:
    return {name: took for name, took in seconds.items() if "/" in name}


def worker(step: str, kwargs: dict[str, Any], barrier: Any, results: Any, slot: int) -> None:
    """Process entry point: run ``step`` and put ``(slot, figures)`` (or ``(slot, error)``) on ``results``."""
    try:
        figures = STEPS[step](ready=barrier.wait, **kwargs)
        figures["rss"] = peak_rss()
        results.put((slot, figures))
    except BaseException:
        with contextlib.suppress(Exception):
            barrier.abort()
        results.put((slot, {"error": traceback.format_exc()}))


def _run_info(run: dict[str, Any]) -> RunInfo:
    return RunInfo(run["dag_id"], run["run_id"], dt.date.fromisoformat(run["run_day"]))


def _session(auth: tuple[str, str]) -> requests.Session:
    session = requests.Session()
    session.auth = auth
    return session


# --- the pipeline ---------------------------------------------------------------------------------


def read(
    *, dsn: str, url: str, auth: tuple[str, str], connection_id: str, run: dict, ready: Callable
) -> dict[str, Any]:
    """``pipeline.read_connection`` of one connection; ``stage`` is the time spent in the store
    (staging pages, checking and keeping the read), ``read_http`` the rest (HTTP and JSON)."""
    conn, session = local_db.connect(dsn), _session(auth)
    stage = [(store, "begin_read"), (store, "stage_bindings"), (store, "reset_read"), (store, "finish_read")]
    ready()
    with phases({"stage": stage}) as seconds:
        start = time.perf_counter()
        read_device = functools.partial(read_registered_users, session, url, Contract())
        summary = pipeline.read_connection(
            conn, read_device, connection_id, _run_info(run), guard=MassRemovalGuard()
        )
        wall = time.perf_counter() - start
    conn.close()
    return {
        "wall": wall,
        "seconds": {"read_http": wall - seconds["stage"], "stage": seconds["stage"]},
        "detail": _detail(seconds),
        "bindings": summary["bindings"],
        "numbers": summary["numbers"],
    }


_DIFF_SYNC = [
    (store, "number_ranges"),
    (store, "load_sync_candidates"),
    (transitions, "plan_sync"),
]
_DIFF_DAILY = [
    (store, "number_ranges"),
    (store, "load_daily_candidates"),
    (transitions, "plan_release"),
    (transitions, "apply_to_frame"),
    (transitions, "plan_audit"),
]


def _reconcile(
    step: Callable,
    diff: object,
    *,
    dsn: str,
    connection_ids: list[str],
    run: dict,
    cooling_days: int,
    ready: Callable,
) -> dict:
    """Time one reconcile step: ``diff`` is loading the inventory and the registrations and planning,
    ``write`` the rest (applying the changes, their history and the commit)."""
    conn = local_db.connect(dsn)
    ready()
    # "apply" is only for the detail: "write" is the time outside "diff", commit included.
    apply = [(store, "apply_changes"), (store_inventory, "_insert_new"), (store, "record_run")]
    with phases({"diff": diff, "apply": apply}) as seconds:
        start = time.perf_counter()
        summary = step(conn, _run_info(run), connection_ids, cooling_days)
        wall = time.perf_counter() - start
    conn.close()
    return {
        "wall": wall,
        "seconds": {"diff": seconds["diff"], "write": wall - seconds["diff"]},
        "detail": _detail(seconds),
        "written": summary.get("written", 0),
        "summary": summary,
    }


def sync(**kwargs) -> dict:
    """``pipeline.sync``, timed by :func:`_reconcile`."""
    return _reconcile(pipeline.sync, _DIFF_SYNC, **kwargs)


def daily(**kwargs) -> dict:
    """``pipeline.daily`` (release, recount, audit), timed by :func:`_reconcile`."""
    return _reconcile(pipeline.daily, _DIFF_DAILY, **kwargs)


# --- the floor ------------------------------------------------------------------------------------


def floor_read(
    *, dsn: str, url: str, auth: tuple[str, str], table: str, ready: Callable, **_: Any
) -> dict[str, Any]:
    """The least a read can do: GET the same pages, parse the JSON, COPY the pairs into a plain table."""
    conn, session = local_db.connect(dsn), _session(auth)
    contract = Contract()
    endpoint = url + contract.path
    ready()
    start = time.perf_counter()
    http = copy_in = 0.0
    offset, total, items = 0, None, 0
    with conn.cursor().copy(f"COPY {table} (aor, contact) FROM STDIN") as copy:
        while total is None or offset < total:
            t0 = time.perf_counter()
            response = session.get(endpoint, params={"offset": offset, "limit": contract.page_size})
            response.raise_for_status()
            data = response.json()
            page = [(item["addressOfRecord"], item["contact"]) for item in data["registeredUsers"]]
            t1 = time.perf_counter()
            for row in page:
                copy.write_row(row)
            copy_in += time.perf_counter() - t1
            http += t1 - t0
            total = data["total"]
            if not page:
                break
            offset += len(page)
            items += len(page)
    wall = time.perf_counter() - start
    conn.close()
    return {"wall": wall, "seconds": {"read_http": http, "stage": wall - http}, "bindings": items}


def floor_write(*, dsn: str, rows: int, ready: Callable) -> dict[str, Any]:
    """The least a reconcile can do: COPY the inventory out, COPY as many rows as the case wrote into
    a plain table (logged, as the inventory must be, but without indexes or checks)."""
    conn = local_db.connect(dsn)
    conn.execute("TRUNCATE bench_floor_inventory")
    ready()
    start = time.perf_counter()
    out = bytearray()
    with conn.cursor().copy("COPY number_inventory TO STDOUT") as copy:
        for chunk in copy:
            out += chunk
    copied_out = time.perf_counter()
    lines = bytes(out).split(b"\n", rows)[:rows] if rows else []
    with conn.cursor().copy("COPY bench_floor_inventory FROM STDIN") as copy:
        for line in lines:
            copy.write(line + b"\n")
    wall = time.perf_counter() - start
    conn.close()
    return {"wall": wall, "seconds": {"diff": copied_out - start, "write": wall - (copied_out - start)}}


# --- the naive baseline -----------------------------------------------------------------------------


def naive_sync(
    *,
    devices: list[tuple[str, str]],
    auth: tuple[str, str],
    run: dict,
    cooling_days: int,
    airflow_env: dict[str, str],
    ready: Callable,
) -> dict[str, Any]:
    """A sync as a typical hand-written DAG does it: per number, through the Airflow Postgres hook.

    Each device is read page by page with ``requests`` into one list in memory, one device after the
    other. Then every registered number is looked up with its own ``SELECT`` and, where the SPEC's
    table says so, inserted or updated with its own statement and history row, committed on its own:
    what ``hook.insert_rows([row])`` or ``hook.run(sql, parameters=...)`` per number does. It uses one
    connection from ``PostgresHook.get_conn()`` for all of them, sparing the baseline the new
    connection that each hook call opens (about 7 ms more per number here). Parsing uses the project's
    vectorised normaliser, so the difference measured is the database work. Same transitions and
    history as the pipeline (no guard, no kept reads: it is a baseline, not a product).
    """
    os.environ.update(airflow_env)
    import pandas as pd
    from airflow.providers.postgres.hooks.postgres import PostgresHook

    from number_inventory import numbers

    conn = PostgresHook(postgres_conn_id="number_inventory_db").get_conn()
    conn.autocommit = True
    # psycopg prepares a statement run five times; planned generically while the inventory is
    # still empty, the per-number SELECT would scan the table ever after. Plan each one afresh, as
    # psycopg2-era hooks did, so the baseline is not slowed by that.
    conn.prepare_threshold = None
    session = _session(auth)
    info = _run_info(run)
    day = info.run_day
    ready()

    start = time.perf_counter()
    users: list[dict[str, str]] = []
    for url in (url for _, url in devices):
        offset = 0
        while True:
            response = session.get(url + "/api/v1/registeredUsers", params={"offset": offset, "limit": 1000})
            response.raise_for_status()
            body = response.json()
            users.extend(body["registeredUsers"])
            offset += len(body["registeredUsers"])
            if not body["registeredUsers"] or offset >= body["total"]:
                break
    read_done = time.perf_counter()
    aors = pd.Series([u["addressOfRecord"] for u in users], dtype="string")
    contacts = pd.Series([u["contact"] for u in users], dtype="string")
    found = numbers.normalise_aors(aors)[numbers.binding_active(contacts).to_numpy()]
    registered = set(found.dropna())

    release = day + dt.timedelta(days=cooling_days)
    tag = f"Cooling: {cooling_days} day(s) until release on {release.isoformat()}"
    used = ("Used", "Device", "AudioCodes", None, None)
    history_sql = (
        "INSERT INTO number_inventory_history (number, dag_id, run_id, run_day, reason, before_status, "
        "before_usage, before_vendor, before_tag, before_release_date, after_status, after_usage, "
        "after_vendor, after_tag, after_release_date) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
    )

    def write(statement: str, params: tuple, reason: str, before: tuple, after: tuple) -> None:
        with conn.transaction():  # one hook call: the change and its history, then commit
            conn.execute(statement, params)
            conn.execute(history_sql, (params[-1], info.dag_id, info.run_id, day, reason, *before, *after))

    written = 0
    for num in sorted(registered):
        row = conn.execute(
            "SELECT status, usage, vendor, tag, release_date FROM number_inventory WHERE number = %s", (num,)
        ).fetchone()
        if row is None:
            insert = "INSERT INTO number_inventory (status, usage, vendor, number) VALUES (%s, %s, %s, %s)"
            write(insert, (*used[:3], num), "registered", (None,) * 5, used)
            written += 1
            continue
        status, usage, vendor = row[:3]
        if status in ("Available", "Cooling") or (
            status == "Used" and vendor == "AudioCodes" and usage != "Device"
        ):
            reason = {"Available": "registered", "Cooling": "back_online"}.get(status, "wrong_usage")
            update = (
                "UPDATE number_inventory SET status = 'Used', usage = 'Device', vendor = 'AudioCodes', "
                "tag = NULL, release_date = NULL, updated_at = now() WHERE number = %s"
            )
            write(update, (num,), reason, row, used)
            written += 1
    gone = conn.execute(
        "SELECT number, status, usage, vendor, tag, release_date FROM number_inventory "
        "WHERE status = 'Used' AND vendor = 'AudioCodes'"
    ).fetchall()
    for num, *before in gone:
        if num in registered:
            continue
        update = (
            "UPDATE number_inventory SET status = 'Cooling', tag = %s, release_date = %s, "
            "updated_at = now() WHERE number = %s"
        )
        write(
            update,
            (tag, release, num),
            "registration_gone",
            tuple(before),
            ("Cooling", before[1], "AudioCodes", tag, release),
        )
        written += 1
    wall = time.perf_counter() - start
    conn.close()
    return {
        "wall": wall,
        "seconds": {"read_http": read_done - start, "write": wall - (read_done - start)},
        "written": written,
    }


STEPS: dict[str, Callable[..., dict[str, Any]]] = {
    "read": read,
    "sync": sync,
    "daily": daily,
    "floor_read": floor_read,
    "floor_write": floor_write,
    "naive_sync": naive_sync,
    "peer_sync": peer.peer_sync,
}


def connect(dsn: str) -> psycopg.Connection:
    """An autocommit connection, for the parent's set-up work."""
    return local_db.connect(dsn)
