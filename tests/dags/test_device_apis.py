"""Each device API through the real sync DAG: a Mediant SBC read through its CLI script and a
cursor-paged collection, against the bundled device over real HTTP and a real PostgreSQL. A good
read of each keeps the inventory in step; a fault in each (400, 409, unrecognised text, a cut-off
answer, a cursor loop) changes no number, names the connection and why, and shows no password."""

from __future__ import annotations

import json

import pytest

from devtools.device_server import DeviceServer
from tests.conftest import http_connection
from tests.dags.helpers import USED, D, by_status, cooling, history_count, row, rows

pytestmark = pytest.mark.dag

SYNC = "audiocodes_number_sync"
DAY1, DAY2 = D(2026, 11, 2), D(2026, 11, 3)
PASSWORDS = {"sbc_cli": "cli-S3cret-pass", "sbc_cursor": "cursor-S3cret-pass"}
CLI_NUMBERS = [str(n) for n in range(3000, 3120)]
CURSOR_NUMBERS = [str(n) for n in range(4000, 4120)]


@pytest.fixture
def sbcs(monkeypatch):
    """``sbc_cli`` (api mediant-cli, the 4000 listing style with \\r\\n) and ``sbc_cursor`` (api cursor,
    25 bindings a page), configured as HTTP connections with the extra ``api``."""
    servers = {
        "sbc_cli": DeviceServer("admin", PASSWORDS["sbc_cli"]).start(),
        "sbc_cursor": DeviceServer(
            "admin", PASSWORDS["sbc_cursor"], max_page_size=25, paging="cursor"
        ).start(),
    }
    servers["sbc_cli"].set_cli_listing(style="4000", line_break="crlf", total_line=True)
    common = {"backoff_seconds": 0.05, "timeout_seconds": 5, "retries": 2}
    extras = {
        "sbc_cli": {"api": "mediant-cli", **common},
        "sbc_cursor": {"api": "cursor", "page_size": 30, **common},
    }
    for conn_id, server in servers.items():
        monkeypatch.setenv(
            f"AIRFLOW_CONN_{conn_id.upper()}", http_connection(server, PASSWORDS[conn_id], **extras[conn_id])
        )
    monkeypatch.setenv("AIRFLOW_VAR_AUDIOCODES_CONNECTIONS", json.dumps(list(servers)))
    yield servers
    for server in servers.values():
        server.stop()


@pytest.fixture
def synced(db, sbcs, run_dag):
    """Both devices read once: 120 numbers each, all Used."""
    sbcs["sbc_cli"].register_numbers(CLI_NUMBERS)
    sbcs["sbc_cursor"].register_numbers(CURSOR_NUMBERS)
    assert run_dag(SYNC, DAY1)[0] == "success"
    assert by_status(db) == {"Used": 240}
    return sbcs


def last_read(db, connection_id: str) -> tuple:
    return db.execute(
        "SELECT state, error, bindings FROM audiocodes_read WHERE connection_id = %s "
        "ORDER BY read_id DESC LIMIT 1",
        (connection_id,),
    ).fetchone()


def assert_no_secret(text: str) -> None:
    for secret in PASSWORDS.values():
        assert secret not in text


def test_each_api_reads_through_the_sync_and_a_removed_number_cools(db, synced, run_dag, output):
    cli, cur = synced["sbc_cli"], synced["sbc_cursor"]
    assert all(row(db, n) == USED for n in CLI_NUMBERS + CURSOR_NUMBERS)
    assert last_read(db, "sbc_cli")[::2] == ("complete", 120)
    assert last_read(db, "sbc_cursor")[::2] == ("complete", 120)

    cli.unregister("3000")
    cur.unregister("4000")
    cli.register("3500", contacts=2)
    cli.register("3600", status=0)  # Not-Active: a REGISTER not yet confirmed is not a registration

    state, _ = run_dag(SYNC, DAY2)

    assert state == "success"
    assert row(db, "3000") == cooling(D(2026, 11, 5), DAY2)
    assert row(db, "4000") == cooling(D(2026, 11, 5), DAY2)
    assert row(db, "3500") == USED
    assert "3600" not in rows(db)
    assert_no_secret(output())


@pytest.mark.parametrize(
    ("connection_id", "fault", "message"),
    [
        ("sbc_cli", lambda d: d.reject_script(), "HTTP 400: the device refused the CLI script"),
        ("sbc_cli", lambda d: d.busy(times=None), "HTTP 409 (the device is busy), still failing after"),
        (
            "sbc_cli",
            lambda d: d.replace_output("Welcome to the SBC"),
            "does not look like a registered-users",
        ),
        ("sbc_cli", lambda d: d.replace_output("% Invalid command"), "the CLI answered with an error"),
        ("sbc_cli", lambda d: d.cut_output(0.5), "a contact cut off before its '>'"),
        ("sbc_cli", lambda d: d.drop_connection(0, times=None), "broke off in the middle of the answer"),
        ("sbc_cursor", lambda d: d.cursor_loop(2), "the cursor repeats"),
        ("sbc_cursor", lambda d: d.cursor_loop(2, backwards=True), "the cursor went backwards"),
        ("sbc_cursor", lambda d: d.malformed_page(1), "'items' is not a list"),
        (
            "sbc_cursor",
            lambda d: d.redirect_page(1, "http://elsewhere.example/x"),
            "redirects to another host",
        ),
    ],
    ids=[
        "cli-400",
        "cli-409-forever",
        "cli-unrecognised-text",
        "cli-error-text",
        "cli-cut-off",
        "cli-dropped-mid-body",
        "cursor-loop",
        "cursor-backwards",
        "cursor-malformed",
        "cursor-redirect-elsewhere",
    ],
)
def test_a_fault_leaves_every_number_as_it_was(db, synced, run_dag, output, connection_id, fault, message):
    faulty = synced[connection_id]
    numbers = CLI_NUMBERS if connection_id == "sbc_cli" else CURSOR_NUMBERS
    fault(faulty)
    for n in numbers[:5]:
        faulty.unregister(n)  # would cool if the bad read were believed
    before, written = rows(db), history_count(db)

    state, tasks = run_dag(SYNC, DAY2)

    assert state == "failed"
    assert sorted(tasks["read_connection"]) == ["failed", "success"]
    assert rows(db) == before and history_count(db) == written  # the healthy device had no change
    read_state, error, _ = last_read(db, connection_id)
    assert read_state == "failed" and message in error
    text = output()
    assert f"connection {connection_id!r}" in text and message in text
    assert_no_secret(text)


def test_a_cursor_device_answering_204_before_any_read_is_empty_only_when_its_counter_says_0(
    db, sbcs, run_dag, output, monkeypatch
):
    sbcs["sbc_cli"].register_numbers(CLI_NUMBERS)  # the cursor device has nothing: 204 No Content

    # count_check off (the cursor default): a 204 alone proves nothing; the read fails, saying so.
    state, _ = run_dag(SYNC, DAY1)

    assert state == "failed"
    read_state, error, _ = last_read(db, "sbc_cursor")
    assert read_state == "failed" and "answered 204 (No Content)" in error and "count_check is off" in error
    assert "connection 'sbc_cursor'" in output()
    assert by_status(db) == {"Used": 120}

    # With the device's counter, which says 0, the 204 is an empty complete read.
    extras = {"api": "cursor", "page_size": 30, "backoff_seconds": 0.05, "timeout_seconds": 5, "retries": 2}
    monkeypatch.setenv(
        "AIRFLOW_CONN_SBC_CURSOR",
        http_connection(sbcs["sbc_cursor"], PASSWORDS["sbc_cursor"], count_check="required", **extras),
    )
    state, _ = run_dag(SYNC, DAY2)

    assert state == "success"
    assert last_read(db, "sbc_cursor") == ("complete", None, 0)
    assert by_status(db) == {"Used": 120}
