"""The ``audiocodes`` connection's hook against the bundled device over real HTTP: what its Test button
says, how it reads, and that connections saved by the UI form or typed as JSON read as meant."""

from __future__ import annotations

import pytest

from devtools.device_server import DeviceServer
from number_inventory.provider.hooks.audiocodes import AudioCodesHook
from number_inventory.settings import SettingError
from tests.conftest import http_connection

PASSWORD = "dev1ce-Pa55word"


@pytest.fixture
def device():
    server = DeviceServer("admin", PASSWORD, max_page_size=50).start()
    yield server
    server.stop()


def connect(monkeypatch, conn_id: str, device: DeviceServer, password: str = PASSWORD, **kwargs) -> None:
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", http_connection(device, password, **kwargs))


def test_test_connection_says_how_many_registered_users_it_saw(device, monkeypatch):
    device.register_numbers(range(1000, 1025))
    device.register("1000", contacts=2)  # a second contact: 25 users, 26 bindings
    connect(monkeypatch, "sbc", device, conn_type="audiocodes", page_size=100)

    ok, message = AudioCodesHook(audiocodes_conn_id="sbc").test_connection()

    assert ok, message
    assert "25 registered users" in message
    assert device.requests_served == 1  # the first page only


def test_test_connection_reads_only_the_first_page(device, monkeypatch):
    device.register_numbers(range(1000, 1100))
    connect(monkeypatch, "sbc", device, conn_type="audiocodes", page_size=30)

    ok, message = AudioCodesHook(audiocodes_conn_id="sbc").test_connection()

    assert ok, message
    assert device.requests_served == 1


def test_a_wrong_password_fails_clearly_without_the_password(device, monkeypatch):
    wrong = "hunter2-Wrong-Pass"
    connect(monkeypatch, "sbc", device, password=wrong, conn_type="audiocodes")

    ok, message = AudioCodesHook(audiocodes_conn_id="sbc").test_connection()

    assert not ok
    assert "HTTP 401" in message and "login and password" in message
    assert wrong not in message and PASSWORD not in message


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        ({"page_size": "many"}, "'page_size'"),
        ({"path": "api/v1/registeredUsers"}, "'path'"),
        ({"country_code": "999"}, "'country_code'"),
        ({"national_prefix": "0"}, "'national_prefix'"),
    ],
    ids=["page-size-not-a-number", "path-without-slash", "no-such-country", "prefix-without-country"],
)
def test_a_bad_extra_fails_the_test_naming_it(device, monkeypatch, extra, says):
    connect(monkeypatch, "sbc", device, conn_type="audiocodes", **extra)

    ok, message = AudioCodesHook(audiocodes_conn_id="sbc").test_connection()

    assert not ok
    assert "'sbc'" in message and says in message
    with pytest.raises(SettingError):
        AudioCodesHook(audiocodes_conn_id="sbc").contract()


def test_a_device_that_does_not_answer_fails_the_test(monkeypatch):
    server = DeviceServer("admin", PASSWORD).start()
    connect(monkeypatch, "sbc", server, conn_type="audiocodes", backoff_seconds=0.01, timeout_seconds=2)
    server.stop()  # nothing listens on its port any more

    ok, message = AudioCodesHook(audiocodes_conn_id="sbc").test_connection()

    assert not ok
    assert "ConnectionError" in message


@pytest.mark.parametrize("conn_type", ["audiocodes", "http"])
def test_read_hands_every_page_over(device, monkeypatch, conn_type):
    device.register_numbers(range(2000, 2120))
    connect(monkeypatch, "sbc", device, conn_type=conn_type, page_size=50)
    pages: list[int] = []

    result = AudioCodesHook(audiocodes_conn_id="sbc").read(
        on_page=lambda page: pages.append(len(page)), on_restart=pages.clear
    )

    assert (result.total, result.items, result.pages) == (120, 120, 3)
    assert pages == [50, 50, 20]


def test_a_connection_saved_by_the_form_reads(device, monkeypatch):
    """The UI form saves a field left empty as null; that is the default, not a value."""
    device.register_numbers(range(3000, 3040))
    plan = {"country_code": None, "national_prefix": "", "extension_did_prefix": None}
    form = {"api": "json", "path": None, "page_size": 15, "verify": True, **plan}
    connect(monkeypatch, "sbc", device, conn_type="audiocodes", **form)
    hook = AudioCodesHook(audiocodes_conn_id="sbc")
    assert hook.dial_plan() is None  # dial plan fields left empty: no dial plan

    session, _, contract = hook.device_session()
    result = hook.read(on_page=lambda page: None, on_restart=lambda: None)

    assert contract.page_size == 15 and contract.path == "/api/v1/registeredUsers"
    assert (result.total, result.pages) == (40, 3)
    assert not {"api", "path", "page_size", "verify"} & {k.lower() for k in session.headers}


@pytest.mark.parametrize(("verify", "expected"), [("false", False), ("True", True), (False, False)])
def test_verify_written_as_text_is_a_flag(device, monkeypatch, verify, expected):
    connect(monkeypatch, "sbc", device, conn_type="audiocodes", verify=verify)

    session, base_url, _ = AudioCodesHook(audiocodes_conn_id="sbc").device_session()

    assert session.verify is expected
    assert base_url == f"http://127.0.0.1:{device.port}"


def test_the_session_carries_no_extra_as_a_header(device, monkeypatch):
    extras = {
        "page_size": 20,
        "retries": 1,
        "items_field": "registeredUsers",
        "api": "json",
        "country_code": "49",
    }
    extras |= {"tenant": "acme", "site": "Berlin HQ"}  # where the numbers belong: never a header
    connect(monkeypatch, "sbc", device, conn_type="audiocodes", **extras, **{"X-Trace": "on"})

    session, _, _ = AudioCodesHook(audiocodes_conn_id="sbc").device_session()

    assert session.headers.get("X-Trace") == "on"  # a real header the operator asked for stays
    assert not set(extras) & set(session.headers)
    assert AudioCodesHook(audiocodes_conn_id="sbc").dial_plan().country_code == "49"
    assert (session.auth.username, session.auth.password) == ("admin", PASSWORD)


def test_test_connection_of_a_mediant_sbc_says_what_its_counter_found(device, monkeypatch):
    device.register_numbers(range(1000, 1020))
    device.register("1020", status=0)  # not confirmed: not counted
    connect(monkeypatch, "sbc", device, conn_type="audiocodes", api="mediant-cli")

    ok, message = AudioCodesHook(audiocodes_conn_id="sbc").test_connection()

    assert ok, message
    assert message == (
        "mediant-cli: 20 registered users (21 bindings) in the listing; the device counts 20 registered users"
    )
    assert device.counter_reads == 1


def test_test_connection_fails_when_the_counter_is_missing_naming_count_check(device, monkeypatch):
    device.register_numbers(range(1000, 1020))
    device.missing_counter()
    connect(monkeypatch, "sbc", device, conn_type="audiocodes", api="mediant-cli", backoff_seconds=0.01)

    ok, message = AudioCodesHook(audiocodes_conn_id="sbc").test_connection()

    assert not ok
    assert "HTTP 404" in message and 'count_check to "off"' in message and "count_path" in message
    assert PASSWORD not in message
