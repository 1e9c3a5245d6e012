"""Issue 22, items 8, 10, 11 and 12 (c, d) at the transport: real sockets from hostile servers
(``tests/hostile_http.py``), a real TLS handshake with a certificate made in the test, no mocks."""

from __future__ import annotations

import json
import threading
import time

import pytest
import requests

from devtools.device_server import DeviceServer
from number_inventory.device_apis.contract import Contract
from number_inventory.device_client import DeviceReadError, probe, read_registered_users
from number_inventory.provider.hooks.audiocodes import AudioCodesHook
from tests.hostile_http import HostileServer, Reply, TricklingServer, json_reply, self_signed

PASSWORD = "transport-Test-pass"


def session(verify=True) -> requests.Session:
    s = requests.Session()
    s.auth = ("admin", PASSWORD)
    s.verify = verify
    return s


def read(url: str, contract: Contract, s: requests.Session | None = None):
    pages, sleeps = [], []
    result = read_registered_users(
        s or session(),
        url,
        contract,
        on_page=lambda items: pages.extend(items),
        on_restart=pages.clear,
        sleep=sleeps.append,
    )
    return result, pages, sleeps


FAST = Contract(page_size=100, backoff_seconds=0.01, timeout_seconds=3)


# --- 8. redirects judged by the parser that sends ------------------------------------------------


@pytest.mark.parametrize(
    "location",
    [
        "http://localhost:{evil}\\@127.0.0.1:{device}/api/v1/registeredUsers",
        "http://127.0.0.1:{device}\\@localhost:{evil}/api/v1/registeredUsers",
        "http://admin:pw@127.0.0.1:{device}/api/v1/registeredUsers",
        "http://127.0.0.1:{device}/api/v1/registered\tUsers",
        "http://127.0.0.1:{device}/api/v1/registered\x00Users",
        "//localhost:{evil}/api/v1/registeredUsers",
        "http://localhost:{evil}#@127.0.0.1:{device}/api/v1/registeredUsers",
        "http://localhost:{evil}?@127.0.0.1:{device}/api/v1/registeredUsers",
    ],
    ids=["backslash", "backslash-reversed", "userinfo", "tab", "nul", "scheme-relative", "fragment", "query"],
)
def test_a_redirect_the_parsers_may_read_differently_is_refused_and_sends_nothing(location):
    with DeviceServer("admin", PASSWORD) as device, HostileServer() as evil:
        device.register_numbers(range(10))
        device.redirect_page(0, location.format(evil=evil.port, device=device.port))

        with pytest.raises(DeviceReadError, match="redirect") as caught:
            read(device.url, FAST)

        assert evil.seen == []
    assert not caught.value.retryable
    assert PASSWORD not in str(caught.value)


def test_a_redirect_on_the_device_is_still_followed_with_the_credential():
    with DeviceServer("admin", PASSWORD) as device:
        device.register_numbers(range(10))
        device.redirect_page(
            0, f"http://127.0.0.1:{device.port}/api/v1/registeredUsers?offset=0&limit=100", times=1
        )
        result, pages, _ = read(device.url, FAST)
    assert result.items == 10 and pages == device.bindings


# --- 10. the wall-clock deadline bounds the headers too -------------------------------------------


def test_headers_trickled_a_byte_at_a_time_are_bounded_by_the_deadline():
    contract = Contract(timeout_seconds=2, deadline_seconds=1, retries=1, backoff_seconds=0.01)
    outcome: list[BaseException | None] = []

    with TricklingServer(seconds_per_byte=0.2) as device:

        def work() -> None:
            try:
                read(f"http://127.0.0.1:{device.port}", contract)
                outcome.append(None)
            except BaseException as exc:  # reported below
                outcome.append(exc)

        started = time.monotonic()
        worker = threading.Thread(target=work, daemon=True)
        worker.start()
        worker.join(20)  # today it would trickle for hours: give up on it after 20 s
        elapsed = time.monotonic() - started
        assert not worker.is_alive(), "the read still hangs on trickled headers"
    assert elapsed < 1 * (contract.retries + 1) + 2.5, elapsed
    assert isinstance(outcome[0], DeviceReadError), outcome
    assert "deadline_seconds=1" in str(outcome[0]) and outcome[0].retryable
    assert device.connections == 2  # two attempts


# --- 11. the connection's TLS settings win over the environment -----------------------------------


@pytest.fixture
def tls_device(tmp_path):
    context, ca_path = self_signed(tmp_path)
    answer = json_reply(
        200, {"registeredUsers": [{"addressOfRecord": "1000@x", "contact": "<sip:a>"}], "total": 1}
    )
    with HostileServer(lambda seen: answer, tls=context) as server:
        yield server, ca_path


@pytest.fixture
def other_ca(tmp_path):
    """A CA bundle that did not sign the device's certificate, as a worker image would set it."""
    other = tmp_path / "other"
    other.mkdir()
    return self_signed(other, "corporate-ca.example")[1]


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"])
def test_verify_false_wins_over_a_ca_bundle_in_the_environment(tls_device, other_ca, monkeypatch, variable):
    server, _ = tls_device
    monkeypatch.setenv(variable, other_ca)
    result, pages, _ = read(server.url, FAST, session(verify=False))
    assert result.items == 1 and pages == [("1000@x", "<sip:a>")]


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"])
def test_a_ca_path_wins_over_a_ca_bundle_in_the_environment(tls_device, other_ca, monkeypatch, variable):
    server, ca_path = tls_device
    monkeypatch.setenv(variable, other_ca)
    result, _, _ = read(server.url, FAST, session(verify=ca_path))
    assert result.items == 1


def test_the_environment_bundle_still_applies_when_the_connection_sets_none(tls_device, monkeypatch):
    server, ca_path = tls_device
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", ca_path)
    assert read(server.url, FAST, session())[0].items == 1


def test_a_certificate_failure_is_named_and_not_retried(tls_device, other_ca, monkeypatch):
    server, _ = tls_device
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", other_ca)
    contract = Contract(page_size=100, backoff_seconds=0.01, timeout_seconds=3, retries=3)

    started = time.monotonic()
    with pytest.raises(DeviceReadError) as caught:
        read(server.url, contract, session())

    message = str(caught.value)
    assert "certificate verify failed for 127.0.0.1" in message
    assert "set `verify` to the CA bundle's path" in message
    assert not caught.value.retryable and time.monotonic() - started < 2


def test_the_hook_keeps_the_connections_verify_under_a_worker_bundle(tls_device, other_ca, monkeypatch):
    server, _ = tls_device
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", other_ca)
    monkeypatch.setenv(
        "AIRFLOW_CONN_SBC_TLS",
        json.dumps(
            {
                "conn_type": "audiocodes",
                "host": "127.0.0.1",
                "port": server.port,
                "schema": "https",
                "login": "admin",
                "password": PASSWORD,
                "extra": {"verify": False, "retries": 0},
            }
        ),
    )
    ok, message = AudioCodesHook(audiocodes_conn_id="sbc_tls").test_connection()
    assert ok, message


# --- 12 (c, d). huge cursors and deep JSON are failed reads or clean comparisons ------------------


def cursor_device(pages: list[bytes]) -> HostileServer:
    served = iter(pages)
    return HostileServer(lambda seen: Reply(200, next(served)))


def test_a_cursor_of_thousands_of_digits_is_compared_cleanly():
    huge = "7" * 5000
    first = {"items": [{"addressOfRecord": "1000@x", "contact": "c"}], "cursor": {"after": huge}}
    last = {"items": [{"addressOfRecord": "1001@x", "contact": "c"}], "cursor": {"after": "-1"}}
    with cursor_device([json.dumps(first).encode(), json.dumps(last).encode()]) as device:
        result, pages, _ = read(device.url, Contract.for_api("cursor", backoff_seconds=0.01))
    assert result.items == 2 and [aor for aor, _ in pages] == ["1000@x", "1001@x"]


def test_a_cursor_number_too_long_for_python_is_a_malformed_page():
    body = b'{"items": [], "cursor": {"after": ' + b"7" * 5000 + b"}}"
    with cursor_device([body]) as device, pytest.raises(DeviceReadError, match="not JSON"):
        read(device.url, Contract.for_api("cursor", backoff_seconds=0.01))


DEEP = b"[" * 200_000 + b"]" * 200_000


@pytest.mark.parametrize(
    ("api", "body"),
    [
        ("json", b'{"registeredUsers": ' + DEEP + b', "total": 1}'),
        ("cursor", b'{"items": ' + DEEP + b', "cursor": {"after": "-1"}}'),
        ("mediant-cli", b'{"output": ' + DEEP + b"}"),
    ],
    ids=["json", "cursor", "mediant-cli"],
)
def test_deeply_nested_json_is_a_failed_read(api, body):
    off = {"count_check": "off"} if api == "mediant-cli" else {}  # the listing's answer, not the counter's
    with cursor_device([body, body]) as device, pytest.raises(DeviceReadError, match="nested too deeply"):
        read(device.url, Contract.for_api(api, backoff_seconds=0.01, **off))


def test_a_deeply_nested_refusal_still_gives_its_status():
    deep = b"[" * 5000 + b"]" * 5000
    with (
        HostileServer(lambda seen: Reply(400, deep)) as device,
        pytest.raises(DeviceReadError, match="HTTP 400"),
    ):
        probe(session(), device.url, FAST)
