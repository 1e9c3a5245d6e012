"""``make airflow`` for real (``deploy/local_airflow.py``): PostgreSQL as the metadata database, the
stored connections' *Test* through the REST API, the demo's inventory in the view, and a sync backfill
through the scheduler whose skipped runs say why in their notes (issue 23, items 5 and 6)."""

from __future__ import annotations

import contextlib
import datetime as dt
import time

import httpx
import psutil
import pytest

from deploy import local_airflow
from deploy.run_local_stack import ADMIN_USER, SYNC_DAG
from devtools import local_db

#: Every wait of the test together stays within this (the machine may be shared and small).
BUDGET_SECONDS = 420


@pytest.fixture
def workdir(tmp_path):
    """The setup's state directory; its databases are dropped afterwards (``--reset``)."""
    yield tmp_path / "airflow"
    local_airflow.reset(tmp_path / "airflow", print)


def alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_make_airflow_runs_a_sync_backfill_on_postgresql_with_the_reason_in_each_note(workdir):
    started_at = time.monotonic()
    # the scheduler creates no scheduled runs here: only the test's (make airflow lets it)
    stack = local_airflow.make_stack(workdir, api_port=0, schedules=False)
    members = []
    try:
        stack.start(timeout=240)
        members = [m for process in stack.processes.values() for m in process.members()]
        local_airflow.prepare(stack)

        # PostgreSQL holds the metadata, in the database the state names
        metadata = stack.database_names[0]
        assert stack.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql")
        assert stack.env["AIRFLOW__CORE__TEST_CONNECTION"] == "Enabled"
        with local_db.connect(stack.metadata_dsn) as conn:
            assert conn.execute("SELECT current_database()").fetchone()[0] == metadata
            assert conn.execute("SELECT count(*) FROM dag_run").fetchone()[0] >= 2

        # the connections are stored (Admin -> Connections lists them) and each one's Test passes
        stored = {c["connection_id"] for c in stack.api("GET", "/connections")["connections"]}
        assert stored == {"number_inventory_db", "audiocodes_sbc1", "audiocodes_sbc2"}
        tests = local_airflow.test_connections(stack)
        assert all(ok for ok, _ in tests.values()), tests
        assert tests["audiocodes_sbc1"][1].startswith("json: 6 registered users")
        assert tests["audiocodes_sbc2"][1].startswith("mediant-cli: 4 registered users")
        for device in stack.devices.values():  # no password in any answer
            assert all(device.password not in message for _, message in tests.values())
        variables = {v["key"] for v in stack.api("GET", "/variables")["variables"]}
        assert {"audiocodes_connections", "audiocodes_cooling_duration"} <= variables

        # the demo's inventory shows in the Number Inventory view
        token = httpx.post(
            f"{stack.api_url}/auth/token",
            json={"username": ADMIN_USER, "password": stack.admin_password},
            timeout=10,
        ).json()["access_token"]
        view = httpx.get(
            f"{stack.api_url}/number-inventory/api/summary",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert view.status_code == 200, view.text
        summary = view.json()
        assert summary["total"] == 20 and summary["by_status"]["Used"] == 8  # 4930100-4930107
        assert summary["last_daily_run"] is not None

        # a sync backfill of three hours of yesterday through the scheduler, as the docs write it
        day = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0) - dt.timedelta(
            days=1
        )
        runs = local_airflow.backfill(
            stack, SYNC_DAG, day + dt.timedelta(hours=2), day + dt.timedelta(hours=4)
        )
        assert sorted(r["logical_date"][:19] for r in runs) == [
            (day + dt.timedelta(hours=h)).isoformat()[:19] for h in (2, 3, 4)
        ]
        for run in runs:
            assert run["state"] == "success", run
            assert run["note"] == (
                f"Read nothing and changed nothing: run day {day.date()}: a backfill run: the sync reads the "
                "devices as they are now, so this run reads nothing and changes nothing"
            ), run
        assert time.monotonic() - started_at < BUDGET_SECONDS
    except BaseException:
        print(stack.log_tails(60))
        raise
    finally:
        stack.stop()
    assert not [m for m in members if alive(m)], "still running after stop"

    # the databases outlive the stack, and a second start resumes them with the same login
    with contextlib.closing(local_db.connect(stack.inventory_dsn)) as conn:
        assert conn.execute("SELECT count(*) FROM number_inventory").fetchone()[0] == 20
    again = local_airflow.make_stack(workdir, api_port=0)
    assert (again.database_names, again.admin_password) == (stack.database_names, stack.admin_password)
    assert again.secrets == stack.secrets
