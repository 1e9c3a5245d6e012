"""What every test shares: one PostgreSQL database, an Airflow home, device servers, a DAG runner.

The database is the server on 127.0.0.1:5432 when it answers (a database of our own is created and
dropped), else the embedded server the project installs. DAGs run for real with ``dag.test()`` on a
SQLite metadata database in a temporary ``AIRFLOW_HOME``; connections and variables come from
``AIRFLOW_CONN_*`` / ``AIRFLOW_VAR_*``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from unittest import mock

import pytest
from psycopg import sql as pgsql

import devtools
from devtools import local_db
from devtools.device_server import DeviceServer
from number_inventory import store, tenants
from number_inventory.clock import TODAY_ENV
from tests.browser import api_server, chromium  # noqa: F401  (the browser tests' fixtures)

ROOT = Path(__file__).resolve().parents[1]

# Airflow reads its configuration when first imported: set it before any test module imports it.
# ``from tests.conftest import ...`` imports this file a second time under another name: both imports
# must agree on the Airflow home, or the second one points Airflow at an empty metadata database.
_HOME_KEY = f"_NUMBER_INVENTORY_TEST_AIRFLOW_HOME_{os.getpid()}"
_HOME = Path(os.environ.get(_HOME_KEY) or tempfile.mkdtemp(prefix="number-inventory-airflow-"))
os.environ[_HOME_KEY] = str(_HOME)
os.environ.update(
    AIRFLOW_HOME=str(_HOME),
    AIRFLOW__CORE__LOAD_EXAMPLES="False",
    AIRFLOW__CORE__DAGS_FOLDER=str(ROOT / "dags"),
    AIRFLOW__CORE__PLUGINS_FOLDER=str(ROOT / "plugins"),
    AIRFLOW__LOGGING__LOGGING_LEVEL="INFO",
    PYTHONPATH=os.pathsep.join(filter(None, [devtools.PYTHONPATH, os.environ.get("PYTHONPATH")])),
)

OUTPUT = ROOT / "test-output"
PROJECT_TABLES = local_db.PROJECT_TABLES


def read_stages(conn) -> int:
    """How many read stages exist in the database, in any session: each is a temporary table of its
    reader's session, named for its read (``store.reads.stage_statement``)."""
    return conn.execute(
        "SELECT count(*) FROM pg_class WHERE relpersistence = 't' AND relname ~ '^audiocodes_stage_[0-9]+$'"
    ).fetchone()[0]


def staged_rows(conn, read_id: int) -> list[tuple]:
    """``(number, active, contact)`` of each row read ``read_id`` staged (its numbers' first bindings
    and their repeats), in order; ``conn`` must be the reader's."""
    stage = f"audiocodes_stage_{read_id}"
    return conn.execute(
        pgsql.SQL(
            "SELECT number, active, contact FROM {} UNION ALL SELECT * FROM {} ORDER BY 1, 2, 3"
        ).format(pgsql.Identifier(stage), pgsql.Identifier(f"{stage}_repeats"))
    ).fetchall()


@pytest.fixture(scope="session")
def pg():
    """``(server_dsn, database_dsn)`` of a database created for this test session."""
    name = f"number_inventory_test_{uuid.uuid4().hex[:8]}"
    server, dsn = local_db.local_database(name, Path(tempfile.gettempdir()) / "number-inventory-pgdata")
    os.environ["AIRFLOW_CONN_NUMBER_INVENTORY_DB"] = local_db.airflow_connection(dsn)
    yield server, dsn
    local_db.drop_database(server, name)


@pytest.fixture
def db(pg):
    """An autocommit connection to the test database: schema migrated, every project table empty."""
    conn = local_db.connect(pg[1])
    store.migrate(conn)
    conn.execute(f"TRUNCATE {', '.join(PROJECT_TABLES)} RESTART IDENTITY CASCADE")
    _drop_tenant_schemas(conn)
    yield conn
    conn.close()


def _drop_tenant_schemas(conn) -> None:
    """The named tenants' inventories of earlier tests (schemas of this session's own database)."""
    for tenant in tenants.known(conn):
        conn.execute(pgsql.SQL("DROP SCHEMA {} CASCADE").format(pgsql.Identifier(tenants.schema_of(tenant))))


@pytest.fixture(scope="session")
def airflow_home():
    """The Airflow metadata database, migrated once for the session."""
    result = subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"], capture_output=True, text=True, env=os.environ
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return _HOME


PASSWORDS = {"audiocodes_a": "s3cret-A-pass", "audiocodes_b": "s3cret-B-pass"}


def http_connection(device: DeviceServer, password: str, *, conn_type: str = "http", **extra) -> str:
    """An Airflow connection (JSON) for a device server: type ``http``, or the project's
    ``audiocodes``, which reads the same."""
    return json.dumps(
        {
            "conn_type": conn_type,
            "host": "127.0.0.1",
            "port": device.port,
            "schema": "http",
            "login": device.username,
            "password": password,
            "extra": extra,
        }
    )


@pytest.fixture
def devices(monkeypatch):
    """Two device servers, configured as the connections ``audiocodes_a`` and ``audiocodes_b``."""
    servers = {
        conn_id: DeviceServer("admin", password, max_page_size=50).start()
        for conn_id, password in PASSWORDS.items()
    }
    for conn_id, server in servers.items():
        # A small page size so that every read takes several pages; retries back off briefly.
        extras = {"page_size": 30, "backoff_seconds": 0.05, "timeout_seconds": 5}
        monkeypatch.setenv(
            f"AIRFLOW_CONN_{conn_id.upper()}", http_connection(server, PASSWORDS[conn_id], **extras)
        )
    monkeypatch.setenv("AIRFLOW_VAR_AUDIOCODES_CONNECTIONS", json.dumps(list(servers)))
    yield servers
    for server in servers.values():
        server.stop()


@pytest.fixture(scope="session")
def dagbag(airflow_home, pg):
    """The project's DAGs, parsed once."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(ROOT / "dags"))
    assert not bag.import_errors, bag.import_errors
    return bag


@contextlib.contextmanager
def _runs_of_type(run_type: str | None):
    """While inside, the run ``dag.test()`` creates has ``run_type`` (``scheduled``, ``backfill``)
    instead of ``manual``, as if the scheduler or a backfill had created it; nothing else changes."""
    if run_type is None:
        yield
        return
    from airflow.models import dagrun
    from airflow.utils.types import DagRunType

    create = dagrun.get_or_create_dagrun

    def create_of_type(**kwargs):
        run = create(**kwargs)
        run.run_type = DagRunType(run_type)
        kwargs["session"].commit()
        return run

    with mock.patch.object(dagrun, "get_or_create_dagrun", create_of_type):
        yield


@pytest.fixture
def run_dag(dagbag):
    """Run a DAG for a run day with ``dag.test()``; return ``(state, {task_id: [states]})``.

    ``day`` is a date (the run's logical date is 01:00 UTC that day) or an exact logical date.
    Unless the test sets ``NUMBER_INVENTORY_TODAY`` itself (empty: the wall clock), the clock stands
    at the logical date, so day-by-day tests move today with their runs, never with the wall clock,
    and a read's age (sync on one day, daily the next: 24 hours) does not depend on when the test
    runs. ``run_type`` makes the run a ``scheduled`` or ``backfill`` one.
    """

    # dag.test() runs tasks in this process on the parsed DAG, and a run's conf can stay in its
    # params: every run passes every parameter, defaults first.
    defaults = {
        dag_id: {key: dag.params.get_param(key).value for key in dag.params}
        for dag_id, dag in dagbag.dags.items()
    }

    def run(dag_id: str, day: dt.date | dt.datetime, *, run_type: str | None = None, **conf):
        dag = dagbag.get_dag(dag_id)
        if isinstance(day, dt.datetime):
            logical = day
        else:
            logical = dt.datetime.combine(day, dt.time(1, 0), tzinfo=dt.UTC)
        today = {} if TODAY_ENV in os.environ else {TODAY_ENV: logical.isoformat()}
        with mock.patch.dict(os.environ, today), _runs_of_type(run_type):
            dag_run = dag.test(logical_date=logical, run_conf={**defaults[dag_id], **conf})
        states: dict[str, list[str]] = {}
        for ti in dag_run.get_task_instances():
            states.setdefault(ti.task_id, []).append(str(ti.state))
        return str(dag_run.state), states

    return run


@pytest.fixture
def output(capfd, caplog):
    """Everything printed or logged so far (task logs of ``dag.test()`` go to both)."""

    def read() -> str:
        out, err = capfd.readouterr()
        return out + err + caplog.text

    return read
