"""The device's own counter of registered users as the proof that a read is complete, and a cursor
walk that stops in the middle, against the bundled device over real HTTP: the counter's shapes and
faults, the tolerance, ``count_check`` ``required`` and ``off``, and each way a cursor collection may
say "no content"."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import devtools
from devtools.device_server import KPI_PATH, KPI_SCOPE_PATH, render_cli_listing
from number_inventory.device_apis.contract import Contract
from number_inventory.device_apis.counter import value
from number_inventory.device_client import DeviceReadError, probe, read_registered_users
from number_inventory.settings import SettingError
from tests.number_inventory.device_apis.conftest import PASSWORD, session


def cli(**values) -> Contract:
    return Contract.for_api("mediant-cli", **{"backoff_seconds": 0.01, "retries": 1, **values})


def cursor(**values) -> Contract:
    return Contract.for_api("cursor", **{"page_size": 50, "backoff_seconds": 0.01, "retries": 1, **values})


def read(device, contract):
    items = []
    result = read_registered_users(
        session(),
        device.url,
        contract,
        on_page=items.extend,
        on_restart=lambda: pytest.fail("only a json read starts over"),
        sleep=lambda s: None,
    )
    return result, items


def cut_after(device, users: int) -> None:
    """The CLI stops cleanly after the contact of user ``users``: no marker, no total, no prompt."""
    lines = render_cli_listing(device.bindings).splitlines()
    device.replace_output("\n".join(lines[: 1 + 2 * users]) + "\n")


# ---------------------------------------------------------------------- mediant-cli


def test_mediant_cli_reads_the_counter_before_and_after_by_default(device):
    device.register_numbers(range(1000, 1020))
    device.register("2000", status=0)  # not confirmed: neither listed as registered nor counted

    result, items = read(device, cli())

    assert (result.items, len(items)) == (21, 21)
    assert device.counter_reads == 2
    assert device.registered_users() == 20


def test_a_listing_cut_between_two_users_fails_against_the_counter(device):
    device.register_numbers(range(1000, 1020))
    cut_after(device, 8)

    with pytest.raises(DeviceReadError) as caught:
        read(device, cli())

    message = str(caught.value)
    assert "the device counts 20 registered users" in message
    assert "the listing holds 8 (8 AORs with an active contact, 8 active contacts)" in message
    assert "count_tolerance=2" in message and 'count_check to "off"' in message
    assert PASSWORD not in message


def test_with_count_check_off_the_counter_is_not_read(device):
    device.register_numbers(range(1000, 1020))
    device.missing_counter()
    cut_after(device, 8)

    result, _ = read(device, cli(count_check="off"))

    # Without the proof, a clean cut cannot be told from a shorter listing: what "off" gives up.
    assert result.items == 8
    assert device.counter_reads == 0


@pytest.mark.parametrize("status", [404, 403])
def test_a_missing_counter_with_count_check_required_fails_naming_the_extra(device, status):
    device.register_numbers(range(1000, 1020))
    device.missing_counter(status)

    with pytest.raises(DeviceReadError) as caught:
        read(device, cli())

    message = str(caught.value)
    assert f"HTTP {status}" in message and "counter of registered users" in message
    assert "count_path" in message and 'set the extra count_check to "off"' in message
    assert "'path' extra" not in message  # the listing's path is not what to check


@pytest.mark.parametrize(
    ("offset", "tolerance", "ok"),
    [(2, None, True), (3, None, False), (5, 5, True), (6, 5, False), (1, 0, False)],
    ids=["default-2-within", "default-2-beyond", "set-5-within", "set-5-beyond", "set-0-exact"],
)
def test_the_tolerance(device, offset, tolerance, ok):
    device.register_numbers(range(1000, 1020))
    device.wrong_counter(offset=offset)
    contract = cli() if tolerance is None else cli(count_tolerance=tolerance)
    if ok:
        assert read(device, contract)[0].items == 20
    else:
        with pytest.raises(DeviceReadError, match=f"counts {20 + offset} registered users"):
            read(device, contract)


def test_the_default_tolerance_is_half_a_percent_of_a_large_counter(device):
    device.register_numbers(range(10_000, 12_000))  # 0.5% of 2,000 is 10
    device.wrong_counter(offset=10)
    assert read(device, cli())[0].items == 2000
    device.wrong_counter(offset=11)
    with pytest.raises(DeviceReadError, match=r"count_tolerance=10\.055 short"):
        read(device, cli())


@pytest.mark.parametrize(
    ("as_number", "stray_spaces"),
    [(False, False), (True, False), (False, True), (True, True)],
    ids=["text", "number", "text-stray-spaces", "number-stray-spaces"],
)
@pytest.mark.parametrize("path", [KPI_PATH, KPI_SCOPE_PATH], ids=["kpi", "scope-items"])
def test_every_shape_of_the_counter_is_read(device, as_number, stray_spaces, path):
    device.register_numbers(range(1000, 1020))
    device.set_counter(as_number=as_number, stray_spaces=stray_spaces)
    raw = session().get(device.url + path).json()
    assert ("items" in raw) is (path == KPI_SCOPE_PATH)

    assert read(device, cli(count_path=path))[0].items == 20
    found = probe(session(), device.url, cli(count_path=path))
    assert found.counter == 20 and "the device counts 20 registered users" in found.describe()

    device.wrong_counter(offset=10)  # the value really is read, whatever its shape
    with pytest.raises(DeviceReadError, match="counts 30 registered users"):
        read(device, cli(count_path=path))


def test_a_counter_that_changes_during_the_read_is_taken_at_its_lower_reading(device):
    device.register_numbers(range(1000, 1020))
    device.wrong_counter(30, times=1)  # 10 users left while the listing was written
    assert read(device, cli())[0].items == 20
    assert device.counter_reads == 2

    cut_after(device, 8)
    device.wrong_counter(30, times=1)
    with pytest.raises(DeviceReadError, match="its counter, said 30 before the listing and 20 after it"):
        read(device, cli())


def test_the_probe_fails_like_the_read_when_the_counter_is_missing(device):
    device.register_numbers(range(1000, 1005))
    device.missing_counter()
    with pytest.raises(DeviceReadError, match='count_check to "off"'):
        probe(session(), device.url, cli())
    found = probe(session(), device.url, cli(count_check="off"))
    assert found.counter is None
    assert found.describe() == "mediant-cli: 5 registered users (5 bindings) in the listing"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<html>", "not JSON"),
        (b"[1, 2]", "not a KPI object"),
        (b'{"id": "activeCalls", "value": "3"}', "the KPI 'activeCalls'"),
        (b'{"items": [{"id": "activeCalls", "value": "3"}]}', "hold 0 KPIs"),
        (
            b'{"items": [{"id": "registeredUsers", "value": 3}, {"id": "registeredUsers", "value": 4}]}',
            "hold 2 KPIs",
        ),
        (b'{"id": "registeredUsers", "value": "-1"}', "not a whole number"),
        (b'{"id": "registeredUsers", "value": "12a"}', "not a whole number"),
        (b'{"id": "registeredUsers", "value": true}', "not a whole number"),
        (b'{"id": "registeredUsers", "value": 1.5}', "not a whole number"),
        (b'{"id": "registeredUsers"}', "not a whole number"),
        (b'{"id": "registeredUsers", "value": "' + b"9" * 40 + b'"}', "not a whole number"),
        (b"[" * 100_000 + b"]" * 100_000, "not JSON"),
    ],
)
def test_an_answer_that_is_not_the_counter_fails(body, message):
    with pytest.raises(DeviceReadError, match=message) as caught:
        value(body, "the counter")
    assert 'count_check to "off"' in str(caught.value)


@pytest.mark.parametrize(
    ("body", "count"),
    [
        (b'{"id": "registeredUsers", "value": "120"}', 120),
        (b'{"id": "registeredUsers", "value": 120}', 120),
        (b'{"id ": "registeredUsers", " value": " 120 "}', 120),
        (b'{"value": 7}', 7),
        (b'{"id": "registeredUsers", "value": 12.0}', 12),
        (b'{"items": [{" id": "x", "value": "1"}, {"id ": " registeredUsers", " value": "0"}]}', 0),
    ],
)
def test_the_counter_value_in_each_documented_shape(body, count):
    assert value(body, "the counter") == count


# ---------------------------------------------------------------------- cursor


def test_a_cursor_walk_checks_the_counter_when_asked(cursor_device):
    cursor_device.register_numbers(range(1000, 1100))
    assert read(cursor_device, cursor(count_check="required"))[0].items == 100
    assert cursor_device.counter_reads == 2

    cursor_device.wrong_counter(offset=10)
    with pytest.raises(
        DeviceReadError, match=r"counts 110 registered users .* holds 100 \(active contacts\)"
    ):
        read(cursor_device, cursor(count_check="required"))


def test_a_cursor_read_leaves_the_counter_alone_by_default(cursor_device):
    cursor_device.register_numbers(range(1000, 1100))
    cursor_device.missing_counter()
    assert read(cursor_device, cursor())[0].items == 100
    assert cursor_device.counter_reads == 0


@pytest.mark.parametrize(
    "fault",
    [
        lambda d: d.fail_page(0, 400, times=None),
        lambda d: d.empty_page(0),
        lambda d: d.empty_page(0, status=200),
    ],
    ids=["400", "204", "no-items"],
)
def test_a_first_page_without_content_is_an_empty_read_only_when_the_counter_says_0(cursor_device, fault):
    fault(cursor_device)
    result, items = read(cursor_device, cursor(count_check="required"))
    assert (result.items, items) == (0, [])


@pytest.mark.parametrize(
    ("fault", "said"),
    [
        (lambda d: d.fail_page(0, 400, times=None), "answered 400 (the Mediant REST API's answer"),
        (lambda d: d.empty_page(0), "answered 204 (No Content)"),
        (lambda d: d.empty_page(0, status=200), "answered a page without items"),
    ],
    ids=["400", "204", "no-items"],
)
def test_a_first_page_without_content_while_the_counter_counts_users_fails(cursor_device, fault, said):
    cursor_device.register_numbers(range(1000, 1100))
    fault(cursor_device)

    with pytest.raises(DeviceReadError) as caught:
        read(cursor_device, cursor(count_check="required"))
    message = str(caught.value)
    assert said in message and "yet its counter says 100 registered users" in message

    with pytest.raises(DeviceReadError) as caught:
        read(cursor_device, cursor())  # count_check off: nothing can prove it empty
    message = str(caught.value)
    assert said in message and "count_check is off" in message and 'count_check to "required"' in message


@pytest.mark.parametrize(
    ("fault", "said"),
    [
        (lambda d: d.empty_page(1), "answered 204"),
        (lambda d: d.fail_page(1, 400, times=None), "answered 400"),
        (lambda d: d.empty_page(1, status=200), "answered a page without items"),
    ],
    ids=["204", "400", "no-items"],
)
@pytest.mark.parametrize("count_check", ["off", "required"])
def test_no_content_after_a_page_that_announced_more_fails(cursor_device, fault, said, count_check):
    cursor_device.register_numbers(range(1000, 1100))
    fault(cursor_device)
    pages = []

    with pytest.raises(DeviceReadError) as caught:
        read_registered_users(
            session(),
            cursor_device.url,
            cursor(count_check=count_check),
            on_page=pages.append,
            on_restart=lambda: None,
            sleep=lambda s: None,
        )

    assert f"page 2 {said} after page 1 announced more (after '49')" in str(caught.value)
    assert [len(p) for p in pages] == [50]


def test_the_cursor_probe_shows_the_counter_and_an_unproven_empty_collection_fails(cursor_device):
    cursor_device.register_numbers(range(1000, 1030))
    found = probe(session(), cursor_device.url, cursor(count_check="required"))
    assert found.describe() == (
        "cursor: 30 registered users (30 bindings) in the listing; the device counts 30 registered users"
    )
    cursor_device.empty_page(0)
    with pytest.raises(DeviceReadError, match="yet its counter says 30"):
        probe(session(), cursor_device.url, cursor(count_check="required"))


# ---------------------------------------------------------------------- settings


def test_the_counter_extras_and_their_defaults():
    assert Contract.for_api("mediant-cli").count_check == "required"
    assert Contract.for_api("cursor").count_check == "off"
    assert "count_check" not in Contract.for_api("json").values()  # a json list proves itself by its total
    assert Contract("mediant-cli").count_path == KPI_PATH
    contract = Contract.from_extras(
        {"api": "cursor", "count_check": "required", "count_tolerance": "3.5", "count_path": KPI_SCOPE_PATH},
        "sbc1",
    )
    assert (contract.count_check, contract.count_tolerance, contract.count_path) == (
        "required",
        3.5,
        KPI_SCOPE_PATH,
    )
    assert Contract.from_extras({"api": "mediant-cli", "count_check": "off"}, "sbc1").count_check == "off"


@pytest.mark.parametrize(
    ("extras", "message"),
    [
        ({"api": "mediant-cli", "count_check": "maybe"}, "'count_check' must be 'required' or 'off'"),
        ({"api": "mediant-cli", "count_check": False}, "'count_check' must be 'required' or 'off'"),
        ({"api": "mediant-cli", "count_tolerance": -1}, "'count_tolerance' must be a number >= 0"),
        ({"api": "mediant-cli", "count_tolerance": "a few"}, "'count_tolerance' must be a number >= 0"),
        ({"api": "cursor", "count_path": "api/v1/kpi"}, "'count_path' must start with '/'"),
        (
            {"api": "json", "count_check": "required"},
            "'count_check' is for api mediant-cli, cursor, not for json",
        ),
    ],
)
def test_bad_counter_extras_are_named(extras, message):
    with pytest.raises(SettingError, match=message.replace("(", "\\(")) as caught:
        Contract.from_extras(extras, "sbc1")
    assert "'sbc1'" in str(caught.value)


def test_the_simulator_counts_aors_with_an_active_contact(device):
    device.register("1000", contacts=3)
    device.register("1001", status=0)
    device.register("1002", contacts=2, status=0)
    device.set_bindings([*device.bindings, ("1003@h", "<sip:1003@h>;expires=60")])  # no marker: active
    assert device.registered_users() == 2
    assert session().get(device.url + KPI_PATH).json() == {"id": "registeredUsers", "value": "2"}
    device.set_counter(as_number=True, stray_spaces=True)
    assert json.loads(session().get(device.url + KPI_PATH).content) == {"id ": "registeredUsers", " value": 2}


def test_the_counter_through_the_control_api(device):
    device.register_numbers(range(1000, 1010))
    with session() as s:
        assert s.put(f"{device.url}/_control/counter", json={"as_number": True}).ok
        assert s.post(f"{device.url}/_control/faults", json={"wrong_counter": {"offset": 5, "times": 1}}).ok
        assert s.get(device.url + KPI_PATH).json() == {"id": "registeredUsers", "value": 15}
        assert s.get(device.url + KPI_PATH).json() == {"id": "registeredUsers", "value": 10}
        assert s.post(f"{device.url}/_control/faults", json={"missing_counter": {}}).ok
        assert s.get(device.url + KPI_SCOPE_PATH).status_code == 404
        assert s.put(device.url + KPI_PATH).status_code == 405
        assert s.get(device.url + KPI_PATH, auth=("admin", "wrong")).status_code == 401


@pytest.mark.parametrize(
    ("flags", "answer"),
    [
        ([], {"id": "registeredUsers", "value": "5"}),
        (["--counter-as-number", "--counter-stray-spaces"], {"id ": "registeredUsers", " value": 5}),
        (["--counter-offset", "-2"], {"id": "registeredUsers", "value": "3"}),
        (["--counter-value", "99"], {"id": "registeredUsers", "value": "99"}),
        (["--no-counter"], 404),
    ],
)
def test_the_counter_flags_of_the_command_line(flags, answer):
    root = devtools.ROOT
    env = {**os.environ, "DEVICE_PASSWORD": PASSWORD, "PYTHONPATH": devtools.PYTHONPATH}
    cmd = [sys.executable, "-m", "devtools.device_server", "--port", "0", "--api", "mediant-cli"]
    proc = subprocess.Popen(
        [*cmd, "--numbers", "1000-1004", *flags], cwd=root, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip().rsplit(" ", 1)[1]
        got = session().get(url + KPI_PATH, timeout=10)
        if answer == 404:
            assert got.status_code == 404
        else:
            assert json.loads(got.content) == answer
    finally:
        proc.terminate()
        proc.wait(timeout=5)
