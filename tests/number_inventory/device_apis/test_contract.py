"""A device connection's extras: declared once per device API (``device_apis.contract``), listed in one
registry (``device_apis.registry``), and the form, the validation and the dispatch derived from it."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from devtools.device_server import DeviceServer
from number_inventory import device_client
from number_inventory.device_apis import registry
from number_inventory.device_apis.contract import Contract, DeviceApi, Extra
from number_inventory.device_apis.transport import ProbeResult, ReadResult
from number_inventory.provider import conn_fields
from number_inventory.settings import SettingError

from_extras = Contract.from_extras


def test_contract_defaults_match_spec() -> None:
    contract = from_extras({}, "audiocodes_default")
    assert contract == Contract() == Contract("json")
    assert (contract.path, contract.page_size, contract.items_field, contract.total_field) == (
        "/api/v1/registeredUsers",
        1000,
        "registeredUsers",
        "total",
    )
    assert (contract.aor_field, contract.contact_field, contract.offset_param, contract.limit_param) == (
        "addressOfRecord",
        "contact",
        "offset",
        "limit",
    )


def test_contract_overrides_and_leaves_the_http_hooks_own_extras_to_it() -> None:
    extras = {
        "path": "/api/v2/users",
        "page_size": "250",
        "items_field": "items",
        "total_field": "count",
        "aor_field": "aor",
        "contact_field": "binding",
        "offset_param": "start",
        "limit_param": "size",
        "timeout_seconds": "2.5",
        "retries": 0,
        "backoff_seconds": 1,
        "max_restarts": 7.0,
        "max_pages": 3,
        "max_page_bytes": 1024,
        "verify": False,
        "proxies": {"https": "http://proxy:3128"},
    }
    contract = from_extras(extras, "sbc1")
    assert contract == Contract(
        path="/api/v2/users",
        page_size=250,
        items_field="items",
        total_field="count",
        aor_field="aor",
        contact_field="binding",
        offset_param="start",
        limit_param="size",
        timeout_seconds=2.5,
        retries=0,
        backoff_seconds=1.0,
        max_restarts=7,
        max_pages=3,
        max_page_bytes=1024,
    )
    assert type(contract.page_size) is int
    assert type(contract.max_restarts) is int
    assert type(contract.backoff_seconds) is float


def test_a_contract_holds_its_apis_extras_only() -> None:
    cli = from_extras({"api": "mediant-cli"}, "sbc1")
    assert (cli.api, cli.path, cli.cli_command) == (
        "mediant-cli",
        "/api/v1/files/cliScript/incremental",
        "show voip register db sbc list",
    )
    assert cli.max_output_bytes == 256 * 1024 * 1024 and cli.deadline_seconds == 300
    with pytest.raises(AttributeError, match="'mediant-cli' has no extra 'page_size'"):
        _ = cli.page_size
    with pytest.raises(TypeError, match="has no extra 'cli_command'"):
        Contract("json", cli_command="show running-config")
    cur = from_extras({"api": "cursor", "path": "/api/v1/users", "page_size": "200"}, "sbc2")
    assert (cur.api, cur.path, cur.items_field, cur.cursor_field, cur.limit_param, cur.after_param) == (
        "cursor",
        "/api/v1/users",
        "items",
        "cursor",
        "limit",
        "after",
    )
    assert (cur.page_size, cur.aor_field, cur.contact_field) == (200, "addressOfRecord", "contact")
    assert from_extras({"api": "json"}, "arm") == Contract()
    assert Contract.for_api("mediant-cli", path="/x") == from_extras(
        {"api": "mediant-cli", "path": "/x"}, "sbc1"
    )


def test_an_extra_that_is_a_header_passes() -> None:
    assert from_extras({"X-Tenant": "acme", "X-Trace": "on"}, "sbc1") == Contract()


def test_an_extra_of_another_api_is_refused_naming_the_apis_that_take_it() -> None:
    """``count_check`` on a json connection would promise a proof that no json read makes."""
    with pytest.raises(SettingError) as info:
        from_extras({"api": "json", "count_check": "required"}, "arm1")
    assert "extra 'count_check' is for api mediant-cli, cursor, not for json" in str(info.value)


def test_a_form_field_of_another_api_is_not_used_and_not_refused() -> None:
    """The connection form saves its fields whatever the API: a Page size typed for a mediant-cli
    connection is ignored, as the field's description says."""
    assert from_extras({"api": "mediant-cli", "page_size": 500}, "sbc1") == Contract("mediant-cli")


@pytest.mark.parametrize(
    ("extras", "fragment"),
    [
        ({"page_sise": 500}, "unknown extra 'page_sise' (did you mean 'page_size'?)"),
        ({"page_sise": "500"}, "unknown extra 'page_sise' (did you mean 'page_size'?)"),
        ({"api": "cursor", "afterparam": "next"}, "unknown extra 'afterparam' (did you mean 'after_param'?)"),
        ({"X-Tenant": 7}, "unknown extra 'X-Tenant': the json device api takes"),
    ],
)
def test_an_unknown_extra_is_named_with_what_it_may_have_meant(extras: dict, fragment: str) -> None:
    """HttpHook sends an extra it does not know to the device as an HTTP header: a misspelt extra would
    be silently ignored, or fail as "not a usable URL" when its value is not text."""
    with pytest.raises(SettingError) as info:
        from_extras(extras, "sbc-north")
    assert "'sbc-north'" in str(info.value) and fragment in str(info.value)
    assert "takes " in str(info.value)


@pytest.mark.parametrize("raw", ["soap", "JSON", "", 1, None])
def test_contract_unknown_api_names_connection_extra_and_allowed(raw: Any) -> None:
    with pytest.raises(SettingError) as info:
        from_extras({"api": raw}, "sbc-west")
    message = str(info.value)
    assert "'sbc-west'" in message and "'api'" in message
    assert "json, mediant-cli, cursor" in message and repr(raw) in message


@pytest.mark.parametrize(
    ("key", "raw"),
    [
        pytest.param("path", "", id="path-empty"),
        pytest.param("path", 5, id="path-number"),
        pytest.param("items_field", None, id="items-field-null"),
        pytest.param("aor_field", ["addressOfRecord"], id="aor-field-list"),
        pytest.param("page_size", "abc", id="page-size-text"),
        pytest.param("page_size", 2.5, id="page-size-fraction"),
        pytest.param("page_size", "2.5", id="page-size-fraction-text"),
        pytest.param("page_size", True, id="page-size-bool"),
        pytest.param("page_size", None, id="page-size-null"),
        pytest.param("page_size", -5, id="page-size-negative"),
        pytest.param("page_size", 0, id="page-size-zero"),
        pytest.param("max_pages", 0, id="max-pages-zero"),
        pytest.param("retries", -1, id="retries-negative"),
        pytest.param("max_page_bytes", float("nan"), id="max-page-bytes-nan"),
        pytest.param("timeout_seconds", "soon", id="timeout-text"),
        pytest.param("timeout_seconds", -0.5, id="timeout-negative"),
        pytest.param("backoff_seconds", None, id="backoff-null"),
        pytest.param("timeout_seconds", True, id="timeout-bool"),
        pytest.param("deadline_seconds", 0, id="deadline-zero"),
        pytest.param("path", "api/v1/registeredUsers", id="relative-path"),
        # Non-finite numbers: JSON extras may hold them (json.loads reads NaN, Infinity and 1e999).
        pytest.param("page_size", float("inf"), id="page-size-infinity"),
        pytest.param("max_pages", "Infinity", id="max-pages-infinity-text"),
        pytest.param("timeout_seconds", float("nan"), id="timeout-nan"),
        pytest.param("timeout_seconds", float("inf"), id="timeout-infinity"),
        pytest.param("backoff_seconds", "nan", id="backoff-nan-text"),
    ],
)
def test_contract_errors_name_connection_key_value_and_what_is_allowed(key: str, raw: Any) -> None:
    with pytest.raises(SettingError) as info:
        from_extras({key: raw}, "sbc-east")
    message = str(info.value)
    assert "'sbc-east'" in message
    assert f"'{key}'" in message
    assert repr(raw) in message
    assert " must " in message


def test_mediant_cli_max_output_bytes_must_be_above_zero() -> None:
    with pytest.raises(SettingError, match="'max_output_bytes' must be a whole number >= 1"):
        from_extras({"api": "mediant-cli", "max_output_bytes": 0}, "sbc1")


def test_an_extras_own_check_runs_wherever_a_contract_is_made(monkeypatch) -> None:
    """``Extra.check``: a connection's extras and a contract made in code are refused alike, naming the
    extra; the value kept is the one the check returns."""

    def one_word(text: str) -> str:
        if len(text.split()) != 1:
            raise ValueError(f"the 'word' extra must be one word, got {text!r}")
        return text.strip().lower()

    api = DeviceApi(
        "worded", "worded: a test api", (Extra("word", "yes", "one word", check=one_word),), None, None
    )
    monkeypatch.setitem(registry.APIS, "worded", api)
    with pytest.raises(
        SettingError, match=r"^Connection 'sbc1': the 'word' extra must be one word, got 'a b'$"
    ):
        from_extras({"api": "worded", "word": "a b"}, "sbc1")
    with pytest.raises(SettingError, match=r"^the 'word' extra must be one word, got 'a b'$"):
        Contract("worded", word="a b")
    assert from_extras({"api": "worded", "word": " YES "}, "sbc1").word == "yes"
    assert Contract("worded", word="No").replace(retries=1).word == "no"


def test_mediant_cli_sends_only_the_show_command_in_any_spelling() -> None:
    assert (
        from_extras(
            {"api": "mediant-cli", "cli_command": " SHOW voip\tregister db sbc list "}, "sbc1"
        ).cli_command
        == "show voip register db sbc list"
    )
    with pytest.raises(SettingError, match=r"^Connection 'sbc1': the 'cli_command' extra may only be"):
        from_extras({"api": "mediant-cli", "cli_command": "configure voip"}, "sbc1")


def test_a_contract_survives_pickling_and_cannot_be_changed() -> None:
    import pickle

    contract = Contract("cursor", page_size=7)
    assert pickle.loads(pickle.dumps(contract)) == contract
    with pytest.raises(AttributeError):
        contract.page_size = 8  # type: ignore[misc]
    assert contract.replace(page_size=8).page_size == 8 and contract.page_size == 7


# --- one registry: the form, the validation and the dispatch derive from it ------------------------


def test_the_form_offers_every_registered_api_and_their_labelled_extras() -> None:
    fields = conn_fields()
    assert fields["api"]["schema"]["enum"] == list(registry.APIS)
    plan = [
        "country_code",
        "national_prefix",
        "international_prefix",
        "extension_digits",
        "extension_did_prefix",
    ]
    assert list(fields) == ["api", "tenant", "site", "path", "page_size", *plan, "verify"]
    assert fields["tenant"]["label"] == "Tenant" and "global tenant" in fields["tenant"]["description"]
    assert "(json, mediant-cli, cursor)" in fields["path"]["description"]
    assert fields["page_size"]["schema"] == {"type": ["integer", "null"], "minimum": 1}
    # The dial plan's extras are every API's, as text (a prefix "00" is not the number 0).
    assert fields["country_code"]["schema"] == {"type": ["string", "null"]}
    assert fields["country_code"]["label"] == "Dial plan: country code"


# --- tenant and site: extras of every device API, never sent to the device -------------------------


@pytest.mark.parametrize("api", list(registry.APIS))
def test_every_api_takes_a_tenant_and_a_site_empty_by_default(api: str) -> None:
    assert (Contract(api).tenant, Contract(api).site) == ("", "")
    contract = from_extras({"api": api, "tenant": "acme", "site": "Berlin HQ-2"}, "sbc1")
    assert (contract.tenant, contract.site) == ("acme", "Berlin HQ-2")


@pytest.mark.parametrize(
    ("extras", "message"),
    [
        ({"tenant": "Acme"}, "Connection 'sbc1': extra 'tenant' must be empty .* lower-case name"),
        ({"tenant": "ac me"}, "extra 'tenant' must be empty"),
        ({"tenant": 7}, "Connection 'sbc1': extra 'tenant' must be a non-empty text"),
        ({"site": "-berlin"}, "Connection 'sbc1': extra 'site' must be empty or a short name"),
        ({"site": "x" * 65}, "extra 'site' must be empty or a short name"),
        ({"site": "a;b"}, "extra 'site'"),
        ({"site": 3}, "extra 'site'"),
    ],
)
def test_a_bad_tenant_or_site_is_refused_naming_the_connection_and_extra(extras, message) -> None:
    with pytest.raises(SettingError, match=message):
        from_extras(extras, "sbc1")


def _echo_read(transport, *, on_page, on_restart=None) -> ReadResult:
    """A device API of one request: ``GET {path}`` answers the items of ``list_field``, each AOR once,
    every one registered (the bundled device's json list, read without paging)."""
    answer = transport.request(
        "GET", where=transport.where, params={"limit": 1000}, max_bytes=1 << 20, bound="max_page_bytes"
    )
    aors = [item["addressOfRecord"] for item in json.loads(answer.body)[transport.contract.list_field]]
    on_page([(aor, f"<sip:{aor}>") for aor in aors])
    return ReadResult(total=len(aors), items=len(aors), pages=1, restarts=0)


def _echo_probe(transport) -> ProbeResult:
    seen: list = []
    result = _echo_read(transport, on_page=seen.extend)
    return ProbeResult("echo", result.items, result.items, result.total, True)


ECHO = DeviceApi(
    name="echo",
    summary="echo: a test API",
    extras=(
        Extra("path", "/api/v1/registeredUsers", "the path", prefix="/", label="API path"),
        Extra("list_field", "registeredUsers", "the field", label="List field"),
    ),
    read=_echo_read,
    probe=_echo_probe,
)


def test_adding_a_device_api_is_one_registry_line(monkeypatch) -> None:
    """The recipe of the docs' *Development* page: declare a ``DeviceApi`` and add it to
    ``registry.APIS``; the form lists it and its labelled extras, its extras are validated, and a read
    and a probe reach it, with nothing else changed."""
    monkeypatch.setitem(registry.APIS, "echo", ECHO)
    conn_fields.cache_clear()  # the form is worked out once per process
    try:
        fields = conn_fields()
    finally:
        conn_fields.cache_clear()
    assert "echo" in fields["api"]["schema"]["enum"]
    assert fields["list_field"]["label"] == "List field"
    with pytest.raises(SettingError, match="extra 'list_field' must be a non-empty text"):
        from_extras({"api": "echo", "list_field": ""}, "sbc-echo")
    contract = from_extras({"api": "echo", "list_field": "registeredUsers", "retries": 0}, "sbc-echo")

    with DeviceServer("admin", "echo-Pw-1") as device:
        device.register_numbers(["1000", "1001"])
        session = requests.Session()
        session.auth = ("admin", "echo-Pw-1")
        seen: list = []
        result = device_client.read_registered_users(
            session, device.url, contract, on_page=seen.extend, on_restart=seen.clear
        )
        probed = device_client.probe(session, device.url, contract)

    assert result.total == 2 and sorted(aor.split("@")[0] for aor, _ in seen) == ["1000", "1001"]
    assert probed.describe() == "echo: 2 registered users (2 bindings) in the listing"
