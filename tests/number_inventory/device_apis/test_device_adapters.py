"""The ``mediant-cli`` and ``cursor`` adapters against the bundled device over real HTTP: what a
complete read is for each, and each fault that must fail it."""

from __future__ import annotations

import pytest

from devtools.device_server import render_cli_listing
from number_inventory.device_apis.contract import Contract
from number_inventory.device_client import DeviceReadError, probe, read_registered_users
from number_inventory.numbers import contacts_active
from number_inventory.provider.hooks.audiocodes import AudioCodesHook
from number_inventory.settings import SettingError
from tests.conftest import http_connection
from tests.number_inventory.device_apis.conftest import PASSWORD, session


@pytest.fixture
def max_page_size() -> int:
    """25 a page: a cursor read of 113 takes 5 pages though it asks for 100."""
    return 25


def cli(**values) -> Contract:
    return Contract.for_api("mediant-cli", **{"backoff_seconds": 0.01, **values})


def cursor(**values) -> Contract:
    return Contract.for_api("cursor", **{"page_size": 100, "backoff_seconds": 0.01, **values})


def read(device, contract, password=PASSWORD):
    items, sleeps = [], []
    result = read_registered_users(
        session(password),
        device.url,
        contract,
        on_page=items.extend,
        on_restart=lambda: pytest.fail("only a json read starts over"),
        sleep=sleeps.append,
    )
    return result, items, sleeps


# ---------------------------------------------------------------------- mediant-cli


@pytest.mark.parametrize("line_break", ["lf", "crlf", "dot"])
def test_a_72_listing_reads_back_every_binding(device, line_break):
    device.register_numbers(range(1000, 1060))
    device.register("2000", contacts=3)
    device.register("3000", status=0)
    device.set_cli_listing(style="7.2", line_break=line_break, total_line=True)
    served = device.requests_served

    result, items, _ = read(device, cli())

    assert device.requests_served - served == 1
    assert (result.total, result.items, result.pages, result.restarts) == (64, 64, 1, 0)
    assert items == device.bindings


def test_a_4000_listing_keeps_each_contacts_state(device):
    device.register_numbers(range(1000, 1010))
    device.register("2000", contacts=2, status=0)
    device.set_cli_listing(style="4000", line_break="crlf")

    result, items, _ = read(device, cli())

    assert result.items == 12
    assert [aor for aor, _ in items] == [aor for aor, _ in device.bindings]
    expected = contacts_active([contact for _, contact in device.bindings])
    assert contacts_active([contact for _, contact in items]) == expected == [True] * 10 + [False] * 2
    assert all("IPG:1" in contact for _, contact in items)


@pytest.mark.parametrize("total_line", [True, False])
def test_an_empty_sbc_is_a_complete_empty_read(device, total_line):
    device.set_cli_listing(total_line=total_line)
    result, items, _ = read(device, cli())
    assert (result.total, result.items, items) == (0, 0, [])


def test_a_refused_script_fails_at_once_quoting_the_device(device):
    device.register_numbers(range(10))
    device.reject_script(times=None)
    served = device.requests_served

    with pytest.raises(DeviceReadError) as caught:
        read(device, cli())

    message = str(caught.value)
    assert "HTTP 400: the device refused the CLI script; check the 'cli_command' extra" in message
    assert "the device said: Incremental CLI Script file was not loaded" in message
    assert not caught.value.retryable and device.requests_served - served == 1


def test_an_injected_400_fails_too(device):
    device.register_numbers(range(10))
    device.reject_script(times=1)
    with pytest.raises(DeviceReadError, match="HTTP 400"):
        read(device, cli())


@pytest.mark.parametrize(
    "command",
    [
        "configure voip",
        "show voip register db sbc lst",
        "show voip register db sbc list\nreload now",
        "show voip register db sbc list; reload now",
        "show voip register db sbc list | include 1000",
        "show voip register\ndb sbc list",
    ],
    ids=["configuration", "misspelled", "two-lines", "semicolon", "pipe", "broken-over-lines"],
)
def test_any_script_but_the_one_show_command_is_refused_before_a_request(device, command, monkeypatch):
    """The extra's own check refuses it where a contract is made, before any adapter runs: from a
    connection's extras (the hook's read and its Test button) and in code."""
    device.register_numbers(range(10))
    served = device.requests_served

    with pytest.raises(SettingError) as caught:
        Contract.from_extras({"api": "mediant-cli", "cli_command": command}, "sbc1")

    message = str(caught.value)
    assert message.startswith(
        "Connection 'sbc1': the 'cli_command' extra may only be 'show voip register db sbc list', got "
    )
    assert "remove the extra or set it to that command" in message
    with pytest.raises(SettingError, match="may only be"):
        cli(cli_command=command)
    monkeypatch.setenv(
        "AIRFLOW_CONN_SBC1", http_connection(device, PASSWORD, api="mediant-cli", cli_command=command)
    )
    hook = AudioCodesHook(audiocodes_conn_id="sbc1")
    with pytest.raises(SettingError, match="may only be"):
        hook.read(on_page=lambda page: None, on_restart=lambda: None)
    ok, said = hook.test_connection()
    assert not ok and "the 'cli_command' extra may only be" in said
    assert device.requests_served == served  # nothing was sent


def test_the_show_command_in_another_case_and_spacing_is_sent_as_the_command(device):
    device.register_numbers(range(10))
    result, items, _ = read(device, cli(cli_command="  SHOW  voip Register\tdb sbc list \n"))
    assert result.items == 10 and len(items) == 10


def test_a_busy_sbc_409_is_retried_then_read(device):
    device.register_numbers(range(10))
    device.busy(times=2)

    result, _items, sleeps = read(device, cli(retries=4, backoff_seconds=0.5))

    assert result.items == 10 and sleeps == [0.5, 1.0]


def test_an_sbc_busy_for_ever_fails_as_retryable(device):
    device.busy(times=None)
    with pytest.raises(
        DeviceReadError, match=r"HTTP 409 \(the device is busy\), still failing after 3"
    ) as caught:
        read(device, cli(retries=2))
    assert caught.value.retryable


@pytest.mark.parametrize(
    ("output", "message"),
    [
        ("Welcome to the SBC. Have a nice day.", "does not look like a registered-users listing"),
        ("", "does not look like a registered-users listing"),
        ("SBC# show voip register db sbc list\nInvalid command\nSBC#", "the CLI answered with an error"),
        ("AOR: 1000@h\nContact: <sip:1000@h>\nTotal: 2\n", "read does not add up"),
    ],
    ids=["banner", "empty", "invalid-command", "total-disagrees"],
)
def test_text_that_is_not_a_complete_listing_fails(device, output, message):
    device.replace_output(output)
    with pytest.raises(DeviceReadError, match=message) as caught:
        read(device, cli())
    assert "running 'show voip register db sbc list'" in str(caught.value)


def test_a_cut_off_listing_fails(device):
    device.register_numbers(range(1000, 1100))
    device.cut_output(0.5)
    with pytest.raises(DeviceReadError, match="a contact cut off before its '>'"):
        read(device, cli())


def test_output_beyond_the_bound_fails(device):
    device.register_numbers(range(1000, 1100))
    with pytest.raises(DeviceReadError, match="larger than max_output_bytes=2,000 bytes"):
        read(device, cli(max_output_bytes=2000))


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        (lambda d: d.not_json_page(0), "not the CLI script's JSON"),
        (lambda d: d.malformed_page(0), "has no 'output' text"),
    ],
    ids=["not-json", "no-output"],
)
def test_an_answer_that_is_not_the_scripts_fails(device, fault, message):
    device.register_numbers(range(10))
    fault(device)
    with pytest.raises(DeviceReadError, match=message):
        read(device, cli())


def test_hostile_output_is_read_without_harm(device):
    pairs = [("1000@h", "<sip:1000@h>; Active status:1"), ("2000@h", "<sip:2000@h>; Active status:1")]
    text = render_cli_listing(pairs).replace("1000@h", "10\x0000@h") + "\n" + "=" * 1_000_000
    device.replace_output(text)
    result, items, _ = read(device, cli())
    assert result.items == 2 and items[0][0] == "10\x0000@h"


def test_wrong_password_never_shows_it(device):
    with pytest.raises(DeviceReadError) as caught:
        read(device, cli(), password="wrong-cli-password")
    assert "HTTP 401" in str(caught.value)
    assert "wrong-cli-password" not in str(caught.value) and PASSWORD not in str(caught.value)


def test_probe_runs_the_command_once_and_counts_registered_users(device):
    device.register_numbers(range(1000, 1010))
    device.register("2000", contacts=2)
    device.register("3000", status=0)
    device.set_cli_listing(style="4000")

    found = probe(session(), device.url, cli())

    assert (found.bindings, found.registered, found.total) == (13, 11, 13)
    assert found.counter == 11  # the device's own counter, read by the probe too
    assert found.describe() == (
        "mediant-cli: 11 registered users (13 bindings) in the listing; the device counts 11 registered users"
    )


# ---------------------------------------------------------------------- cursor


def test_a_cursor_collection_is_followed_to_its_end(cursor_device):
    cursor_device.register_numbers(range(1000, 1110))
    cursor_device.register("2000", contacts=3)

    result, items, _ = read(cursor_device, cursor())

    assert (result.total, result.items, result.pages) == (113, 113, 5)  # 25 a page though 100 asked
    assert items == cursor_device.bindings


def test_an_empty_collection_answers_204_and_is_an_empty_read_when_the_counter_says_0(cursor_device):
    result, items, _ = read(cursor_device, cursor(count_check="required"))
    assert (result.total, result.items, result.pages, items) == (0, 0, 1, [])
    assert cursor_device.counter_reads == 2  # before and after


def test_a_204_first_page_without_the_counter_is_no_proof_of_emptiness(cursor_device):
    with pytest.raises(DeviceReadError, match=r"answered 204 .*count_check is off"):
        read(cursor_device, cursor())


@pytest.mark.parametrize(
    ("backwards", "message"),
    [(False, "the cursor repeats"), (True, "the cursor went backwards")],
    ids=["repeat", "backwards"],
)
def test_a_cursor_that_loops_fails_and_never_hangs(cursor_device, backwards, message):
    cursor_device.register_numbers(range(1000, 1100))
    cursor_device.cursor_loop(2, backwards=backwards)
    served = cursor_device.requests_served

    with pytest.raises(DeviceReadError, match=message):
        read(cursor_device, cursor())
    assert cursor_device.requests_served - served == 3


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        (lambda d: d.malformed_page(1), "'items' is not a list"),
        (lambda d: d.not_json_page(1), "not JSON"),
        (lambda d: d.fail_page(1, 500, times=None), "HTTP 500, still failing after"),
    ],
    ids=["malformed", "not-json", "5xx"],
)
def test_a_bad_cursor_page_fails(cursor_device, fault, message):
    cursor_device.register_numbers(range(100))
    fault(cursor_device)
    with pytest.raises(DeviceReadError, match=message):
        read(cursor_device, cursor(retries=1))


def test_a_transient_cursor_page_is_retried(cursor_device):
    cursor_device.register_numbers(range(100))
    cursor_device.fail_page(2, 503, times=1)
    cursor_device.drop_connection(3, times=1)
    result, _items, sleeps = read(cursor_device, cursor())
    assert result.items == 100 and len(sleeps) == 2


def test_the_cursor_read_is_bounded_by_max_pages(cursor_device):
    cursor_device.register_numbers(range(100))
    with pytest.raises(DeviceReadError, match="max_pages=2"):
        read(cursor_device, cursor(max_pages=2))


def test_cursor_field_names_come_from_the_contract(cursor_device):
    cursor_device.register_numbers(range(10))
    with pytest.raises(DeviceReadError, match="'page' must be an object with a text 'after'"):
        read(cursor_device, cursor(cursor_field="page"))


def test_probe_of_a_cursor_collection(cursor_device):
    cursor_device.register_numbers(range(30))
    found = probe(session(), cursor_device.url, cursor())
    assert (found.bindings, found.total) == (25, None)
    assert (
        found.describe()
        == "cursor: the first page held 25 registered users (25 bindings); the collection has more"
    )
