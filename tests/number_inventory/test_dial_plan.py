"""A connection's dial plan (``number_inventory.dial_plan``): the spellings devices and the standards
document (RFC 3966 ``tel:`` URIs with ``;ext=``, RFC 3261 ``sip:...;user=phone``, national and
international forms with ``00`` and ``+``, separators) become one canonical form; hostile and invalid
ones are not numbers, skipped as ``alice`` is; every extra is checked, naming it."""

from __future__ import annotations

import re

import psycopg
import pytest

from number_inventory import dial_plan, store
from number_inventory.batches import NumberRange, ranges_between
from number_inventory.device_apis.contract import Contract
from number_inventory.numbers import NUMBER_PATTERN, aor_numbers, normalise_number
from number_inventory.settings import SettingError

GERMANY = dial_plan.from_values({"country_code": "49"}, "sbc_de")
USA = dial_plan.from_values({"country_code": "1"}, "sbc_us")
BERLIN_BLOCK = dial_plan.from_values(
    {"country_code": "49", "extension_digits": "2", "extension_did_prefix": "+4930123"}, "sbc_block"
)

# (AOR as a device prints it, its canonical number under the German plan)
GERMAN = [
    pytest.param("0301234567@10.8.5.71", "+49301234567", id="national"),
    pytest.param("+49301234567@10.8.5.71", "+49301234567", id="e164"),
    pytest.param("00493012345678", "+493012345678", id="international-00"),
    pytest.param("030 1234567", "+49301234567", id="national-spaces"),
    pytest.param("(030) 123-45-67", "+49301234567", id="national-parens-dashes"),
    pytest.param("+49 30 1234567", "+49301234567", id="e164-spaces"),
    pytest.param("sip:+49-30-1234567;user=phone@sbc.example", "+49301234567", id="sip-user-phone"),
    pytest.param("<sip:0301234567@10.8.5.71:5060>", "+49301234567", id="sip-national-brackets"),
    pytest.param("tel:+49-30-1234567", "+49301234567", id="tel"),
    pytest.param("%2B49301234567@host", "+49301234567", id="percent-2B"),
    pytest.param("0049 (30) 1234567", "+49301234567", id="00-parens"),
    pytest.param("1000@10.8.5.71", "1000", id="extension"),
    pytest.param("sip:200@host", "200", id="short-extension"),
    pytest.param("+12065551000@h", "+12065551000", id="foreign-e164"),
    pytest.param("0012065551000", "+12065551000", id="foreign-00"),
    pytest.param("tel:+1-206-555-1000;ext=524", "+12065551000;ext=524", id="tel-ext"),
    pytest.param("tel:+12065551000;EXT=5-24;phone-context=x", "+12065551000;ext=524", id="tel-ext-upper"),
    pytest.param("sip:+12065551000;ext=524@gw.example;user=phone", "+12065551000;ext=524", id="sip-ext"),
    pytest.param("tel:0301234567;ext=12", "+49301234567;ext=12", id="national-ext"),
    pytest.param("301234567", "+49301234567", id="national-without-prefix"),
]

NOT_NUMBERS_UNDER_A_PLAN = [
    pytest.param("alice@h", id="alice"),
    pytest.param("conf-room-3", id="conf-room-3"),
    pytest.param("", id="empty"),
    pytest.param("+4900000", id="invalid-e164"),
    pytest.param("0000000000", id="national-zeros"),
    pytest.param("+999123456789", id="no-such-country"),
    pytest.param("0049000", id="international-too-short"),
    pytest.param("+" + "9" * 32, id="too-long"),
    pytest.param("tel:+12065551000;ext=abc", id="ext-not-digits"),
    pytest.param("tel:+12065551000;ext=", id="ext-empty"),
    pytest.param("tel:+12065551000;ext=" + "1" * 17, id="ext-too-long"),
    pytest.param("tel:1000;ext=5", id="ext-of-an-extension"),
    pytest.param("sip:1000:secret@host", id="user-with-password"),
    pytest.param("++49301234567", id="double-plus"),
]


@pytest.mark.parametrize(("aor", "expected"), GERMAN)
def test_german_spellings_give_one_canonical_number(aor: str, expected: str) -> None:
    assert normalise_number(aor, GERMANY) == expected
    assert re.fullmatch(NUMBER_PATTERN, expected)


@pytest.mark.parametrize("aor", NOT_NUMBERS_UNDER_A_PLAN)
def test_invalid_numbers_are_not_numbers_under_a_plan(aor: str) -> None:
    assert normalise_number(aor, GERMANY) is None


def test_without_a_plan_numbers_are_read_as_before() -> None:
    """No dial plan is today's behaviour exactly: the device's spelling, an extension dropped."""
    aors = ["0301234567@h", "+49301234567", "tel:+12065551000;ext=524", "+4900000", "alice"]
    assert aor_numbers(aors) == ["0301234567", "+49301234567", "+12065551000", "+4900000", None]
    assert aor_numbers(aors, None) == aor_numbers(aors)


@pytest.mark.parametrize(
    ("aor", "expected"),
    [
        ("14155550100@h", "+14155550100"),  # national prefix 1
        ("+14155550100@h", "+14155550100"),
        ("4155550100", "+14155550100"),  # national significant number, no prefix
        ("1-415-555-0100", "+14155550100"),
        ("01149301234567", "+49301234567"),  # international prefix 011
        ("1000", "1000"),  # an extension, though it starts with the national prefix
        ("tel:+12065551000;ext=524", "+12065551000;ext=524"),
        ("0301234567", None),  # not a US number
    ],
)
def test_a_north_american_plan(aor: str, expected: str | None) -> None:
    assert normalise_number(aor, USA) == expected


def test_extensions_mapped_onto_a_did_block() -> None:
    aors = ["45@h", "sip:99@h", "0301234567", "+493012345", "123"]
    # 123 has more digits than an extension: a national number without its prefix, not valid here.
    assert aor_numbers(aors, BERLIN_BLOCK) == ["+493012345", "+493012399", "+49301234567", "+493012345", None]


def test_the_plan_keeps_the_page_order_and_the_missing() -> None:
    aors = [None, "alice", "0301234567", "1000", None, "tel:+12065551000;ext=524", "1000"]
    assert aor_numbers(aors, GERMANY) == [
        None,
        None,
        "+49301234567",
        "1000",
        None,
        "+12065551000;ext=524",
        "1000",
    ]


def test_each_distinct_number_is_worked_out_once() -> None:
    dial_plan.valid_e164.cache_clear()
    plan = dial_plan.from_values({"country_code": "49", "extension_digits": "5"}, "cache")
    aors = [f"0301234{n % 100:03d}@h" for n in range(10_000)]
    assert len(set(aor_numbers(aors, plan))) == 100
    assert dial_plan.valid_e164.cache_info().misses == 100


def test_describe_names_every_rule() -> None:
    assert GERMANY.describe() == (
        "country_code=49 national_prefix=0 international_prefix=00 extension_digits=6 extensions=kept"
    )
    assert "extensions=+4930123<ext>" in BERLIN_BLOCK.describe()
    italy = dial_plan.from_values({"country_code": "39"}, "it")
    assert italy.national_prefix == "" and italy.international_prefix == "00"  # Italy has no trunk prefix


# --- every extra checked, naming it -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extras", "named", "allowed"),
    [
        ({"country_code": "999"}, "country_code", "a country calling code that exists"),
        ({"country_code": 49}, "country_code", "as text"),
        ({"country_code": "4x"}, "country_code", "1 to 3 digits"),
        ({"country_code": "49", "national_prefix": "O"}, "national_prefix", "1 to 4 digits"),
        ({"country_code": "49", "national_prefix": 0}, "national_prefix", "as text"),
        ({"country_code": "49", "international_prefix": "0-0"}, "international_prefix", "1 to 4 digits"),
        ({"country_code": "49", "extension_digits": "four"}, "extension_digits", "a whole number"),
        ({"country_code": "49", "extension_digits": "13"}, "extension_digits", "from 0"),
        ({"country_code": "49", "extension_did_prefix": "4930123"}, "extension_did_prefix", "'+' and digits"),
        ({"country_code": "49", "extension_did_prefix": "+1206555"}, "extension_did_prefix", "+49"),
        ({"national_prefix": "0"}, "national_prefix", "needs the extra 'country_code'"),
    ],
)
def test_a_bad_dial_plan_extra_is_refused_naming_it(extras: dict, named: str, allowed: str) -> None:
    with pytest.raises(SettingError) as info:
        dial_plan.from_values(extras, "sbc_de")
    message = str(info.value)
    assert message.startswith("Connection 'sbc_de': extra ") and repr(named) in message
    assert allowed in message
    # The connection's contract refuses it the same way, whatever the API.
    for api in ("json", "mediant-cli", "cursor"):
        with pytest.raises(SettingError, match=re.escape(repr(named))):
            Contract.from_extras({"api": api, **extras}, "sbc_de")


def test_a_dial_plan_is_every_apis_extra() -> None:
    for api in ("json", "mediant-cli", "cursor"):
        contract = Contract.from_extras({"api": api, "country_code": "49", "national_prefix": "none"}, "c")
        plan = dial_plan.from_values(contract.values(), "c")
        assert plan.country_code == "49" and plan.national_prefix == ""
        assert dial_plan.from_values(Contract.from_extras({"api": api}, "c").values(), "c") is None


# --- the canonical form in the table and in number ranges ------------------------------------------


@pytest.mark.parametrize(
    ("number", "allowed"),
    [
        ("+12065551000;ext=524", True),
        ("+12065551000;ext=" + "9" * 16, True),
        ("1000", True),
        ("+14155550100", True),
        ("1000;ext=5", False),
        ("+12065551000;ext=", False),
        ("+12065551000;ext=" + "9" * 17, False),
        ("+12065551000;EXT=524", False),
        ("+12065551000;ext=5;ext=6", False),
        ("+1206 5551000", False),
    ],
)
def test_the_tables_check_is_the_number_pattern(db: psycopg.Connection, number: str, allowed: bool) -> None:
    assert (re.fullmatch(NUMBER_PATTERN, number) is not None) is allowed
    if allowed:
        db.execute("INSERT INTO number_inventory (number, status) VALUES (%s, 'Available')", (number,))
    else:
        with pytest.raises(psycopg.errors.CheckViolation):
            db.execute("INSERT INTO number_inventory (number, status) VALUES (%s, 'Available')", (number,))


EXT_NUMBERS = [
    "12065551000",
    "+12065551000",
    "+12065551000;ext=524",
    "+12065551000;ext=6",
    "+120655510001",
    "1000",
]


@pytest.mark.parametrize(
    "cuts",
    [
        [],
        ["12065551000"],
        ["12065551000;ext=5"],
        ["12065551000;ext=524"],
        ["120655510001"],
        ["12065551000;", "12065551000;ext=6", "2"],
        ["1", "12065551000;ext=524", "12065551000;ext=7"],
    ],
)
def test_a_number_with_an_extension_falls_in_exactly_one_range(
    db: psycopg.Connection, cuts: list[str]
) -> None:
    """Ranges split by range key, in the "C" collation (';' sorts after the digits): the SQL side
    and :meth:`NumberRange.contains` put a number with ``;ext=`` in one range, the same one."""
    import pandas as pd

    for number in EXT_NUMBERS:
        db.execute("INSERT INTO number_inventory (number, status) VALUES (%s, 'Available')", (number,))
    ranges = ranges_between(cuts)
    in_sql = [set(store.load_inventory(db, r)["number"]) for r in ranges]
    in_python = [set(pd.Series(EXT_NUMBERS)[r.contains(pd.Series(EXT_NUMBERS))]) for r in ranges]
    assert in_sql == in_python
    assert sorted(n for found in in_sql for n in found) == sorted(EXT_NUMBERS)
    assert NumberRange().contains(pd.Series(EXT_NUMBERS)).all()


def test_a_number_of_the_plans_country_is_checked_as_parsing_checks_it() -> None:
    """The shortcut for the plan's own country code (no parsing) gives libphonenumber's answer, and a
    '+' spelling that parsing would forgive (``+1 1 415...``, a trunk prefix after the country code)
    is not E.164, so not a number, either way."""
    import random

    rng = random.Random(25)
    for code in ("49", "44", "33", "39", "1", "7", "86", "61", "380"):
        for _ in range(300):
            e164 = f"+{code}{rng.randint(10**6, 10**11)}"
            dial_plan.valid_e164.cache_clear()
            assert dial_plan.valid_e164(e164, code) == dial_plan.valid_e164(e164), e164
    assert dial_plan.valid_e164("+14155550100", "1") and not dial_plan.valid_e164("+114155550100", "1")
    assert not dial_plan.valid_e164("+114155550100")
    assert dial_plan.valid_e164("+390612345678", "39")  # Italy's leading zero


def test_the_compiled_patterns_answer_as_libphonenumber_in_every_region() -> None:
    """For every region, numbers near its example numbers of each type (valid and not): the check
    from the compiled patterns gives libphonenumber's ``is_valid_number`` (a code shared by several
    regions, such as 1, included)."""
    import random

    import phonenumbers
    from phonenumbers import PhoneNumberType

    rng = random.Random(2511)
    checked = valid = 0
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        code = phonenumbers.country_code_for_region(region)
        for kind in (PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE, PhoneNumberType.TOLL_FREE):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is None:
                continue
            national = phonenumbers.national_significant_number(example)
            for _ in range(5):
                cut = rng.randint(1, 3)
                near = national[:-cut] + "".join(rng.choice("0123456789") for _ in range(cut))
                near = near[: len(near) + rng.choice((0, 0, -1, 1))]
                if not near or near[0] == "0":
                    continue
                number = phonenumbers.PhoneNumber(country_code=code, national_number=int(near))
                expected = phonenumbers.is_valid_number(number)
                assert dial_plan.valid_e164(f"+{code}{near}", str(code)) is expected, (region, near)
                checked, valid = checked + 1, valid + expected
    assert checked > 2000 and 0.3 < valid / checked < 0.95


def test_a_host_named_ext_is_no_extension() -> None:
    aors = ["0301234567@ext.example.net", "sip:1000@sbc-ext;transport=udp", "tel:+12065551000;ext=9"]
    assert aor_numbers(aors, GERMANY) == ["+49301234567", "1000", "+12065551000;ext=9"]
    assert aor_numbers(aors[:2], GERMANY) == ["+49301234567", "1000"]
