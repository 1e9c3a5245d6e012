"""The AudioCodes connection in Airflow's own UI, in a real browser: ``airflow api-server`` on a free
port with the installed provider, Debian's Chromium driven by Playwright. The *Add Connection* form
offers the type with its labels and fields, saves what was typed as the connection's extras, and the
row's *Test Connection* button reads the bundled device through the hook. Leaves a screenshot of the
form in ``test-output/``."""

from __future__ import annotations

import json
import re
import urllib.request

import pytest
from playwright.sync_api import expect

from devtools.device_server import DeviceServer
from tests.browser import NEEDS_CHROMIUM, WAIT_MS, simple_auth_env
from tests.conftest import OUTPUT

ADMIN, ADMIN_PASSWORD = "admin", "adm-Secret-4"
DEVICE_PASSWORD = "sbc-Pa55-form"
SCREENSHOT = OUTPUT / "audiocodes-connection-form.png"

pytestmark = NEEDS_CHROMIUM


@pytest.fixture(scope="module")
def device():
    """The bundled device, registering 25 users (one with two contacts)."""
    server = DeviceServer("admin", DEVICE_PASSWORD).start()
    server.register_numbers(range(1000, 1024))
    server.register("1024", contacts=2)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def api_server_env(airflow_home, tmp_path_factory) -> dict[str, str]:
    """The shared ``api_server`` (tests/browser.py) runs with one admin user and the *Test
    Connection* button enabled."""
    home = tmp_path_factory.mktemp("connection-form")
    return {
        **simple_auth_env(home, {ADMIN: (ADMIN_PASSWORD, "admin")}),
        "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
    }


def api(url: str, method: str, path: str, body: dict | None = None) -> dict:
    """A call to Airflow's REST API as the admin user."""

    def call(request: urllib.request.Request) -> dict:
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read() or b"{}")

    token = call(
        urllib.request.Request(
            f"{url}/auth/token",
            data=json.dumps({"username": ADMIN, "password": ADMIN_PASSWORD}).encode(),
            headers={"Content-Type": "application/json"},
        )
    )["access_token"]
    return call(
        urllib.request.Request(
            f"{url}{path}",
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
    )


@pytest.fixture(scope="module")
def page(chromium, api_server):
    """A browser tab signed in as the admin, on the connections list."""
    tab = chromium.new_context(viewport={"width": 1360, "height": 1300}).new_page()
    tab.set_default_timeout(WAIT_MS)
    tab.goto(f"{api_server}/connections")
    tab.locator("input[name=username]").fill(ADMIN)
    tab.locator("input[name=password]").fill(ADMIN_PASSWORD)
    tab.get_by_role("button", name="Sign in").click()
    tab.get_by_role("button", name="Add Connection").wait_for()
    return tab


def test_the_form_offers_the_audiocodes_type_and_saves_its_fields(page, api_server, device):
    page.get_by_role("button", name="Add Connection").click()
    form = page.get_by_role("dialog")
    form.locator("input[name=connection_id]").fill("sbc_berlin")
    form.get_by_role("combobox").fill("AudioCodes")
    form.get_by_role("option", name="AudioCodes", exact=True).click()

    labels = [text.strip().rstrip("*").strip() for text in form.locator("label").all_inner_texts()]
    for label in (
        "Device host (SBC or ARM)",
        "Scheme (http or https)",
        "Login (HTTP Basic)",
        "Password (HTTP Basic)",
    ):
        assert label in labels
    expect(form.locator("input[name=host]")).to_have_attribute("placeholder", "sbc1.example.net")
    expect(form.locator("input[name=schema]")).to_have_attribute("placeholder", "https")

    form.locator("input[name=host]").fill("127.0.0.1")
    form.locator("input[name=port]").fill(str(device.port))
    form.locator("input[name=schema]").fill("http")
    form.locator("input[name=login]").fill("admin")
    form.locator("input[name=password]").fill(DEVICE_PASSWORD)
    form.get_by_role("button", name="Extra Fields", exact=True).click()
    for label in ("Device API", "API path", "Page size", "Verify TLS certificates"):
        expect(form.locator("label", has_text=label)).to_be_visible()
    expect(form.get_by_text("mediant-cli: a Mediant SBC's")).to_be_visible()
    form.locator("input[name=element_page_size]").fill("10")
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    form.get_by_role("button", name="Save").click()
    expect(page.get_by_role("row").filter(has_text="sbc_berlin")).to_be_visible()

    saved = api(api_server, "GET", "/api/v2/connections/sbc_berlin")
    assert saved["conn_type"] == "audiocodes"
    assert (saved["host"], saved["port"], saved["schema"], saved["login"]) == (
        "127.0.0.1",
        device.port,
        "http",
        "admin",
    )
    assert json.loads(saved["extra"]) == {
        "api": "json",
        "tenant": None,
        "site": None,
        "path": None,
        "page_size": 10,
        **dict.fromkeys(
            (
                "country_code",
                "national_prefix",
                "international_prefix",
                "extension_digits",
                "extension_did_prefix",
            )
        ),
        "verify": True,
    }
    assert SCREENSHOT.stat().st_size > 20_000


def test_the_test_button_reads_the_device_through_the_hook(page, api_server, device):
    if "sbc_berlin" not in page.locator("body").inner_text():
        pytest.skip("needs the connection the form test saved")
    served = device.requests_served

    page.get_by_role("row").filter(has_text="sbc_berlin").get_by_role(
        "button", name="Test Connection"
    ).click()

    # The toast goes away after a few seconds. The page size is 10: the first page holds 10 users.
    expect(page.get_by_text("Test Connection Successful")).to_be_visible()
    expect(page.get_by_text(re.compile(r"\b(10|25) registered users"))).to_be_visible()
    assert device.requests_served == served + 1  # the first page only


def test_a_wrong_password_fails_the_test_clearly_and_keeps_it_secret(page, api_server, device):
    wrong = "wr0ng-Pass-here"
    api(
        api_server,
        "POST",
        "/api/v2/connections",
        {
            "connection_id": "sbc_wrong_password",
            "conn_type": "audiocodes",
            "host": "127.0.0.1",
            "port": device.port,
            "schema": "http",
            "login": "admin",
            "password": wrong,
        },
    )
    page.reload()
    row = page.get_by_role("row").filter(has_text="sbc_wrong_password")

    row.get_by_role("button", name="Test Connection").click()

    expect(page.get_by_text("Test Connection Failed")).to_be_visible()
    message = page.get_by_text("HTTP 401: the device refused the login")
    expect(message).to_be_visible()
    assert wrong not in page.locator("body").inner_text()
