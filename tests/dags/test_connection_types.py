"""The sync DAG reads through the project's hook whatever the connection's type: one device as an
``audiocodes`` connection saved the way the UI form saves it, the other as a plain ``http`` one."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORDS, http_connection
from tests.dags.helpers import USED, D, by_status, rows

pytestmark = pytest.mark.dag

SYNC = "audiocodes_number_sync"
A_NUMBERS = [str(n) for n in range(1000, 1070)]
B_NUMBERS = [str(n) for n in range(2000, 2070)]
#: What the connection form saves for an AudioCodes connection when only the page size is filled in.
FORM_EXTRAS = {"api": "json", "path": None, "page_size": 30, "verify": True}


@pytest.fixture
def mixed(db, devices, monkeypatch):
    a, b = devices["audiocodes_a"], devices["audiocodes_b"]
    a.register_numbers(A_NUMBERS)
    b.register_numbers(B_NUMBERS)
    monkeypatch.setenv(
        "AIRFLOW_CONN_AUDIOCODES_A",
        http_connection(
            a, PASSWORDS["audiocodes_a"], conn_type="audiocodes", backoff_seconds=0.05, **FORM_EXTRAS
        ),
    )
    return a, b


def test_an_audiocodes_and_an_http_connection_both_read(db, mixed, run_dag):
    a, _ = mixed
    served = a.requests_served

    state, tasks = run_dag(SYNC, D(2026, 11, 2))

    assert state == "success", tasks
    assert tasks["read_connection"] == ["success", "success"]
    inventory = rows(db)
    assert all(inventory[n] == USED for n in A_NUMBERS + B_NUMBERS)
    reads = dict(
        db.execute("SELECT connection_id, state FROM audiocodes_read ORDER BY connection_id").fetchall()
    )
    assert reads == {"audiocodes_a": "complete", "audiocodes_b": "complete"}
    assert a.requests_served - served == 3  # 70 users at the form's page size of 30


def test_a_bad_extra_fails_the_read_naming_it_and_nothing_moves(db, mixed, run_dag, output, monkeypatch):
    a, _ = mixed
    assert run_dag(SYNC, D(2026, 11, 2))[0] == "success"
    a.unregister("1000")  # would cool, if a were read
    monkeypatch.setenv(
        "AIRFLOW_CONN_AUDIOCODES_A",
        http_connection(
            a, PASSWORDS["audiocodes_a"], conn_type="audiocodes", **{**FORM_EXTRAS, "page_size": "lots"}
        ),
    )
    served = a.requests_served

    state, tasks = run_dag(SYNC, D(2026, 11, 3))

    assert state == "failed"
    assert sorted(tasks["read_connection"]) == ["failed", "success"]
    assert a.requests_served == served  # the device was not asked
    assert by_status(db) == {"Used": 140}
    text = output()
    assert "connection 'audiocodes_a'" in text and "extra 'page_size'" in text
    assert PASSWORDS["audiocodes_a"] not in text
