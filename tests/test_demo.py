"""``make demo`` with ``AIRFLOW_CONN_NUMBER_INVENTORY_DB`` set: every form Airflow takes for the connection
reaches the database, and a database holding an inventory that is not the demo's is refused, writing
nothing, unless the demo is told to write into it anyway.

The demo runs as ``make demo`` runs it (``python -m scripts.demo`` from the repository root, in a process
of its own); its whole run is checked by hand and in CI's fresh clone, so these tests run only what stops
before the devices start.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid

import pytest
from psycopg.conninfo import conninfo_to_dict

from devtools import local_db
from number_inventory import store
from tests.conftest import ROOT


@pytest.fixture
def database(pg):
    """A database of its own, migrated, holding one number that is not the demo's."""
    name = f"number_inventory_demo_test_{uuid.uuid4().hex[:8]}"
    dsn = local_db.with_database(pg[0], name)
    with local_db.connect(dsn) as conn:
        store.migrate(conn)
        conn.execute("INSERT INTO number_inventory (number) VALUES ('14155550100')")
    yield dsn
    local_db.drop_database(pg[0], name)


def demo(dsn_env: str, *args: str, allow: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW_")}
    env.pop("DEMO_ALLOW_ANY_DATABASE", None)
    env["AIRFLOW_CONN_NUMBER_INVENTORY_DB"] = dsn_env
    if allow is not None:
        env["DEMO_ALLOW_ANY_DATABASE"] = allow
    return subprocess.run(
        [sys.executable, "-m", "scripts.demo", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def airflow_uri(dsn: str, scheme: str) -> str:
    params = conninfo_to_dict(dsn)
    host = params.get("host", "127.0.0.1")
    if host.startswith("/"):
        pytest.skip("the embedded server listens on a socket: the URI forms need a TCP server")
    password = f":{params['password']}" if params.get("password") else ""
    return f"{scheme}://{params.get('user', 'postgres')}{password}@{host}:{params.get('port', 5432)}/{params['dbname']}"


@pytest.mark.parametrize("scheme", ["postgresql+psycopg", "postgres", "postgresql"])
def test_every_form_of_the_connection_reaches_the_database(database, scheme):
    with local_db.connect(database) as conn:
        conn.execute(
            "INSERT INTO number_inventory_history (number, reason, after_status, run_day, dag_id) "
            "VALUES ('4930100', 'registered', 'Used', '2026-11-20', 'audiocodes_number_sync')"
        )
    result = demo(airflow_uri(database, scheme), "--history", "4930100")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert re.search(r"4930100 +2026-11-20 +audiocodes_number_sync +registered", result.stdout)


def test_a_database_holding_another_inventory_is_refused_and_left_alone(database):
    with local_db.connect(database) as conn:
        before = conn.execute("SELECT count(*) FROM number_inventory").fetchone()[0]
        history = conn.execute("SELECT count(*) FROM number_inventory_history").fetchone()[0]
    result = demo(local_db.airflow_connection(database), allow="0")
    assert result.returncode != 0
    assert "Refused: the number_inventory_db database holds 1 number(s) outside the demo's range" in (
        result.stderr + result.stdout
    )
    assert "DEMO_ALLOW_ANY_DATABASE=1" in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
    with local_db.connect(database) as conn:
        assert conn.execute("SELECT count(*) FROM number_inventory").fetchone()[0] == before
        # the hand insert above is in the history (its trigger); the demo added nothing
        assert conn.execute("SELECT count(*) FROM number_inventory_history").fetchone()[0] == history
