"""The sync benchmark: ``make bench`` (10k, 100k and 1M registered users) or ``make bench-small``.

For each size it starts from an empty database and runs, on the same data, over real HTTP against
the bundled devices (one process per connection) and a real PostgreSQL:

1. ``initial``  — every user is new: the inventory is empty;
2. ``churn``    — 1% of the numbers went away, 1% are new;
3. ``no_change``— the same registrations again: must write nothing;
4. ``release``  — the daily run on the day the due numbers (10% of the inventory)
   are released, with its audit over the whole inventory;
5. ``audit``    — the daily run of the next day: the audit alone.

Each sync is the pipeline as the DAG runs it: one ``read_connection`` per connection, in parallel
processes (as mapped tasks on separate workers), then ``sync`` in a process of its own. Beside it, in
the same run and on the same data: the naive baseline (per-row statements through the Airflow
Postgres hook) and the floor (fetch and parse the same JSON, plain ``COPY`` of the same rows in and
out). Each case runs ``--repeat`` times from the same starting state; the best run is reported.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import pandas as pd
import psycopg

import devtools
from bench import report, scheduler, steps
from bench.devices import PASSWORD, USERNAME, Fleet, device_connections
from devtools import local_db
from number_inventory import store

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
# Each step runs in a fresh process, forked from a server that has imported the steps once (as an
# Airflow worker forks its task processes), so its peak RSS is its own and start-up stays cheap.
CTX = multiprocessing.get_context("forkserver")
CTX.set_forkserver_preload(["bench.steps"])
COOLING_DAYS = 2
DAY0 = dt.date(2026, 11, 2)
TABLES = local_db.PROJECT_TABLES
STEP_TIMEOUT = 900


def parallel(step: str, kwargs_list: list[dict[str, Any]]) -> tuple[float, list[dict[str, Any]]]:
    """Run ``step`` once per kwargs, each in a fresh process, released together once all are ready;
    return the wall time from the release to the last result, and each process's figures."""
    barrier, results = CTX.Barrier(len(kwargs_list) + 1), CTX.Queue()
    procs = [
        CTX.Process(target=steps.worker, args=(step, kwargs, barrier, results, slot), daemon=True)
        for slot, kwargs in enumerate(kwargs_list)
    ]
    for proc in procs:
        proc.start()
    figures: dict[int, dict[str, Any]] = {}
    try:
        try:
            barrier.wait(timeout=STEP_TIMEOUT)
        except Exception:  # a worker failed before it was ready: its error is on the queue
            slot, error = results.get(timeout=60)
            raise RuntimeError(f"{step} worker {slot} failed:\n{error.get('error')}") from None
        start = time.perf_counter()
        while len(figures) < len(procs):
            slot, result = results.get(timeout=STEP_TIMEOUT)
            if "error" in result:
                raise RuntimeError(f"{step} worker {slot} failed:\n{result['error']}")
            figures[slot] = result
        wall = time.perf_counter() - start
    finally:
        for proc in procs:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.kill()
    return wall, [figures[slot] for slot in sorted(figures)]


def run_info(case: str, size: int, day: dt.date, rep: int) -> dict[str, str]:
    return {"dag_id": "bench", "run_id": f"bench-{size}-{case}-{rep}", "run_day": day.isoformat()}


class Bench:
    """One size: its databases, its devices' data and its cases."""

    def __init__(
        self, size: int, fleet: Fleet, server: str, *, naive: bool, peer: bool, floor: bool, tag: str
    ) -> None:
        self.size, self.fleet, self.server = size, fleet, server
        self.naive, self.peer, self.floor = naive, peer, floor
        self.names = {kind: f"nibench_{tag}_{size}_{kind}" for kind in ("pipeline", "naive", "peer")}
        self.dsn = local_db.with_database(server, self.names["pipeline"])
        self.naive_dsn = local_db.with_database(server, self.names["naive"]) if naive else None
        self.peer_dsn = local_db.with_database(server, self.names["peer"]) if peer else None
        self.airflow_home = Path(tempfile.mkdtemp(prefix="nibench-naive-airflow-"))
        for dsn in filter(None, (self.dsn, self.naive_dsn, self.peer_dsn)):
            with local_db.connect(dsn) as conn:
                store.migrate(conn)
                if dsn != self.dsn:
                    # The baselines are other programs writing a plain inventory table and their own
                    # history rows: the product's statement triggers (the history of hand edits, 0012;
                    # the view's counts, 0015) would fire once per statement of their row-by-row
                    # writes, charging them for features that are ours.
                    conn.execute("ALTER TABLE number_inventory DISABLE TRIGGER USER")
        with local_db.connect(self.dsn) as conn:
            # As the pipeline's: the stage unlogged, the written rows logged.
            conn.execute("CREATE UNLOGGED TABLE IF NOT EXISTS bench_floor_binding (aor text, contact text)")
            conn.execute("CREATE TABLE IF NOT EXISTS bench_floor_inventory (LIKE number_inventory)")
        # The registrations of each state: S0, then 1% gone and 1% new, then the due numbers gone.
        n = size
        self.s0 = list(range(n))
        self.s1 = [i for i in self.s0 if i % 100 != 50] + list(range(n, n + n // 100))
        due_total = n // 10
        churned = n - (len(self.s1) - n // 100)
        gone = set([i for i in self.s1 if i % 10 == 5][: max(0, due_total - churned)])
        self.s2 = [i for i in self.s1 if i not in gone]

    def close(self) -> None:
        shutil.rmtree(self.airflow_home, ignore_errors=True)
        for name in self.names.values():
            local_db.drop_database(self.server, name)

    def reset(self, dsn: str) -> None:
        with local_db.connect(dsn) as conn:
            conn.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
        self.vacuum(dsn)

    @staticmethod
    def vacuum(dsn: str) -> None:
        """Untimed, before each case: as an hourly sync finds the database, autovacuum done, so
        that a case is not charged for cleaning up after the one before it."""
        with local_db.connect(dsn) as conn:
            conn.execute("VACUUM ANALYZE")

    def register(self, indexes: list[int]) -> int:
        return self.fleet.register(indexes)

    # --- the pipeline ---------------------------------------------------------------------------

    def sync_case(self, case: str, day: dt.date, rep: int) -> dict[str, Any]:
        run = run_info(case, self.size, day, rep)
        devices = self.fleet.devices
        read_wall, reads = parallel(
            "read",
            [
                {
                    "dsn": self.dsn,
                    "url": d.url,
                    "auth": (USERNAME, PASSWORD),
                    "connection_id": d.connection_id,
                    "run": run,
                }
                for d in devices
            ],
        )
        sync_wall, (synced,) = parallel(
            "sync",
            [
                {
                    "dsn": self.dsn,
                    "connection_ids": self.fleet.connection_ids,
                    "run": run,
                    "cooling_days": COOLING_DAYS,
                }
            ],
        )
        return {
            "total": read_wall + sync_wall,
            "seconds": {
                "read_http": max(r["seconds"]["read_http"] for r in reads),
                "stage": max(r["seconds"]["stage"] for r in reads),
                **synced["seconds"],
            },
            "detail": {
                **{k: max(r["detail"].get(k, 0.0) for r in reads) for k in reads[0]["detail"]},
                **synced["detail"],
            },
            "read_wall": read_wall,
            "sync_wall": sync_wall,
            "written": synced["written"],
            "rss": max(p["rss"] for p in [*reads, synced]),
            "rss_read": max(r["rss"] for r in reads),
            "rss_sync": synced["rss"],
            "bindings": sum(r["bindings"] for r in reads),
            "summary": synced["summary"],
        }

    def daily_case(self, case: str, day: dt.date, rep: int) -> dict[str, Any]:
        run = run_info(case, self.size, day, rep)
        wall, (result,) = parallel(
            "daily",
            [
                {
                    "dsn": self.dsn,
                    "connection_ids": self.fleet.connection_ids,
                    "run": run,
                    "cooling_days": COOLING_DAYS,
                }
            ],
        )
        return {
            "total": wall,
            "seconds": result["seconds"],
            "detail": result["detail"],
            "written": result["written"],
            "rss": result["rss"],
            "summary": result["summary"],
        }

    # --- beside it ------------------------------------------------------------------------------

    def floor_case(self, written: int, *, read: bool) -> dict[str, Any]:
        """The floor of a case that wrote ``written`` rows (``read``: it also read the devices)."""
        seconds = {"read_http": 0.0, "stage": 0.0}
        total, rss = 0.0, 0
        if read:
            with local_db.connect(self.dsn) as conn:
                conn.execute("TRUNCATE bench_floor_binding")
            wall, reads = parallel(
                "floor_read",
                [
                    {
                        "dsn": self.dsn,
                        "url": d.url,
                        "auth": (USERNAME, PASSWORD),
                        "table": "bench_floor_binding",
                    }
                    for d in self.fleet.devices
                ],
            )
            total += wall
            seconds = {k: max(r["seconds"][k] for r in reads) for k in seconds}
            rss = max(r["rss"] for r in reads)
            with local_db.connect(self.dsn) as conn:
                conn.execute("TRUNCATE bench_floor_binding")
        wall, (wrote,) = parallel("floor_write", [{"dsn": self.dsn, "rows": written}])
        return {
            "total": total + wall,
            "seconds": {**seconds, **wrote["seconds"]},
            "rss": max(rss, wrote["rss"]),
        }

    def naive_case(self, case: str, day: dt.date, rep: int) -> dict[str, Any]:
        run = run_info(case, self.size, day, rep)
        devices = [(d.connection_id, d.url) for d in self.fleet.devices]
        airflow_env = {
            "AIRFLOW_HOME": str(self.airflow_home),
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
            "AIRFLOW_CONN_NUMBER_INVENTORY_DB": local_db.airflow_connection(self.naive_dsn),
        }
        wall, (result,) = parallel(
            "naive_sync",
            [
                {
                    "devices": devices,
                    "auth": (USERNAME, PASSWORD),
                    "run": run,
                    "cooling_days": COOLING_DAYS,
                    "airflow_env": airflow_env,
                }
            ],
        )
        return {
            "total": wall,
            "seconds": result["seconds"],
            "written": result["written"],
            "rss": result["rss"],
        }

    def peer_case(self, case: str, day: dt.date, rep: int) -> dict[str, Any]:
        """The idiomatic hooks-and-pandas sync (``bench/peer.py``) on its own database."""
        airflow_env = {
            "AIRFLOW_HOME": str(self.airflow_home),
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
            "AIRFLOW_CONN_NUMBER_INVENTORY_DB": local_db.airflow_connection(self.peer_dsn),
        }
        airflow_env.update(device_connections(self.fleet))
        wall, (result,) = parallel(
            "peer_sync",
            [
                {
                    "connection_ids": self.fleet.connection_ids,
                    "run": run_info(case, self.size, day, rep),
                    "cooling_days": COOLING_DAYS,
                    "airflow_env": airflow_env,
                }
            ],
        )
        return {
            "total": wall,
            "seconds": result["seconds"],
            "written": result["written"],
            "rss": result["rss"],
        }

    def same_inventory(self, other_dsn: str | None = None) -> bool:
        """Whether the pipeline's inventory and another's (the naive baseline's by default) hold the
        same rows."""
        query = (
            "SELECT number, status, coalesce(usage, ''), coalesce(vendor, ''), coalesce(tag, ''), "
            "release_date FROM number_inventory ORDER BY number"
        )
        with local_db.connect(self.dsn) as ours, local_db.connect(other_dsn or self.naive_dsn) as theirs:
            return ours.execute(query).fetchall() == theirs.execute(query).fetchall()

    @staticmethod
    def copy_inventory(source: str, target: str) -> None:
        """Untimed: make ``target``'s inventory a copy of ``source``'s."""
        with local_db.connect(source) as src, local_db.connect(target) as dst:
            dst.execute("TRUNCATE number_inventory")
            with (
                src.cursor().copy("COPY number_inventory TO STDOUT (FORMAT binary)") as out,
                dst.cursor().copy("COPY number_inventory FROM STDIN (FORMAT binary)") as into,
            ):
                for chunk in out:
                    into.write(chunk)

    # --- one repetition of every case -------------------------------------------------------------

    def run(
        self, rep: int, *, with_naive: bool, log, stop_after: str | None = None
    ) -> dict[str, dict[str, Any]]:
        cases: dict[str, dict[str, Any]] = {}
        floors: dict[str, dict[str, Any]] = {}
        naive: dict[str, dict[str, Any]] = {}
        peer: dict[str, dict[str, Any]] = {}
        self.reset(self.dsn)
        if with_naive:
            self.reset(self.naive_dsn)
        if self.peer:
            self.reset(self.peer_dsn)
        plan = [
            ("initial", self.s0, DAY0),
            ("churn", self.s1, DAY0),
            ("no_change", self.s1, DAY0),
        ]
        for case, indexes, day in plan:
            if case != "no_change":
                self.register(indexes)
            self.vacuum(self.dsn)
            cases[case] = self.sync_case(case, day, rep)
            log(f"  {case:<10} {cases[case]['total']:7.2f} s, {cases[case]['written']:>9,} rows written")
            if self.floor:
                self.vacuum(self.dsn)
                floors[case] = self.floor_case(cases[case]["written"], read=True)
            if with_naive and case == "initial" and rep > 0:
                # Its commit per number makes the naive first load long and its timing steady:
                # it runs once; later runs start the naive database from the pipeline's result.
                self.copy_inventory(self.dsn, self.naive_dsn)
            elif with_naive:
                self.vacuum(self.naive_dsn)
                naive[case] = self.naive_case(case, day, rep)
                log(f"  {'':<10} naive {naive[case]['total']:7.2f} s, {naive[case]['written']:>9,} rows")
            if self.peer:
                self.vacuum(self.peer_dsn)
                peer[case] = self.peer_case(case, day, rep)
                log(f"  {'':<10} peer  {peer[case]['total']:7.2f} s, {peer[case]['written']:>9,} rows")
            if case == stop_after:
                return {"cases": cases, "floor": floors, "naive": naive, "peer": peer, "naive_agrees": None}
        agree = self.same_inventory() if with_naive else None
        peer_agrees = self.same_inventory(self.peer_dsn) if self.peer else None
        # The due numbers go away (an untimed sync cools them), then the daily runs.
        self.register(self.s2)
        setup = self.sync_case("due_gone", DAY0, rep)
        for case, day in (
            ("release", DAY0 + dt.timedelta(days=COOLING_DAYS)),
            ("audit", DAY0 + dt.timedelta(days=COOLING_DAYS + 1)),
        ):
            self.vacuum(self.dsn)
            cases[case] = self.daily_case(case, day, rep)
            log(f"  {case:<10} {cases[case]['total']:7.2f} s, {cases[case]['written']:>9,} rows written")
            if self.floor:
                self.vacuum(self.dsn)
                floors[case] = self.floor_case(cases[case]["written"], read=False)
        return {
            "cases": cases,
            "floor": floors,
            "naive": naive,
            "peer": peer,
            "naive_agrees": agree,
            "peer_agrees": peer_agrees,
            "due_gone": setup,
        }


def best(runs: list[dict[str, dict[str, Any]]], key: str) -> dict[str, dict[str, Any]]:
    """Per case, the run with the smallest total."""
    names = {name for run in runs for name in run[key]}
    return {
        name: min((run[key][name] for run in runs if name in run[key]), key=lambda c: c["total"])
        for name in sorted(names, key=list(report.CASE_TITLES).index)
    }


# --- through Airflow --------------------------------------------------------------------------------


def airflow_run(bench: Bench, log) -> dict[str, Any]:
    """``airflow dags test audiocodes_number_sync`` on a fresh database, devices as for ``initial``."""
    home = Path(tempfile.mkdtemp(prefix="nibench-airflow-"))
    name = f"{bench.names['pipeline']}_airflow"
    local_db.drop_database(bench.server, name)
    dsn = local_db.with_database(bench.server, name)
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
        "PYTHONPATH": devtools.PYTHONPATH,
        "AIRFLOW_CONN_NUMBER_INVENTORY_DB": local_db.airflow_connection(dsn),
        "AIRFLOW_VAR_AUDIOCODES_CONNECTIONS": json.dumps(bench.fleet.connection_ids),
    }
    env.update(device_connections(bench.fleet))
    try:
        bench.register(bench.s0)
        start = time.perf_counter()
        migrate = subprocess.run(
            [sys.executable, "-m", "airflow", "db", "migrate"], env=env, capture_output=True, text=True
        )
        migrate_s = time.perf_counter() - start
        if migrate.returncode:
            return {"error": "airflow db migrate failed: " + migrate.stderr[-500:]}
        logical = dt.datetime.combine(DAY0, dt.time(1), tzinfo=dt.UTC).isoformat()
        start = time.perf_counter()
        test = subprocess.run(
            [sys.executable, "-m", "airflow", "dags", "test", "audiocodes_number_sync", logical],
            env=env,
            capture_output=True,
            text=True,
        )
        wall = time.perf_counter() - start
        with sqlite3.connect(home / "airflow.db") as meta:
            state = meta.execute("SELECT state FROM dag_run ORDER BY id DESC LIMIT 1").fetchone()
            durations = meta.execute(
                "SELECT task_id, sum(duration) FROM task_instance GROUP BY task_id"
            ).fetchall()
        with local_db.connect(dsn) as conn:
            written = conn.execute("SELECT count(*) FROM number_inventory_history").fetchone()[0]
        tasks = {task: round(seconds or 0.0, 2) for task, seconds in durations}
        result = {
            "wall": wall,
            "migrate_s": migrate_s,
            "state": state[0] if state else "none",
            "returncode": test.returncode,
            "tasks": tasks,
            "task_seconds": sum(tasks.values()),
            "written": written,
        }
        if test.returncode:
            result["error"] = f"exit {test.returncode}: " + (test.stderr or test.stdout)[-800:]
        log(f"  airflow    {wall:7.2f} s wall, tasks {result['task_seconds']:.2f} s, state {result['state']}")
        return result
    finally:
        local_db.drop_database(bench.server, name)
        shutil.rmtree(home, ignore_errors=True)


# --- the command ----------------------------------------------------------------------------------


def environment(server: str) -> dict[str, Any]:
    with psycopg.connect(server) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
    try:
        import pyarrow

        arrow = pyarrow.__version__
    except ImportError:
        arrow = "not installed"
    return {
        "date": dt.date.today().isoformat(),
        "cores": os.cpu_count(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30),
        "python": platform.python_version(),
        "pandas": pd.__version__,
        "pyarrow": arrow,
        "psycopg": psycopg.__version__,
        "postgresql": version,
        "database": "embedded"
        if "pgserver" in server or "/tmp" in server
        else server.split("@")[-1].split("/")[0],
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="registered users, comma separated")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument(
        "--naive-sizes", default="10000,100000", help="sizes that also run the naive baseline"
    )
    parser.add_argument(
        "--peer-sizes",
        default="10000,100000,1000000",
        help="sizes that also run the idiomatic hooks-and-pandas peer (bench/peer.py)",
    )
    parser.add_argument(
        "--airflow-size", type=int, default=100_000, help="size run through `airflow dags test`; 0: none"
    )
    parser.add_argument(
        "--scheduler-size",
        type=int,
        default=1_000_000,
        help="size also run through a LocalExecutor stack, triggered over the REST API; 0: none",
    )
    parser.add_argument("--repeat", type=int, default=2, help="runs of each case; the best is reported")
    parser.add_argument(
        "--naive-repeat", type=int, default=2, help="runs of the naive baseline (its first load: one)"
    )
    parser.add_argument("--no-floor", action="store_true")
    parser.add_argument("--stop-after", choices=["initial", "churn", "no_change"], help="for profiling")
    parser.add_argument(
        "--batch-rows",
        type=int,
        help="rows per batch of the reconcile (NUMBER_INVENTORY_BATCH_ROWS; default batches.BATCH_ROWS)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="where the results go")
    parser.add_argument(
        "--pgdata", type=Path, default=ROOT / ".bench" / "pgdata", help="embedded server's data"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.batch_rows:  # before the fork server starts: every step process inherits it
        os.environ["NUMBER_INVENTORY_BATCH_ROWS"] = str(args.batch_rows)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    naive_sizes = {int(s) for s in args.naive_sizes.split(",") if s}
    peer_sizes = {int(s) for s in args.peer_sizes.split(",") if s}
    started = time.perf_counter()

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f} s] {message}", flush=True)

    server = local_db.system_server() or local_db.embedded_server(args.pgdata)
    env = environment(server)
    log(f"PostgreSQL {env['postgresql']} ({env['database']}), {args.connections} device processes")
    tag = uuid.uuid4().hex[:6]
    results = []
    with Fleet(args.connections) as fleet:
        for size in sizes:
            bench = Bench(
                size,
                fleet,
                server,
                naive=size in naive_sizes,
                peer=size in peer_sizes,
                floor=not args.no_floor,
                tag=tag,
            )
            try:
                runs = []
                for rep in range(args.repeat):
                    log(f"{size:,} registered users, run {rep + 1} of {args.repeat}")
                    runs.append(
                        bench.run(
                            rep,
                            with_naive=bench.naive and rep < args.naive_repeat,
                            log=log,
                            stop_after=args.stop_after,
                        )
                    )
                result = {
                    "size": size,
                    "connections": args.connections,
                    "bindings": runs[0]["cases"]["initial"]["bindings"],
                    "repeat": args.repeat,
                    "cases": best(runs, "cases"),
                    "floor": best(runs, "floor") if not args.no_floor else {},
                    "naive": best(runs, "naive") if bench.naive else {},
                    "naive_agrees": runs[0]["naive_agrees"],
                    "peer": best(runs, "peer") if bench.peer else {},
                    "peer_agrees": runs[0].get("peer_agrees"),
                    "runs": runs,
                }
                if size == args.airflow_size:
                    result["airflow"] = airflow_run(bench, log)
                if size == args.scheduler_size:
                    result["scheduler"] = scheduler.scheduler_run(
                        fleet, [("initial", bench.s0), ("churn", bench.s1), ("no_change", None)], log=log
                    )
                results.append(result)
            finally:
                bench.close()
    paths = report.write(results, env, args.out)
    print()
    print(report.markdown(results, env))
    log("results: " + ", ".join(str(p) for p in paths))
    return 0


if __name__ == "__main__":
    sys.exit(main())
