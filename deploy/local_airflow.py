"""``make airflow``: a local Airflow where every step of the docs works, kept in ``.airflow/``.

One command starts, as processes on this machine (:class:`deploy.run_local_stack.LocalStack`):

- PostgreSQL as the Airflow **metadata database** and the inventory database (the server on
  127.0.0.1:5432 when it answers, else the embedded one, its data in ``.airflow/pgdata``), so that
  backfills run (SQLite, ``airflow standalone``'s database, locks under them);
- the API server (the UI), scheduler, DAG processor and triggerer, on the LocalExecutor, with
  ``[core] test_connection = Enabled`` (the *Test* button of *Admin -> Connections*);
- two bundled devices: ``audiocodes_sbc1`` (the JSON API) and ``audiocodes_sbc2`` (a Mediant SBC's CLI
  script), registering numbers of the demo's range 4930100-4930119;
- the connections ``number_inventory_db``, ``audiocodes_sbc1`` and ``audiocodes_sbc2`` and the Variables,
  stored in the metadata database (they show in *Admin*, with *Test*); the project's DAGs unpaused;
- on the first start, the demo's inventory: 4930100-4930119 loaded Available, one sync run and one daily
  run, so the *Number Inventory* view shows data.

It prints the URL and the login, then runs until Ctrl-C, which stops every process. A second
``make airflow`` resumes: the same databases, secrets, login and ports (``.airflow/state.json``).
``--reset`` drops the databases and ``.airflow/`` first; ``--check`` starts, checks (the metadata
database, each connection's *Test* through the REST API, a sync backfill of three hours through the
scheduler and its runs' notes) and stops.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from deploy.run_local_stack import (
    ADMIN_USER,
    ROOT,
    SECRET_NAMES,
    SYNC_DAG,
    Device,
    LocalStack,
    free_port,
    new_secrets,
)
from devtools import local_db

STATE_DIR = ROOT / ".airflow"
DAILY_DAG = "number_inventory_daily"
PROJECT_DAGS = (SYNC_DAG, DAILY_DAG, "number_inventory_action", "audiocodes_connection_purge")
#: The demo's devices, as ``make demo`` has them: a JSON device and a Mediant SBC's CLI script.
DEVICES = (
    Device("audiocodes_sbc1", "4930100-4930105", api="json"),
    Device("audiocodes_sbc2", "4930104-4930107", api="mediant-cli"),
)
#: The operator's number range of the demo, loaded Available on the first start.
DEMO_NUMBERS = range(4930100, 4930120)
VARIABLES = {"AIRFLOW_VAR_AUDIOCODES_COOLING_DURATION": "2"}
#: The ``[core]`` settings beyond the deployment's: the connection form's *Test* button.
CONFIG = {"AIRFLOW__CORE__TEST_CONNECTION": "Enabled"}


# --- the state that makes a second start resume ------------------------------------------------


def load_state(workdir: Path) -> dict[str, Any]:
    """``workdir/state.json``: the databases' names, the secrets, device passwords and ports; made
    on the first start (readable by this user only: it holds passwords)."""
    path = workdir / "state.json"
    if path.exists():
        return json.loads(path.read_text())
    token = secrets.token_hex(4)
    state = {
        "databases": [f"airflow_local_{token}", f"number_inventory_local_{token}"],
        "secrets": new_secrets(),
        "devices": {
            d.connection_id: {"password": secrets.token_urlsafe(9), "port": free_port()} for d in DEVICES
        },
    }
    workdir.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(state, indent=1))
    path.chmod(0o600)
    return state


def make_stack(
    workdir: Path,
    *,
    api_port: int = 8080,
    schedules: bool = True,
    say: Callable[[str], None] | None = None,
) -> LocalStack:
    """The local Airflow of ``workdir`` (see the module): resumed from its ``state.json``."""
    state = load_state(workdir)
    devices = tuple(
        Device(d.connection_id, d.numbers, state["devices"][d.connection_id]["password"], d.api)
        for d in DEVICES
    )
    ports = {}
    for conn_id, device in state["devices"].items():  # a port another program took since: a new one
        ports[conn_id] = device["port"] if port_is_free(device["port"]) else free_port()
    return LocalStack(
        workdir,
        devices=devices,
        api_port=api_port,
        executor="LocalExecutor",
        parallelism=8,
        schedules=schedules,
        variables=VARIABLES,
        say=say,
        database_names=tuple(state["databases"]),
        keep_databases=True,
        pgdata=workdir / "pgdata",
        secrets={k: state["secrets"][k] for k in SECRET_NAMES},
        device_ports=ports,
        store_settings=True,
        config=CONFIG,
    )


def port_is_free(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def reset(workdir: Path, say: Callable[[str], None]) -> None:
    """Drop the databases of ``workdir``'s state and remove ``workdir``."""
    path = workdir / "state.json"
    if path.exists():
        state = json.loads(path.read_text())
        server = local_db.system_server() or local_db.embedded_server(workdir / "pgdata")
        for name in state["databases"]:
            local_db.drop_database(server, name)
        say(f"dropped the databases {', '.join(state['databases'])}")
    shutil.rmtree(workdir, ignore_errors=True)
    say(f"removed {workdir}")


# --- the first start: the demo's inventory, visible in the view --------------------------------


def prepare(stack: LocalStack, timeout: float = 240) -> None:
    """Unpause the project's DAGs; on the first start (no run recorded in the inventory yet), load
    the demo's numbers and run one sync, then one daily run, so that the view shows data. The daily
    DAG is unpaused only after that sync: its scheduled run for today, which the scheduler creates at
    once, would otherwise find the devices never read and fail on stale reads."""
    for dag_id in PROJECT_DAGS:
        stack.wait_for_dag(dag_id, timeout=90)
    with local_db.connect(stack.inventory_dsn) as conn:
        recorded = (
            conn.execute("SELECT to_regclass('inventory_run') IS NOT NULL").fetchone()[0]
            and conn.execute("SELECT count(*) FROM inventory_run").fetchone()[0]
        )
    if not recorded:
        load_demo_numbers(stack.inventory_dsn)
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        stack.unpause(SYNC_DAG)
        run_id = stack.trigger(SYNC_DAG, now)
        stack.say(f"{SYNC_DAG} run {run_id}: {stack.wait_for_run(SYNC_DAG, run_id, timeout=timeout)}")
    for dag_id in PROJECT_DAGS:
        stack.unpause(dag_id)
    stack.say(f"unpaused {', '.join(PROJECT_DAGS)}")
    if not recorded:
        run_id = stack.trigger(DAILY_DAG, dt.datetime.now(dt.UTC).replace(microsecond=0))
        stack.say(f"{DAILY_DAG} run {run_id}: {stack.wait_for_run(DAILY_DAG, run_id, timeout=timeout)}")


def load_demo_numbers(dsn: str) -> None:
    """The demo's operator range, 4930100-4930119, Available (as ``make demo`` loads it)."""
    from number_inventory import store

    with local_db.connect(dsn) as conn:
        store.migrate(conn)
        conn.execute(
            "INSERT INTO number_inventory (number) SELECT g::text FROM generate_series(%s, %s) g "
            "ON CONFLICT DO NOTHING",
            (DEMO_NUMBERS.start, DEMO_NUMBERS.stop - 1),
        )


# --- what the docs promise, checked -----------------------------------------------------------


def airflow_cli(stack: LocalStack, *args: str, timeout: float = 120) -> str:
    """Run ``airflow ARGS`` in the stack's environment (as a user does in ``make airflow-shell``'s
    environment); return its output, failing with it on an error."""
    result = subprocess.run(
        [sys.executable, "-m", "airflow", *args],
        env=stack.env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode:
        raise RuntimeError(f"airflow {' '.join(args)} failed:\n{(result.stdout + result.stderr)[-3000:]}")
    return result.stdout


def test_connections(stack: LocalStack) -> dict[str, tuple[bool, str]]:
    """Each stored connection's *Test* (``POST /api/v2/connections/test``), as the UI's button sends it:
    the stored connection with its password."""
    found = {}
    for conn_id, connection in stack.connections().items():
        stored = stack.api("GET", f"/connections/{conn_id}")
        body = {**stored, "password": connection.get("password")}
        answer = stack.api("POST", "/connections/test", json=body)
        found[conn_id] = (answer["status"], answer["message"])
    return found


def backfill(stack: LocalStack, dag_id: str, start: dt.datetime, end: dt.datetime) -> list[dict]:
    """``airflow backfill create`` from ``start`` to ``end``; wait until its runs end; return them."""
    airflow_cli(
        stack,
        "backfill",
        "create",
        "--dag-id",
        dag_id,
        "--from-date",
        start.isoformat(),
        "--to-date",
        end.isoformat(),
    )

    def runs() -> list[dict]:
        return stack.api("GET", f"/dags/{dag_id}/dagRuns", params={"run_type": "backfill", "limit": 100})[
            "dag_runs"
        ]

    deadline = time.monotonic() + 300
    while True:
        found = runs()
        if found and all(r["state"] in ("success", "failed") for r in found):
            return found
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"backfill of {dag_id}: runs not ended: {[(r['dag_run_id'], r['state']) for r in found]}"
            )
        for process in stack.processes.values():
            process.check_running()
        time.sleep(2)


def check(stack: LocalStack) -> None:
    """What the docs promise of ``make airflow``, checked; raises ``AssertionError`` naming what fails."""
    url = stack.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    assert url.startswith("postgresql"), f"the metadata database is not PostgreSQL: {url.split(':')[0]}"
    tests = test_connections(stack)
    failed = {c: m for c, (ok, m) in tests.items() if not ok}
    assert not failed, f"connection tests failed: {failed}"
    stack.say("connection tests: " + "; ".join(f"{c}: {m}" for c, (_, m) in tests.items()))
    day = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0) - dt.timedelta(days=1)
    runs = backfill(stack, SYNC_DAG, day + dt.timedelta(hours=2), day + dt.timedelta(hours=4))
    bad = [
        (r["dag_run_id"], r["state"], r.get("note"))
        for r in runs
        if r["state"] != "success" or not r.get("note")
    ]
    assert len(runs) == 3 and not bad, f"sync backfill runs without success or a note: {bad or runs}"
    stack.say(f"sync backfill: {len(runs)} runs succeeded; the note of each: {runs[0]['note']}")


# --- the command --------------------------------------------------------------------------------


def banner(stack: LocalStack) -> str:
    return (
        f"\nAirflow UI: {stack.api_url}   login: {ADMIN_USER} / {stack.admin_password}\n"
        f"Number Inventory view: {stack.api_url}/number-inventory/\n"
        f"Metadata database {stack.database_names[0]} and inventory database {stack.database_names[1]} "
        f"on {where(stack)}\n"
        f"The Airflow CLI of this setup, in another terminal: . {stack.workdir / 'env.sh'}; logs in {stack.log_dir}\n"
    )


def where(stack: LocalStack) -> str:
    from psycopg.conninfo import conninfo_to_dict

    params = conninfo_to_dict(stack.server_dsn)
    return f"{params.get('host', '127.0.0.1')}:{params.get('port', 5432)}"


def shell_env(stack: LocalStack) -> str:
    """The stack's environment as ``export`` lines (``.airflow/env.sh``): the Airflow CLI of the venv
    on ``PATH``, talking to this setup's metadata database, and libpq's ``PG*`` variables naming the
    inventory database, so that a plain ``psql`` opens it."""
    import shlex

    from psycopg.conninfo import conninfo_to_dict

    keep = {k: v for k, v in stack.env.items() if k.startswith("AIRFLOW") or k == "PYTHONPATH"}
    libpq = {
        "host": "PGHOST",
        "port": "PGPORT",
        "user": "PGUSER",
        "password": "PGPASSWORD",
        "dbname": "PGDATABASE",
    }
    params = conninfo_to_dict(stack.inventory_dsn)
    keep.update({variable: str(params[key]) for key, variable in libpq.items() if params.get(key)})
    lines = [f'export PATH={shlex.quote(str(Path(sys.executable).parent))}:"$PATH"\n']
    lines += [f"export {k}={shlex.quote(v)}\n" for k, v in sorted(keep.items())]
    return "".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--workdir", type=Path, default=STATE_DIR, help="state, logs, AIRFLOW_HOME (.airflow)"
    )
    parser.add_argument("--port", type=int, default=8080, help="the UI's port (0: a free one; default 8080)")
    parser.add_argument("--reset", action="store_true", help="drop the databases and the workdir first")
    parser.add_argument("--check", action="store_true", help="start, check what the docs promise, stop")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    def say(text: str) -> None:
        print(f"[airflow {time.strftime('%H:%M:%S')}] {text}", flush=True)

    if args.reset:
        reset(args.workdir, say)

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)
    stack = make_stack(args.workdir, api_port=args.port, say=say)
    try:
        stack.start(timeout=300)
        (args.workdir / "env.sh").write_text(shell_env(stack))
        (args.workdir / "env.sh").chmod(0o600)
        prepare(stack)
        if args.check:
            check(stack)
            return 0
        print(banner(stack), flush=True)
        print("Running; Ctrl-C stops everything (`make airflow` again resumes).", flush=True)
        while True:
            time.sleep(1)
            for process in stack.processes.values():
                process.check_running()
    except KeyboardInterrupt:
        return 0 if not args.check else 130
    except (RuntimeError, TimeoutError, AssertionError) as exc:
        print(f"\n{exc}\n\n{stack.log_tails()}", file=sys.stderr)
        return 1
    finally:
        with contextlib.suppress(KeyboardInterrupt):
            stack.stop()


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
