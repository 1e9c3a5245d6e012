"""What the Number Inventory view's tests share: a known inventory made by the real pipeline, the
simple auth manager with a known user, and the API server's app with the plugin mounted."""

from __future__ import annotations

import datetime as dt
import json
import secrets

import pytest
from psycopg.conninfo import conninfo_to_dict

from devtools import local_db
from devtools.device_server import DeviceServer
from number_inventory import store
from tests.conftest import PROJECT_TABLES
from tests.plugins import fleet

USER, PASSWORD = "operator", "op-Secret-6"
PREFIX = "/number-inventory"
CONNECTIONS = ["audiocodes_a", "audiocodes_b"]


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives headless Chromium against a real API server")
    config.addinivalue_line("markers", "scale: loads a million inventory rows")


def fresh(dsn: str):
    """A connection to the test database: migrated, every project table empty."""
    conn = local_db.connect(dsn)
    store.migrate(conn)
    conn.execute(f"TRUNCATE {', '.join(PROJECT_TABLES)} RESTART IDENTITY CASCADE")
    return conn


@pytest.fixture(scope="module")
def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def own_database(pg, suffix: str):
    """A database beside the session's (which other tests empty), dropped afterwards; yields its DSN."""
    server, dsn = pg
    name = f"{conninfo_to_dict(dsn)['dbname']}_{suffix}"
    yield local_db.with_database(server, name)
    local_db.drop_database(server, name)


@pytest.fixture(scope="module")
def scenario_dsn(pg) -> str:
    """The database of the module's inventory."""
    yield from own_database(pg, "view")


@pytest.fixture(scope="module")
def scenario(scenario_dsn, today):
    """A connection to the inventory of ``fleet.scenario`` (read it, do not change it)."""
    conn = fresh(scenario_dsn)
    passwords = {"audiocodes_a": "pass-A", "audiocodes_b": "pass-B"}
    a, b = (DeviceServer("admin", passwords[c]).start() for c in CONNECTIONS)
    try:
        fleet.scenario(conn, a, b, passwords, today)
    finally:
        a.stop()
        b.stop()
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def auth_env(tmp_path_factory, scenario_dsn):
    """The simple auth manager with one known user, a Viewer (the least role there is), and the
    connection and Variable of the scenario's inventory."""
    passwords = tmp_path_factory.mktemp("auth") / "passwords.json"
    passwords.write_text(json.dumps({USER: PASSWORD}))
    env = {
        "AIRFLOW__CORE__AUTH_MANAGER": (
            "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
        ),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{USER}:viewer",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "False",
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32),
        "AIRFLOW_VAR_AUDIOCODES_CONNECTIONS": json.dumps(CONNECTIONS),
        "AIRFLOW_CONN_NUMBER_INVENTORY_DB": local_db.airflow_connection(scenario_dsn),
    }
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        yield env


@pytest.fixture(scope="module")
def client(auth_env, airflow_home, pg):
    """The API server's app (``create_app``: plugins, auth manager, middlewares) in-process."""
    from airflow.api_fastapi.app import create_app, purge_cached_app
    from fastapi.testclient import TestClient

    with TestClient(create_app("core")) as test_client:
        yield test_client
    purge_cached_app()


@pytest.fixture(scope="module")
def token(client) -> str:
    """A JWT for the known user, from the auth manager's ``POST /auth/token``."""
    response = client.post("/auth/token", json={"username": USER, "password": PASSWORD})
    assert response.status_code == 201, response.text
    return response.json()["access_token"]
