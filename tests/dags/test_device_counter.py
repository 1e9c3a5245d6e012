"""The device's own counter of registered users as the proof that a read is complete, and a cursor
walk that stops in the middle, through the real sync DAG, a real PostgreSQL and the bundled device
over real HTTP. A listing the counter does not account for, or a walk that ends after a page that
announced more, cools no number; the run fails naming the connection and what to check."""

from __future__ import annotations

import json

import pytest

from devtools.device_server import DeviceServer, render_cli_listing
from tests.conftest import http_connection
from tests.dags.helpers import USED, D, by_status, history_count, row, rows

pytestmark = pytest.mark.dag

SYNC = "audiocodes_number_sync"
DAY1, DAY2 = D(2026, 11, 2), D(2026, 11, 3)
PASSWORD = "counter-S3cret-pass"
COMMON = {"backoff_seconds": 0.05, "timeout_seconds": 5, "retries": 1}


@pytest.fixture
def device(monkeypatch):
    """One device, configured as the only connection ``sbc1``; :func:`connect` sets its extras."""
    server = DeviceServer("admin", PASSWORD, max_page_size=50).start()
    monkeypatch.setenv("AIRFLOW_VAR_AUDIOCODES_CONNECTIONS", json.dumps(["sbc1"]))
    yield server
    server.stop()


def connect(monkeypatch, server: DeviceServer, **extras) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_SBC1", http_connection(server, PASSWORD, **COMMON, **extras))


def last_read(db) -> tuple:
    return db.execute(
        "SELECT state, error, bindings FROM audiocodes_read WHERE connection_id = 'sbc1' "
        "ORDER BY read_id DESC LIMIT 1"
    ).fetchone()


def test_a_cli_listing_cut_cleanly_between_two_users_is_caught_by_the_counter(
    db, device, run_dag, output, monkeypatch
):
    numbers = [str(n) for n in range(5000, 5020)]
    device.register_numbers(numbers)
    connect(monkeypatch, device, api="mediant-cli")
    assert run_dag(SYNC, DAY1)[0] == "success"
    assert by_status(db) == {"Used": 20}
    # The CLI stops after the 8th user's contact: no --More--, no total line, no prompt. Nothing in
    # the text tells it from a listing of 8 users; the device's counter still says 20.
    full = render_cli_listing(device.bindings).splitlines()
    device.replace_output("\n".join(full[: 1 + 8 * 2]) + "\n")
    before, written = rows(db), history_count(db)

    state, _ = run_dag(SYNC, DAY2)

    assert state == "failed"
    assert rows(db) == before and history_count(db) == written
    assert all(row(db, n) == USED for n in numbers)
    read_state, error, _ = last_read(db)
    assert read_state == "failed"
    assert "counts 20 registered users" in error and "8" in error and "count_check" in error
    text = output()
    assert "connection 'sbc1'" in text and "count_check" in text
    assert PASSWORD not in text


def test_a_cursor_walk_answering_204_after_a_page_that_announced_more_cools_nothing(
    db, device, run_dag, output, monkeypatch
):
    device.paging = "cursor"
    numbers = [str(n) for n in range(6000, 6100)]
    device.register_numbers(numbers)
    connect(monkeypatch, device, api="cursor", page_size=50)
    assert run_dag(SYNC, DAY1)[0] == "success"
    assert by_status(db) == {"Used": 100}
    device.empty_page(1, status=204)  # page 1 announced after "49"; page 2 answers 204 No Content
    before, written = rows(db), history_count(db)

    state, _ = run_dag(SYNC, DAY2)

    assert state == "failed"
    assert rows(db) == before and history_count(db) == written
    assert by_status(db) == {"Used": 100}
    read_state, error, _ = last_read(db)
    assert read_state == "failed"
    assert "page 2 answered 204 after page 1 announced more" in error
    text = output()
    assert "connection 'sbc1'" in text and "page 2 answered 204" in text
    assert PASSWORD not in text


def test_a_missing_counter_fails_the_read_naming_count_check_and_cools_nothing(
    db, device, run_dag, output, monkeypatch
):
    numbers = [str(n) for n in range(5000, 5020)]
    device.register_numbers(numbers)
    connect(monkeypatch, device, api="mediant-cli")
    assert run_dag(SYNC, DAY1)[0] == "success"
    device.missing_counter()  # a firmware without the KPI, or a login that may not read it
    for n in numbers[:5]:
        device.unregister(n)  # would cool if the unproven read were believed
    before = rows(db)

    state, _ = run_dag(SYNC, DAY2)

    assert state == "failed"
    assert rows(db) == before
    read_state, error, _ = last_read(db)
    assert read_state == "failed" and "HTTP 404" in error and 'count_check to "off"' in error
    assert "connection 'sbc1'" in output()

    # The operator turns the proof off for this device: the read is believed again.
    connect(monkeypatch, device, api="mediant-cli", count_check="off")
    state, _ = run_dag(SYNC, DAY2)
    assert state == "success"
    assert by_status(db) == {"Used": 15, "Cooling": 5}
