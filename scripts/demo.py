"""The main job, end to end, on a laptop: ``make demo``.

Starts the inventory database (the configured ``number_inventory_db`` when there is one, else the
embedded PostgreSQL the project installs), two bundled AudioCodes devices over real HTTP, and runs
the real ``audiocodes_number_sync`` and ``number_inventory_daily`` DAGs with ``dag.test()`` through a
few simulated days: registrations appear, go away, come back, and get released. It prints the
inventory after each day.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STATE = ROOT / ".demo"
sys.path.insert(0, str(ROOT))

os.environ.setdefault("AIRFLOW_HOME", str(STATE / "airflow"))
os.environ.update(
    AIRFLOW__CORE__LOAD_EXAMPLES="False",
    AIRFLOW__CORE__DAGS_FOLDER=str(ROOT / "dags"),
    AIRFLOW__CORE__PLUGINS_FOLDER=str(ROOT / "plugins"),
    AIRFLOW__LOGGING__LOGGING_LEVEL=os.environ.get("DEMO_LOG_LEVEL", "WARNING"),
    PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
)

from devtools import local_db  # noqa: E402
from devtools.device_server import DeviceServer  # noqa: E402
from include.number_inventory import store  # noqa: E402

#: The demo's devices: connection id -> (password, connection type, extras). A plain ``http``
#: connection (a JSON device) and the project's ``audiocodes`` type (a Mediant SBC read through its CLI
#: script) both work; the ``api`` extra names the device
#: API (README, "Device APIs").
DEVICES = {
    "audiocodes_sbc1": ("demo-pass-1", "http", {}),
    "audiocodes_sbc2": ("demo-pass-2", "audiocodes", {"api": "mediant-cli"}),
}


def inventory_database() -> str:
    """The DSN the demo writes to, setting ``AIRFLOW_CONN_NUMBER_INVENTORY_DB`` when it was not."""
    configured = os.environ.get("AIRFLOW_CONN_NUMBER_INVENTORY_DB")
    if configured:
        from airflow.providers.postgres.hooks.postgres import PostgresHook

        print("Using the configured number_inventory_db connection")
        return PostgresHook(postgres_conn_id="number_inventory_db").sqlalchemy_url.render_as_string(False)
    server = local_db.embedded_server(STATE / "pgdata")
    local_db.drop_database(server, "number_inventory_demo")  # the demo's own database: start afresh
    dsn = local_db.with_database(server, "number_inventory_demo")
    os.environ["AIRFLOW_CONN_NUMBER_INVENTORY_DB"] = local_db.airflow_connection(dsn)
    print(f"Started the embedded PostgreSQL (data in {STATE / 'pgdata'})")
    return dsn


def start_devices() -> dict[str, DeviceServer]:
    servers = {}
    for conn_id, (password, conn_type, extra) in DEVICES.items():
        server = DeviceServer("admin", password, max_page_size=200).start()
        os.environ[f"AIRFLOW_CONN_{conn_id.upper()}"] = json.dumps(
            {
                "conn_type": conn_type,
                "host": "127.0.0.1",
                "port": server.port,
                "schema": "http",
                "login": "admin",
                "password": password,
                "extra": extra,
            }
        )
        servers[conn_id] = server
        api = extra.get("api", "json")
        print(f"Device {conn_id} ({conn_type} connection, {api} API) on {server.url}")
    os.environ["AIRFLOW_VAR_AUDIOCODES_CONNECTIONS"] = json.dumps(list(DEVICES))
    os.environ.setdefault("AIRFLOW_VAR_AUDIOCODES_COOLING_DURATION", "2")
    return servers


def show(conn, day: dt.date, note: str) -> None:
    print(f"\n=== {day}  {note}")
    counts = conn.execute("SELECT status, count(*) FROM number_inventory GROUP BY 1 ORDER BY 1").fetchall()
    print("    " + ", ".join(f"{status}: {n}" for status, n in counts))
    cursor = conn.execute(
        "SELECT number, status, coalesce(usage, ''), coalesce(vendor, ''), coalesce(tag, ''), "
        "coalesce(release_date::text, '') FROM number_inventory "
        "WHERE number BETWEEN '4930100' AND '4930109' OR status <> 'Available' ORDER BY number LIMIT 20"
    )
    print(f"    {'number':<10} {'status':<10} {'usage':<7} {'vendor':<11} {'release':<11} tag")
    for number, status, usage, vendor, tag, release in cursor:
        print(f"    {number:<10} {status:<10} {usage:<7} {vendor:<11} {release:<11} {tag}")


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    dsn = inventory_database()
    subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"], check=True, capture_output=True, env=os.environ
    )
    from airflow.dag_processing.dagbag import DagBag

    dags = DagBag(dag_folder=str(ROOT / "dags")).dags
    sbc1, sbc2 = start_devices().values()
    conn = local_db.connect(dsn)
    store.migrate(conn)
    # The operator's number range, loaded with a plain INSERT: 4930100-4930119, all Available.
    conn.execute(
        "INSERT INTO number_inventory (number) SELECT (4930100 + g)::text FROM generate_series(0, 19) g "
        "ON CONFLICT DO NOTHING"
    )

    def run(dag_id: str, day: dt.date) -> None:
        logical = dt.datetime.combine(day, dt.time(1, 0), tzinfo=dt.UTC)
        # A simulation: today moves with the simulated days (no run acts for a day after today).
        os.environ["NUMBER_INVENTORY_TODAY"] = day.isoformat()
        dag = dags[dag_id]
        state = dag.test(
            logical_date=logical, run_conf={k: dag.params.get_param(k).value for k in dag.params}
        )
        print(f"    {dag_id}: {state.state}")

    start = dt.datetime.now(dt.UTC).date()
    script = [
        (
            "phones register: 4930100-4930105 on sbc1, 4930104-4930107 on sbc2",
            lambda: (
                sbc1.register_numbers(range(4930100, 4930106)),
                sbc2.register_numbers(range(4930104, 4930108)),
            ),
        ),
        (
            "4930100 is unplugged and cools for 2 days; 4930104 leaves sbc1 but sbc2 still has it",
            lambda: (sbc1.unregister("4930100"), sbc1.unregister("4930104")),
        ),
        ("4930101 goes away too", lambda: sbc1.unregister("4930101")),
        (
            "4930100 reaches its release date and returns to the pool; 4930101 comes back in time",
            lambda: sbc1.register("4930101"),
        ),
        (
            "sbc2 answers HTTP 503: its read fails, the run fails naming it, and its numbers stay Used",
            lambda: sbc2.fail_page(0, 503, times=None),
        ),
    ]
    for offset, (note, change) in enumerate(script):
        day = start + dt.timedelta(days=offset)
        change()
        print(f"\n--- day {offset + 1}: {note}")
        run("audiocodes_number_sync", day)
        run("number_inventory_daily", day)
        show(conn, day, note)
    for server in (sbc1, sbc2):
        server.stop()
    print("\nDone. The history of every change is in number_inventory_history.")


if __name__ == "__main__":
    main()
