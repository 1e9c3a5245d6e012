"""The device client against the bundled device over real HTTP."""

from __future__ import annotations

import time

import pytest
import requests

from devtools.device_server import DeviceServer
from number_inventory.device_apis.contract import Contract
from number_inventory.device_client import DeviceReadError, probe, read_registered_users, redact

PASSWORD = "client-test-pass"


@pytest.fixture
def device():
    with DeviceServer("admin", PASSWORD, max_page_size=25) as server:
        yield server


def session(password: str = PASSWORD) -> requests.Session:
    s = requests.Session()
    s.auth = ("admin", password)
    return s


def read(device, contract=None, password=PASSWORD):
    pages, restarts, sleeps = [], [], []
    result = read_registered_users(
        session(password),
        device.url,
        contract or Contract(page_size=100, backoff_seconds=0.01),
        on_page=lambda items: pages.append(list(items)),
        on_restart=lambda: (restarts.append(1), pages.clear()),
        sleep=sleeps.append,
    )
    return result, [item for page in pages for item in page], restarts, sleeps


def test_pages_by_items_received_when_the_device_caps_the_page(device):
    device.register_numbers(range(1000, 1110))
    device.register("2000", contacts=3)

    result, items, _, _ = read(device)

    assert result.total == 113 and result.items == 113
    assert result.pages == 5  # 25 per page though 100 were asked
    assert items == device.bindings


def test_empty_device_is_a_complete_empty_read(device):
    result, items, _, _ = read(device)
    assert (result.total, result.items, result.pages, items) == (0, 0, 1, [])


def test_transient_errors_back_off_exponentially_then_succeed(device):
    device.register_numbers(range(100))
    device.fail_page(2, 503, times=3)

    result, items, _, sleeps = read(device, Contract(page_size=100, retries=4, backoff_seconds=0.5))

    assert result.items == 100 and len(items) == 100
    assert sleeps == [0.5, 1.0, 2.0]


def test_persistent_5xx_gives_up_after_the_retries(device):
    device.register_numbers(range(100))
    device.fail_page(1, 500, times=None)

    with pytest.raises(DeviceReadError, match="HTTP 500, still failing after 3 attempts") as caught:
        read(device, Contract(page_size=100, retries=2, backoff_seconds=0.01))
    assert caught.value.retryable


@pytest.mark.parametrize(
    ("status", "message"),
    [(403, "may not read registered users"), (404, "no such endpoint"), (400, "HTTP 400")],
)
def test_client_errors_fail_at_once(device, status, message):
    device.register_numbers(range(10))
    device.fail_page(0, status, times=None)
    served = device.requests_served

    with pytest.raises(DeviceReadError, match=message) as caught:
        read(device)
    assert device.requests_served - served == 1
    assert not caught.value.retryable


def test_wrong_password_names_the_problem_not_the_password(device):
    with pytest.raises(DeviceReadError) as caught:
        read(device, password="not-the-password")
    assert "HTTP 401" in str(caught.value) and "login and password" in str(caught.value)
    assert "not-the-password" not in str(caught.value) and PASSWORD not in str(caught.value)


def test_total_changing_mid_read_starts_over(device):
    device.register_numbers(range(1000, 1060))
    device.change_total_during_read(1, add=5, times=1)

    result, items, restarts, _ = read(device)

    assert restarts == [1]
    assert result.total == 65 and len(items) == 65 and result.restarts == 1


def test_total_that_never_settles_fails(device):
    device.register_numbers(range(1000, 1060))
    device.change_total_during_read(1, add=1, times=None)

    with pytest.raises(DeviceReadError, match="kept changing"):
        read(device, Contract(page_size=100, max_restarts=2))


def test_a_short_read_is_cut_short(device):
    device.register_numbers(range(1000, 1030))
    device.drop_items(1, 5)  # the last page comes back short and the read ends before total

    with pytest.raises(DeviceReadError, match="read cut short: 25 items received"):
        read(device, Contract(page_size=25))


def test_a_page_that_is_not_json_fails(device):
    device.register_numbers(range(10))
    device.not_json_page(0)
    with pytest.raises(DeviceReadError, match="not JSON"):
        read(device)


@pytest.mark.parametrize(
    ("contract", "message"),
    [
        (Contract(items_field="users"), "'users' is not a list"),
        (Contract(total_field="count"), "'count' is not a whole number"),
        (Contract(aor_field="aor"), "malformed item: needs text fields 'aor' and 'contact'"),
    ],
    ids=["items", "total", "item-fields"],
)
def test_a_page_of_another_shape_fails(device, contract, message):
    device.register_numbers(range(10))
    with pytest.raises(DeviceReadError, match=message):
        read(device, contract)


def test_custom_field_names_and_path_come_from_the_contract():
    with DeviceServer("admin", PASSWORD, path="/arm/v2/users") as device:
        device.register_numbers(range(5))
        result, _, _, _ = read(device, Contract(path="/arm/v2/users", page_size=2))
        assert result.items == 5 and result.pages == 3


def test_page_count_and_size_are_bounded(device):
    device.register_numbers(range(100))
    with pytest.raises(DeviceReadError, match="max_pages=2"):
        read(device, Contract(page_size=25, max_pages=2))
    with pytest.raises(DeviceReadError, match="max_page_bytes=100"):
        read(device, Contract(page_size=25, max_page_bytes=100))


def test_redact_drops_credentials_from_urls():
    assert (
        redact("https://api:secret@sbc.example:8443/api/v1/x?y=1") == "https://sbc.example:8443/api/v1/x?y=1"
    )


# ---------------------------------------------------------------------- the shared transport's faults


def test_a_busy_device_409_is_retried_like_503(device):
    device.register_numbers(range(100))
    device.fail_page(1, 409, times=2)

    result, _items, _, sleeps = read(device, Contract(page_size=100, retries=4, backoff_seconds=0.5))

    assert result.items == 100 and sleeps == [0.5, 1.0]


def test_a_connection_dropped_mid_body_is_retried_and_said_so(device, caplog):
    device.register_numbers(range(100))
    device.drop_connection(1, times=1)

    result, items, _, sleeps = read(device)

    assert result.items == 100 and len(items) == 100 and len(sleeps) == 1
    assert "broke off in the middle of the answer" in caplog.text

    device.drop_connection(1, times=None)
    with pytest.raises(DeviceReadError, match="broke off in the middle of the answer") as caught:
        read(device, Contract(page_size=100, retries=2, backoff_seconds=0.01))
    assert caught.value.retryable and "still failing after 3 attempts" in str(caught.value)


def test_a_broken_gzip_body_is_retried_and_said_so(device):
    device.register_numbers(range(10))
    device.broken_gzip(0, times=1)
    result, _, _, sleeps = read(device)
    assert result.items == 10 and len(sleeps) == 1

    device.broken_gzip(0, times=None)
    with pytest.raises(DeviceReadError, match=r"content encoding \(gzip/deflate\) is broken"):
        read(device, Contract(page_size=100, retries=1, backoff_seconds=0.01))


def test_a_trickling_device_is_bounded_by_the_wall_clock_deadline(device):
    device.register_numbers(range(10))
    device.trickle_page(0, 0.1, times=None)  # ~900 bytes at 10 bytes a second: 90 s undisturbed
    contract = Contract(page_size=100, timeout_seconds=1, deadline_seconds=1, retries=1, backoff_seconds=0.01)

    started = time.monotonic()
    with pytest.raises(DeviceReadError, match="longer than deadline_seconds=1") as caught:
        read(device, contract)

    assert time.monotonic() - started < 4  # two attempts of one second each, not 90 s
    assert caught.value.retryable


def test_a_redirect_to_another_host_is_refused_and_named(device):
    device.register_numbers(range(10))
    device.redirect_page(0, "http://intruder:hidden-pw@other.example:8080/api/v1/registeredUsers")
    served = device.requests_served

    with pytest.raises(DeviceReadError) as caught:
        read(device)

    message = str(caught.value)
    assert "HTTP 302 redirecting to http://other.example:8080/api/v1/registeredUsers" in message
    assert "redirects to another host are not followed" in message
    assert "hidden-pw" not in message and not caught.value.retryable
    assert device.requests_served - served == 1


def test_a_redirect_to_another_port_is_another_host(device):
    device.redirect_page(0, f"http://127.0.0.1:{device.port + 1}/api/v1/registeredUsers")
    with pytest.raises(DeviceReadError, match="redirects to another host are not followed"):
        read(device)


def test_a_redirect_on_the_device_is_followed(device):
    device.register_numbers(range(10))
    device.redirect_page(0, "/api/v1/registeredUsers?offset=0&limit=100", status=307, times=1)
    result, items, _, _ = read(device)
    assert result.items == 10 and items == device.bindings


def test_a_redirect_loop_ends_with_a_clear_message(device):
    device.redirect_page(0, "/api/v1/registeredUsers?offset=0&limit=100")
    served = device.requests_served
    with pytest.raises(DeviceReadError, match="redirect loop: the device answered HTTP 302 back to"):
        read(device)
    assert device.requests_served - served == 2


@pytest.mark.parametrize("port", ["99999", "abc"])
def test_a_bad_port_gives_a_message_without_the_password(port):
    url = f"http://admin:{PASSWORD}@127.0.0.1:{port}"
    assert redact(url + "/x") == f"http://127.0.0.1:{port}/x"
    with pytest.raises(DeviceReadError, match="not a usable URL") as caught:
        read_registered_users(session(), url, Contract(), on_page=lambda items: None, on_restart=lambda: None)
    assert PASSWORD not in str(caught.value) and f"127.0.0.1:{port}" in str(caught.value)


def test_redact_never_raises():
    for url in ["http://[::1", "http://u:p@[bad/x", "", "::::", "http://u:p@h:99999999999999/x"]:
        assert "p@" not in redact(url)


def test_probe_reads_only_the_first_page(device):
    device.register_numbers(range(120))
    device.register("alice", status=0)
    served = device.requests_served

    found = probe(session(), device.url, Contract(page_size=100))

    assert device.requests_served - served == 1
    assert (found.api, found.bindings, found.registered, found.total) == ("json", 25, 25, 121)
    assert found.describe() == (
        "json: the device lists 121 bindings; its first page held 25 registered users (25 bindings)"
    )
