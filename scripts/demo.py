"""The main job, end to end, on a laptop: ``make demo``.

Starts the inventory database (the configured ``number_inventory_db`` when there is one, else the
embedded PostgreSQL the project installs), two bundled AudioCodes devices over real HTTP, and runs
the real ``audiocodes_number_sync`` and ``number_inventory_daily`` DAGs with ``dag.test()`` through a
few simulated days: registrations appear, go away, come back, and get released. It prints the
inventory after each day and the history of two numbers at the end.

A configured database that holds numbers other than the demo's (4930100-4930119) is refused unless
``--allow-any-database`` (or ``DEMO_ALLOW_ANY_DATABASE=1``) says to write into it anyway; one that holds
only the demo's is emptied first. ``--history [NUMBER ...]`` prints the history of the last demo
without running anything.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import subprocess
import sys
import warnings
from pathlib import Path

import devtools
from devtools import local_db
from devtools.device_server import KPI_PATH, DeviceServer
from number_inventory import settings, store
from number_inventory.device_apis.contract import Contract

ROOT = Path(__file__).resolve().parents[1]
STATE = ROOT / ".demo"

# Set before Airflow is imported (only the functions below import it; the modules above do not).
# The demo's own Airflow home, whatever AIRFLOW_HOME says: its synthetic runs (a failed DAG run, days
# in the future) stay out of the Airflow home the local UI uses (docs: Running it locally).
os.environ.update(
    AIRFLOW_HOME=str(STATE / "airflow"),
    AIRFLOW__CORE__LOAD_EXAMPLES="False",
    AIRFLOW__CORE__DAGS_FOLDER=str(ROOT / "dags"),
    AIRFLOW__CORE__PLUGINS_FOLDER=str(ROOT / "plugins"),
    # Quiet by default: the staged failure of day 5 is explained in one paragraph instead of the
    # tasks' tracebacks; DEMO_LOG_LEVEL=INFO shows the tasks' logs.
    AIRFLOW__LOGGING__LOGGING_LEVEL=os.environ.get("DEMO_LOG_LEVEL", "CRITICAL"),
    PYTHONPATH=os.pathsep.join(filter(None, [devtools.PYTHONPATH, os.environ.get("PYTHONPATH")])),
    # libpq's application_name for every connection the demo opens: the history names it
    PGAPPNAME=os.environ.get("PGAPPNAME", "number-inventory-demo"),
)
warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")

#: The embedded server's database of the demo, dropped and created afresh by each demo.
DEMO_DATABASE = "number_inventory_demo"
#: The operator's number range of the demo; a configured database holding any other number is refused.
DEMO_NUMBERS = range(4930100, 4930120)
DEMO_NUMBER_PATTERN = "^49301[01][0-9]$"
ALLOW_ENV = "DEMO_ALLOW_ANY_DATABASE"

#: The demo's devices: connection id -> (password, connection type, extras). A plain ``http``
#: connection (a JSON device) and the project's ``audiocodes`` type (a Mediant SBC read through its CLI
#: script) both work; the ``api`` extra names the device
#: API (docs: Device connections).
DEVICES = {
    "audiocodes_sbc1": ("demo-pass-1", "http", {}),
    "audiocodes_sbc2": ("demo-pass-2", "audiocodes", {"api": "mediant-cli"}),
}


class RefusedDatabase(SystemExit):
    """The configured database holds an inventory that is not the demo's."""


def configured_database():
    """An autocommit connection to the configured ``number_inventory_db`` (any form Airflow takes:
    ``postgresql://``, ``postgres://``, ``postgresql+psycopg://`` or JSON), or ``None``."""
    if not os.environ.get(f"AIRFLOW_CONN_{settings.INVENTORY_CONN_ID.upper()}"):
        return None
    from airflow.providers.postgres.hooks.postgres import PostgresHook

    hook = PostgresHook(postgres_conn_id=settings.INVENTORY_CONN_ID)
    info = hook.get_connection(settings.INVENTORY_CONN_ID)
    conn = hook.get_conn()
    conn.autocommit = True
    print(
        f"Using the configured number_inventory_db connection ({info.host}:{info.port or 5432}/{info.schema})"
    )
    return conn


def embedded_database(*, fresh: bool):
    """An autocommit connection to the demo's database on the embedded PostgreSQL (data in .demo/)."""
    server = local_db.embedded_server(STATE / "pgdata")
    if fresh:
        local_db.drop_database(server, DEMO_DATABASE)  # the demo's own database: start afresh
    dsn = local_db.with_database(server, DEMO_DATABASE)
    os.environ[f"AIRFLOW_CONN_{settings.INVENTORY_CONN_ID.upper()}"] = local_db.airflow_connection(dsn)
    print(f"Started the embedded PostgreSQL (data in {STATE / 'pgdata'})")
    return local_db.connect(dsn)


def other_numbers(conn) -> int:
    """How many numbers the database's inventory and history hold outside the demo's range (a number
    in both counts once: the history records every row of the inventory)."""
    tables = [
        table
        for table in ("number_inventory", "number_inventory_history")
        if conn.execute("SELECT to_regclass(%s)", (table,)).fetchone()[0] is not None
    ]
    if not tables:
        return 0
    union = " UNION ".join(f"SELECT number FROM {table} WHERE number !~ %(demo)s" for table in tables)
    return conn.execute(f"SELECT count(*) FROM ({union}) AS other", {"demo": DEMO_NUMBER_PATTERN}).fetchone()[
        0
    ]


def inventory_database(*, allow_any: bool):
    """The connection the demo writes through: the configured database, checked to hold nothing but
    the demo's numbers (then emptied for a fresh start) unless ``allow_any``, else the embedded one."""
    conn = configured_database()
    if conn is None:
        conn = embedded_database(fresh=True)
        store.migrate(conn)
        return conn
    others = other_numbers(conn)
    if others and not allow_any:
        conn.close()
        raise RefusedDatabase(
            f"Refused: the number_inventory_db database holds {others} number(s) outside the demo's range "
            f"{DEMO_NUMBERS.start}-{DEMO_NUMBERS.stop - 1}: an inventory that is not the demo's. The demo "
            "writes numbers and runs into the database it uses, so it stops before writing anything. Point "
            "AIRFLOW_CONN_NUMBER_INVENTORY_DB at an empty database, unset it (the demo then starts an "
            f"embedded PostgreSQL), or set {ALLOW_ENV}=1 (or pass --allow-any-database) to write into "
            "this one anyway."
        )
    store.migrate(conn)
    if others:
        print(f"Writing into a database that holds {others} other number(s), as {ALLOW_ENV} allows")
    else:  # only the demo's numbers (or nothing): start afresh, as with the embedded database
        conn.execute(f"TRUNCATE {', '.join(local_db.PROJECT_TABLES)} RESTART IDENTITY CASCADE")
    return conn


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
        proof = ""
        if Contract.from_extras(extra, conn_id).values().get("count_check") == "required":
            proof = f"; its own counter of registered users proves each listing complete ({KPI_PATH})"
        print(f"Device {conn_id} ({conn_type} connection, {api} API) on {server.url}{proof}")
    os.environ["AIRFLOW_VAR_AUDIOCODES_CONNECTIONS"] = json.dumps(list(DEVICES))
    os.environ.setdefault("AIRFLOW_VAR_AUDIOCODES_COOLING_DURATION", "2")
    return servers


def show(conn, day: dt.date, note: str) -> None:
    print(f"\n=== {day}  {note}")
    counts = conn.execute("SELECT status, count(*) FROM number_inventory GROUP BY 1 ORDER BY 1").fetchall()
    print("    " + ", ".join(f"{status}: {n}" for status, n in counts))
    shown = "(number BETWEEN '4930100' AND '4930109' OR status <> 'Available')"
    cursor = conn.execute(
        "SELECT number, status, coalesce(usage, ''), coalesce(vendor, ''), coalesce(tag, ''), "
        f"coalesce(release_date::text, '') FROM number_inventory WHERE {shown} ORDER BY number LIMIT 20"
    )
    print(f"    {'number':<10} {'status':<10} {'usage':<7} {'vendor':<11} {'release':<11} tag")
    rows = cursor.fetchall()
    for number, status, usage, vendor, tag, release in rows:
        print(f"    {number:<10} {status:<10} {usage:<7} {vendor:<11} {release:<11} {tag}")
    left_out = conn.execute(
        f"SELECT status, count(*), min(number), max(number) FROM number_inventory WHERE NOT {shown} "
        "GROUP BY 1 ORDER BY 1"
    ).fetchall()
    for status, count, first, last in left_out:
        print(f"    (left out: {count} {status} number(s), {first}-{last})")
    if len(rows) == 20:
        print("    (and any row after the first 20 shown)")


def explain_failure(conn, dag_id: str, run_id: str) -> None:
    """One paragraph saying why a run failed, instead of its tasks' tracebacks."""
    failed = [r for r in store.reads_of_run(conn, run_id) if r["state"] != "complete"]
    if failed:
        reads = "; ".join(f"{r['connection_id']}: {r['error']}" for r in failed)
        print(
            f"      Why: the device read failed for {reads}. The healthy connections were reconciled; "
            f"the failed one kept its previous complete read, so none of its numbers cooled, and the run "
            f"failed at check_reads naming it (DEMO_LOG_LEVEL=INFO make demo shows the tasks' logs)."
        )
        return
    stale = conn.execute(
        "SELECT connection_id, message FROM audit_connection_finding WHERE run_id = %s AND \"check\" = 'stale_read' "
        "ORDER BY id",
        (run_id,),
    ).fetchall()
    if stale:
        names = ", ".join(connection_id for connection_id, _ in stale)
        print(
            f"      Why: the daily run audited and released what was due (holding back numbers last seen on a "
            f"stale connection), then failed on a stale read: {names} "
            f"was last read completely by yesterday's sync, 24 hours ago on the demo's clock (its days are 24 "
            "hours apart; with a deployment's hourly sync it would be an hour), which is past "
            "audiocodes_max_read_age_hours (24); it fails so that on-call hears of a device not read for a day."
        )
        return
    print(f"      {dag_id} failed; DEMO_LOG_LEVEL=INFO make demo shows its tasks' logs and tracebacks.")


def show_history(conn, numbers: list[str] | None = None) -> None:
    """Every change of ``numbers`` (all of them when None), oldest first, from number_inventory_history."""
    if conn.execute("SELECT to_regclass('number_inventory_history')").fetchone()[0] is None:
        print("    (no history yet: this database has no inventory; `make demo` makes one)")
        return
    rows = conn.execute(
        "SELECT number, run_day, coalesce(dag_id, db_user || ' via ' || coalesce(nullif(application_name, ''), '?')), "
        "reason, coalesce(before_status, '-'), coalesce(after_status, 'deleted'), coalesce(after_tag, '') "
        "FROM number_inventory_history "
        "WHERE %(numbers)s::text[] IS NULL OR number = ANY(%(numbers)s) ORDER BY number, id",
        {"numbers": numbers},
    ).fetchall()
    print(f"    {'number':<10} {'run day':<11} {'dag (or who, outside the DAGs)':<36} {'reason':<18} change")
    for number, run_day, by, reason, before, after, tag in rows:
        change = f"{before} -> {after}" + (f"  ({tag})" if tag else "")
        print(f"    {number:<10} {run_day or '-'!s:<11} {by:<36} {reason:<18} {change}")
    if not rows:
        print("    (no changes recorded)")


HISTORY_HOWTO = """\
Look at the history again later, without running anything:
    .venv/bin/python -m scripts.demo --history              # every change of the demo's numbers
    .venv/bin/python -m scripts.demo --history 4930100      # one number's
or in SQL, on the demo's database (the embedded server's data is in .demo/pgdata):
    SELECT * FROM number_inventory_history ORDER BY number, id;"""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--allow-any-database",
        action="store_true",
        default=os.environ.get(ALLOW_ENV, "") not in ("", "0"),
        help=f"write into a configured database even when it holds other numbers (or {ALLOW_ENV}=1)",
    )
    parser.add_argument(
        "--history", nargs="*", metavar="NUMBER", help="print the history of the last demo and stop"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if args.history is not None:
        conn = configured_database() or embedded_database(fresh=False)
        print("\n=== number_inventory_history")
        show_history(conn, args.history or None)
        return
    conn = inventory_database(allow_any=args.allow_any_database)
    subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"], check=True, capture_output=True, env=os.environ
    )
    from airflow.dag_processing.dagbag import DagBag

    dags = DagBag(dag_folder=str(ROOT / "dags")).dags
    sbc1, sbc2 = start_devices().values()
    # The operator's number range, loaded with a plain INSERT: 4930100-4930119, all Available.
    conn.execute(
        "INSERT INTO number_inventory (number) SELECT g::text FROM generate_series(%s, %s) g "
        "ON CONFLICT DO NOTHING",
        (DEMO_NUMBERS.start, DEMO_NUMBERS.stop - 1),
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
        if state.state == "failed":
            explain_failure(conn, dag_id, state.run_id)

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
    # The simulated days end today, so that afterwards the Number Inventory view (on the wall clock)
    # shows the demo's reads and daily runs as hours and days ago, never in the future.
    start = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=len(script) - 1)
    for offset, (note, change) in enumerate(script):
        day = start + dt.timedelta(days=offset)
        change()
        print(f"\n--- day {offset + 1}: {note}")
        run("audiocodes_number_sync", day)
        run("number_inventory_daily", day)
        show(conn, day, note)
    for server in (sbc1, sbc2):
        server.stop()
    print("\n=== the history of 4930100 and 4930101 (number_inventory_history: every change, with its run)")
    show_history(conn, ["4930100", "4930101"])
    print(f"\nDone. {HISTORY_HOWTO}")


if __name__ == "__main__":
    main()
