"""The device client against the bundled device over real HTTP."""

from __future__ import annotations

import pytest
import requests

from include.number_inventory.device_client import DeviceReadError, read_registered_users, redact
from include.number_inventory.device_server import DeviceServer
from include.number_inventory.settings import Contract

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
