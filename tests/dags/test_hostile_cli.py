"""The hostile-CLI corpus (``tests/data/hostile_cli``) through the real sync DAG: a Mediant SBC read
through its CLI script, the bundled device over real HTTP serving each answer of the corpus, a real
PostgreSQL. The device registers 20 numbers and a first good read keeps them Used; then each answer
that is not proven to be a whole listing fails the run, naming the connection and quoting the fault,
and no number cools; for a listing cut short, the daily run three days later frees nothing either.
Each documented shape is read whole: nothing cools. The corpus grows by adding files."""

from __future__ import annotations

import json

import pytest

from devtools.device_server import DeviceServer
from tests.conftest import http_connection
from tests.dags.helpers import D, by_status, rows
from tests.hostile_cli import NUMBERS, cases

pytestmark = pytest.mark.dag

SYNC, DAILY = "audiocodes_number_sync", "number_inventory_daily"
DAY1, DAY2 = D(2026, 11, 2), D(2026, 11, 3)
DAY5 = D(2026, 11, 6)  # three days after the hostile read: a cooling of 2 days would have ended
CONNECTION = "sbc_cli"
PASSWORD = "hostile-cli-S3cret"
CASES = cases()


@pytest.fixture
def sbc(monkeypatch):
    """One Mediant SBC, read through its CLI script (``api`` mediant-cli)."""
    server = DeviceServer("admin", PASSWORD).start()
    extras = {"api": "mediant-cli", "backoff_seconds": 0.05, "timeout_seconds": 5, "retries": 1}
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONNECTION.upper()}", http_connection(server, PASSWORD, **extras))
    monkeypatch.setenv("AIRFLOW_VAR_AUDIOCODES_CONNECTIONS", json.dumps([CONNECTION]))
    yield server
    server.stop()


@pytest.fixture
def synced(db, sbc, run_dag):
    """The 20 numbers registered and read once: all Used."""
    sbc.register_numbers(NUMBERS)
    assert run_dag(SYNC, DAY1)[0] == "success"
    assert by_status(db) == {"Used": 20}
    return sbc


def last_read(db) -> tuple:
    return db.execute(
        "SELECT state, error, bindings FROM audiocodes_read WHERE connection_id = %s "
        "ORDER BY read_id DESC LIMIT 1",
        (CONNECTION,),
    ).fetchone()


@pytest.mark.parametrize("case", [c for c in CASES if c.failed], ids=lambda c: c.name)
def test_a_hostile_cli_answer_fails_the_run_and_cools_nothing(db, synced, run_dag, output, case):
    synced.replace_output(case.text)  # served to every read from now on
    before = rows(db)

    state, tasks = run_dag(SYNC, DAY2)
    if case.expect.get("daily"):
        # The device keeps answering so; three days on, its numbers would have been freed.
        later, _ = run_dag(SYNC, DAY5)
        run_dag(DAILY, DAY5)  # fails too: the kept read is stale; what matters is that it frees nothing

    assert by_status(db) == {"Used": 20}, f"{case.name}: {case.expect['what']}"
    assert rows(db) == before
    assert state == "failed" and tasks["read_connection"] == ["failed"]
    if case.expect.get("daily"):
        assert later == "failed"
    read_state, error, _ = last_read(db)
    assert read_state == "failed" and case.expect["message"] in error
    text = output()
    assert f"connection {CONNECTION!r}" in text and case.expect["message"] in text
    assert PASSWORD not in text


@pytest.mark.parametrize("case", [c for c in CASES if not c.failed], ids=lambda c: c.name)
def test_a_documented_cli_shape_is_read_whole_and_cools_nothing(db, synced, run_dag, case):
    synced.replace_output(case.text)

    state, _ = run_dag(SYNC, DAY2)

    assert by_status(db) == {"Used": 20}, f"{case.name}: {case.expect['what']}"
    assert state == "success"
    assert last_read(db) == ("complete", None, case.expect["bindings"])
