"""Configuration faults through the real DAGs: each fails the run at once, in ``prepare``, with a
message that names what to fix, before any device is read or anything is written. None of them is
retried: a retry cannot fix a setting, and each retry of a task waits ``retry_delay`` (minutes)."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from devtools import local_db
from number_inventory import store
from tests.dags.helpers import USED, D, by_status, history_count, rows

pytestmark = pytest.mark.dag

SYNC, DAILY = "audiocodes_number_sync", "number_inventory_daily"
DAY1, DAY2 = D(2026, 11, 2), D(2026, 11, 3)
#: Far below one retry_delay (2 minutes): a run that retried could not finish this fast.
FAST = 60


def tries(dag_id: str, task_id: str) -> list[int]:
    """The try numbers of ``task_id`` in the latest run of ``dag_id``."""
    from airflow.models.dagrun import DagRun
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        run_id = session.scalar(
            select(DagRun.run_id).where(DagRun.dag_id == dag_id).order_by(DagRun.id.desc()).limit(1)
        )
        return list(
            session.scalars(
                select(TaskInstance.try_number).where(
                    TaskInstance.dag_id == dag_id,
                    TaskInstance.run_id == run_id,
                    TaskInstance.task_id == task_id,
                )
            )
        )


def timed(run_dag, dag_id, day):
    started = time.monotonic()
    state, tasks = run_dag(dag_id, day)
    return state, tasks, time.monotonic() - started


@pytest.fixture
def synced(db, devices, run_dag):
    a, b = devices["audiocodes_a"], devices["audiocodes_b"]
    a.register_numbers([str(n) for n in range(1000, 1010)])
    b.register_numbers([str(n) for n in range(2000, 2010)])
    assert run_dag(SYNC, DAY1)[0] == "success"
    assert by_status(db) == {"Used": 20}
    return a, b


def assert_failed_at_once_in_prepare(dag_id, state, tasks, seconds):
    assert state == "failed", tasks
    assert tasks["prepare"] == ["failed"]
    assert tries(dag_id, "prepare") == [1]  # no retry
    assert seconds < FAST


def test_connections_without_an_airflow_connection_are_named_before_any_read(
    db, synced, run_dag, output, monkeypatch
):
    a, b = synced
    ids = ["audiocodes_a", "audiocodes_ghost", "audiocodes_b", "audiocodes_typo"]
    monkeypatch.setenv("AIRFLOW_VAR_AUDIOCODES_CONNECTIONS", json.dumps(ids))
    a.unregister("1000")
    before, written, served = rows(db), history_count(db), a.requests_served + b.requests_served

    state, tasks, seconds = timed(run_dag, SYNC, DAY2)

    assert_failed_at_once_in_prepare(SYNC, state, tasks, seconds)
    assert tasks["read_connection"] == ["upstream_failed"]
    assert a.requests_served + b.requests_served == served
    assert rows(db) == before and history_count(db) == written
    assert (
        "connections 'audiocodes_ghost', 'audiocodes_typo' are not defined in Airflow "
        "(listed in the Variable 'audiocodes_connections')"
    ) in output()


def test_more_connections_than_airflow_can_map_fail_in_prepare(db, synced, run_dag, output, monkeypatch):
    monkeypatch.setenv("AIRFLOW_VAR_AUDIOCODES_CONNECTIONS", json.dumps([f"sbc{i}" for i in range(1025)]))
    before = rows(db)

    state, tasks, seconds = timed(run_dag, SYNC, DAY2)

    assert_failed_at_once_in_prepare(SYNC, state, tasks, seconds)
    assert rows(db) == before
    text = output()
    assert "'audiocodes_connections' lists 1025 connection ids; a sync reads at most 1024" in text
    assert "too large to map" not in text


def test_a_timezone_browsers_do_not_know_fails_in_prepare(db, synced, run_dag, output, monkeypatch):
    monkeypatch.setenv("AIRFLOW_VAR_NUMBER_INVENTORY_TIMEZONE", "posix/Europe/Berlin")

    state, tasks, seconds = timed(run_dag, DAILY, DAY2)

    assert_failed_at_once_in_prepare(DAILY, state, tasks, seconds)
    assert "'number_inventory_timezone' must be an IANA time zone" in output()


def test_a_missing_inventory_database_fails_at_once_saying_create_it(pg, run_dag, output, monkeypatch):
    params = conninfo_to_dict(pg[1]) | {"dbname": "number_inventory_not_created"}
    monkeypatch.setenv(
        "AIRFLOW_CONN_NUMBER_INVENTORY_DB", local_db.airflow_connection(make_conninfo(**params))
    )

    state, tasks, seconds = timed(run_dag, DAILY, DAY2)

    assert_failed_at_once_in_prepare(DAILY, state, tasks, seconds)
    text = output()
    assert 'database "number_inventory_not_created" does not exist: create it' in text
    assert "CREATE DATABASE number_inventory_not_created" in text


def test_a_wrong_database_password_fails_at_once_without_leaking_it(pg, run_dag, output, monkeypatch):
    params = conninfo_to_dict(pg[1]) | {"user": "number_inventory_no_such_role", "password": "db-S3cret-x"}
    monkeypatch.setenv(
        "AIRFLOW_CONN_NUMBER_INVENTORY_DB", local_db.airflow_connection(make_conninfo(**params))
    )

    state, tasks, seconds = timed(run_dag, DAILY, DAY2)

    assert_failed_at_once_in_prepare(DAILY, state, tasks, seconds)
    text = output()
    assert "cannot log in to the inventory database" in text and "number_inventory_db" in text
    assert "db-S3cret-x" not in text


def test_a_missing_inventory_connection_is_named(pg, run_dag, output, monkeypatch):
    monkeypatch.delenv("AIRFLOW_CONN_NUMBER_INVENTORY_DB")

    state, tasks, seconds = timed(run_dag, DAILY, DAY2)

    assert_failed_at_once_in_prepare(DAILY, state, tasks, seconds)
    assert "connection 'number_inventory_db' is not defined in Airflow" in output()


# --- the inventory database: a table from before, a role that may only write ---------------------


@pytest.fixture
def own_db(pg, monkeypatch):
    """A database of this test's own as ``number_inventory_db`` (empty: no migration ran), and an
    owner's connection to it; dropped afterwards."""
    server, _ = pg
    name = f"ni_errors_{uuid.uuid4().hex[:8]}"
    dsn = local_db.with_database(server, name)
    monkeypatch.setenv("AIRFLOW_CONN_NUMBER_INVENTORY_DB", local_db.airflow_connection(dsn))
    conn = local_db.connect(dsn)
    yield dsn, conn
    conn.close()
    local_db.drop_database(server, name)


OPERATOR_TABLE = (
    "CREATE TABLE number_inventory (number varchar(40), status varchar(20), usage text, vendor text, "
    "tag text, release_date date, site text)"
)


def test_an_inventory_table_from_before_is_adopted_by_the_first_sync(own_db, devices, run_dag):
    # Before: prepare failed (and was retried) with 'constraint "number_is_normalised" of relation
    # "number_inventory" does not exist'.
    _, conn = own_db
    conn.execute(OPERATOR_TABLE)
    conn.execute(
        "INSERT INTO number_inventory VALUES ('1000', 'Available', NULL, NULL, NULL, NULL, 'Berlin'), "
        "('2000', 'Reserved', NULL, NULL, 'for the board', NULL, 'Paris')"
    )
    devices["audiocodes_a"].register_numbers(["1000", "1001"])
    devices["audiocodes_b"].register_numbers(["3000"])

    state, tasks = run_dag(SYNC, DAY1)

    assert state == "success", tasks
    assert rows(conn) == {
        "1000": USED,
        "1001": USED,
        "3000": USED,
        "2000": ("Reserved", None, None, "for the board", None),
    }
    sites = dict(conn.execute("SELECT number, site FROM number_inventory").fetchall())
    assert sites == {"1000": "Berlin", "1001": None, "2000": "Paris", "3000": None}


def test_an_inventory_table_that_cannot_be_adopted_fails_at_once_naming_the_problem(
    own_db, devices, run_dag, output
):
    _, conn = own_db
    conn.execute(OPERATOR_TABLE)
    conn.execute(
        "INSERT INTO number_inventory (number, status) VALUES ('030 1234', 'Used'), ('1000', 'Used')"
    )
    a = devices["audiocodes_a"]
    a.register_numbers(["1000"])
    before, served = conn.execute("SELECT * FROM number_inventory ORDER BY 1").fetchall(), a.requests_served

    state, tasks, seconds = timed(run_dag, SYNC, DAY1)

    assert_failed_at_once_in_prepare(SYNC, state, tasks, seconds)
    assert a.requests_served == served
    assert conn.execute("SELECT * FROM number_inventory ORDER BY 1").fetchall() == before
    assert (
        "table number_inventory existed before the first migration and cannot be adopted: 1 row(s) have a "
        "number that is not normalised (digits with an optional leading '+', 1 to 32 digits), e.g. '030 1234'"
    ) in output()


@pytest.fixture
def writer(own_db, monkeypatch):
    """A login role that may read and write but create nothing, as ``number_inventory_db``; returns a
    function that grants it the tables there are and points the connection at it."""
    dsn, conn = own_db
    role = f"ni_writer_{uuid.uuid4().hex[:8]}"
    conn.execute(f"CREATE ROLE {role} LOGIN")

    def use() -> str:
        conn.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}")
        conn.execute(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role}")
        writer_dsn = make_conninfo(**conninfo_to_dict(dsn) | {"user": role})
        monkeypatch.setenv("AIRFLOW_CONN_NUMBER_INVENTORY_DB", local_db.airflow_connection(writer_dsn))
        return role

    yield use
    conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", (role,))
    conn.execute(f"DROP OWNED BY {role}")
    conn.execute(f"DROP ROLE {role}")


def test_a_role_that_may_only_write_runs_the_sync(own_db, writer, devices, run_dag):
    _, conn = own_db
    store.migrate(conn)  # the owner, once
    writer()
    devices["audiocodes_a"].register_numbers(["1000"])
    devices["audiocodes_b"].register_numbers(["2000"])

    state, tasks = run_dag(SYNC, DAY1)

    assert state == "success", tasks
    assert rows(conn) == {"1000": USED, "2000": USED}


def test_a_role_that_may_only_write_is_told_what_to_grant_for_an_empty_database(
    own_db, writer, devices, run_dag, output
):
    role = writer()

    state, tasks, seconds = timed(run_dag, SYNC, DAY1)

    assert_failed_at_once_in_prepare(SYNC, state, tasks, seconds)
    text = output()
    assert f"role '{role}' may not create tables in schema 'public'" in text
    assert f"grant CREATE ON SCHEMA public TO {role}, or run the migrations once as the owner" in text
