"""Issue 22, items 8, 9 and 12 (a, b): credentials stay with the connection, and a connection that is
written wrongly is named, through the real sync DAG, a real PostgreSQL and real HTTP from hostile
servers (``tests/hostile_http.py``): a device redirecting with a Location that two URL parsers read
differently, and a device that echoes the request's headers in its refusals."""

from __future__ import annotations

import base64
import json

import pytest

from number_inventory import views
from number_inventory.provider.hooks.audiocodes import AudioCodesHook
from tests.conftest import PASSWORDS, http_connection
from tests.dags.helpers import USED, D, by_status, rows
from tests.hostile_http import HostileServer, echo_headers

pytestmark = pytest.mark.dag

SYNC = "audiocodes_number_sync"
DAY1, DAY2 = D(2026, 11, 2), D(2026, 11, 3)
# Fewer than the mass-removal guard's 100: an empty read of them would be believed.
A_NUMBERS = [str(n) for n in range(1000, 1020)]
B_NUMBERS = [str(n) for n in range(2000, 2020)]
CONNECTIONS = ["audiocodes_a", "audiocodes_b"]


@pytest.fixture
def synced(db, devices, run_dag):
    a, b = devices["audiocodes_a"], devices["audiocodes_b"]
    a.register_numbers(A_NUMBERS)
    b.register_numbers(B_NUMBERS)
    assert run_dag(SYNC, DAY1)[0] == "success"
    assert by_status(db) == {"Used": 40}
    return a, b


def credential_forms(login: str, password: str) -> list[str]:
    """Every form of the credential that must never be stored, logged or shown."""
    pair = f"{login}:{password}"
    return [password, pair, base64.b64encode(pair.encode()).decode(), base64.b64encode(b"admin:").decode()]


def assert_no_credential(text: str, login: str = "admin", password: str = PASSWORDS["audiocodes_b"]) -> None:
    for form in credential_forms(login, password):
        assert form not in text, f"{form!r} leaked"
    assert "Basic YW" not in text


def read_error(db, connection_id: str) -> tuple[str, str]:
    return db.execute(
        "SELECT state, error FROM audiocodes_read WHERE connection_id = %s ORDER BY read_id DESC LIMIT 1",
        (connection_id,),
    ).fetchone()


def connection_json(port: int, password: str, **extra) -> str:
    return json.dumps(
        {
            "conn_type": "http",
            "host": "127.0.0.1",
            "port": port,
            "schema": "http",
            "login": "admin",
            "password": password,
            "extra": {"backoff_seconds": 0.02, "timeout_seconds": 5, **extra},
        }
    )


# --- 8. a redirect that two URL parsers read differently ------------------------------------------


@pytest.mark.parametrize(
    "location",
    [
        "http://localhost:{evil}\\@127.0.0.1:{device}/api/v1/registeredUsers?offset=0&limit=30",
        "http://127.0.0.1:{evil}\\@127.0.0.1:{device}/api/v1/registeredUsers?offset=0&limit=30",
        "http://localhost:{evil}/\\@127.0.0.1:{device}/api/v1/registeredUsers",
    ],
    ids=["backslash-userinfo", "backslash-same-host", "path-backslash"],
)
def test_a_redirect_read_differently_by_two_parsers_sends_no_credential_and_cools_nothing(
    db, synced, run_dag, output, location
):
    a, _ = synced
    with HostileServer() as evil:
        a.redirect_page(0, location.format(evil=evil.port, device=a.port))

        state, tasks = run_dag(SYNC, DAY2)

    inventory = rows(db)
    assert all(inventory[n] == USED for n in A_NUMBERS)  # nothing cooled on the evil host's word
    assert evil.authorizations() == []  # the credential never left for the other host
    assert evil.seen == []
    assert state == "failed"
    assert sorted(tasks["read_connection"]) == ["failed", "success"]
    state, error = read_error(db, "audiocodes_a")
    assert state == "failed" and "redirect" in error, error
    text = output()
    assert "redirect" in text
    assert_no_credential(text + error, password=PASSWORDS["audiocodes_a"])


# --- 9. an echoed Authorization header ------------------------------------------------------------


@pytest.mark.parametrize("status", [400, 401, 403, 422, 500])
def test_a_device_echoing_the_authorization_header_leaks_it_nowhere(
    db, synced, run_dag, output, monkeypatch, status
):
    password = PASSWORDS["audiocodes_b"]
    with HostileServer(echo_headers(status)) as echo:
        monkeypatch.setenv("AIRFLOW_CONN_AUDIOCODES_B", connection_json(echo.port, password, retries=1))

        state, _ = run_dag(SYNC, DAY2)
        ok, tested = AudioCodesHook(audiocodes_conn_id="audiocodes_b").test_connection()

        assert echo.authorizations()  # the device did get (and echo) the header
    assert state == "failed"
    assert all(rows(db)[n] == USED for n in B_NUMBERS)
    read_state, error = read_error(db, "audiocodes_b")
    assert read_state == "failed" and f"HTTP {status}" in error
    shown = views.connections(db, CONNECTIONS)
    assert not ok and f"HTTP {status}" in tested
    for text in (error, output(), tested, json.dumps(shown, default=str)):
        assert_no_credential(text)


def test_a_read_error_stored_before_is_scrubbed_when_shown(db, synced):
    """Rows written before the scrubber existed: the view scrubs on the way out too."""
    token = base64.b64encode(b"admin:" + PASSWORDS["audiocodes_b"].encode()).decode()
    db.execute(
        "UPDATE audiocodes_read SET state = 'failed', "
        "error = %s WHERE read_id = (SELECT max(read_id) FROM audiocodes_read)",
        (f"HTTP 400; the device said: Authorization: Basic {token} Host: x",),
    )

    shown = json.dumps(views.connections(db, CONNECTIONS), default=str)

    assert token not in shown and "Basic ***" in shown


def test_a_short_password_does_not_turn_messages_into_stars(db, synced, run_dag, output, monkeypatch):
    with HostileServer(echo_headers(400)) as echo:
        monkeypatch.setenv("AIRFLOW_CONN_AUDIOCODES_B", connection_json(echo.port, "a"))
        run_dag(SYNC, DAY2)
    _, error = read_error(db, "audiocodes_b")
    assert "HTTP 400" in error and "request refused" in error and "***" in error  # the token is gone
    assert base64.b64encode(b"admin:a").decode() not in error


# --- 12 (a, b). a connection written wrongly is named -------------------------------------------


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        ({"page_sise": 500}, "unknown extra 'page_sise' (did you mean 'page_size'?)"),
        ({"count_chek": "off"}, "unknown extra 'count_chek'"),
        ({"X-Trace": {"on": True}}, "unknown extra 'X-Trace'"),
    ],
    ids=["typo-number", "typo-text", "header-not-text"],
)
def test_an_unknown_extra_is_named_and_nothing_is_read(db, synced, run_dag, output, monkeypatch, extra, says):
    a, _ = synced
    served = a.requests_served
    monkeypatch.setenv(
        "AIRFLOW_CONN_AUDIOCODES_A", http_connection(a, PASSWORDS["audiocodes_a"], page_size=30, **extra)
    )
    a.unregister("1000")

    state, tasks = run_dag(SYNC, DAY2)

    assert state == "failed" and sorted(tasks["read_connection"]) == ["failed", "success"]
    assert a.requests_served == served and rows(db)["1000"] == USED
    text = output()
    assert says in text and "not a usable URL" not in text
    assert "page_size" in text  # the known extras are listed


def test_a_port_that_is_not_a_number_is_named(db, synced, run_dag, output, monkeypatch):
    connection = json.loads(http_connection(synced[0], PASSWORDS["audiocodes_a"]))
    monkeypatch.setenv("AIRFLOW_CONN_AUDIOCODES_A", json.dumps({**connection, "port": "abc"}))

    state, tasks = run_dag(SYNC, DAY2)

    assert state == "failed" and tasks["prepare"] == ["failed"]
    text = output()
    assert "'audiocodes_a'" in text and "port" in text and "'abc'" in text
    assert "audiocodes_a' is not defined in Airflow" not in text
    assert PASSWORDS["audiocodes_a"] not in text
