"""Unit tests of AOR normalisation and binding status (``number_inventory.numbers``)."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from number_inventory.numbers import (
    NUMBER_PATTERN,
    aor_numbers,
    binding_active,
    contacts_active,
    normalise_aors,
    normalise_number,
)

# (AOR as a device reports it, normalised inventory number)
NUMBERS = [
    pytest.param("1000@10.8.5.71", "1000", id="plain-user@ip"),
    pytest.param("1000", "1000", id="bare-digits"),
    pytest.param("+14155550100", "+14155550100", id="e164"),
    pytest.param("sip:+1-415-555-0100;user=phone@host", "+14155550100", id="sip-dashes-user-phone"),
    pytest.param("tel:+14155550100", "+14155550100", id="tel-uri"),
    pytest.param("tel:+1-415-555-0100", "+14155550100", id="tel-uri-dashes"),
    pytest.param("<sip:2000@h>", "2000", id="angle-brackets"),
    pytest.param("<sip:2000>", "2000", id="angle-brackets-no-host"),
    pytest.param("<1000@h>", "1000", id="angle-brackets-no-scheme"),
    pytest.param("<tel:+14155550100>", "+14155550100", id="angle-tel"),
    pytest.param("SIP:3000@Host", "3000", id="scheme-upper-case"),
    pytest.param("sips:4000@host:5061", "4000", id="sips-with-port"),
    pytest.param("%2B14155550100@host", "+14155550100", id="percent-2B"),
    pytest.param("sip:%2b4930123456@host", "+4930123456", id="percent-2b-lower-with-scheme"),
    pytest.param("sip:+1 (415) 555.0100@host", "+14155550100", id="spaces-parens-dots"),
    pytest.param("  sip:5000@host", "5000", id="leading-whitespace"),
    pytest.param("sip:6000@host;transport=udp", "6000", id="host-params"),
    pytest.param("1" * 32, "1" * 32, id="32-digits-is-the-limit"),
    pytest.param("+" + "9" * 32, "+" + "9" * 32, id="plus-32-digits"),
]

NOT_NUMBERS = [
    pytest.param("alice", id="alice"),
    pytest.param("alice@10.8.5.71", id="alice@ip"),
    pytest.param("sip:alice@host", id="sip-alice"),
    pytest.param("conf-room-3", id="conf-room-3"),
    pytest.param("conf-room-3@host", id="conf-room-3@host"),
    pytest.param("", id="empty"),
    pytest.param("   ", id="blank"),
    pytest.param("@host", id="empty-user-part"),
    pytest.param("++1", id="double-plus"),
    pytest.param("1+2", id="inner-plus"),
    pytest.param("+", id="plus-only"),
    pytest.param("1" * 33, id="33-digits"),
    pytest.param("4" * 64 + "@host", id="64-digits"),
    pytest.param("sip:1000:secret@host", id="user-with-password"),
    pytest.param("tel:", id="scheme-only"),
]


@pytest.mark.parametrize(("aor", "expected"), NUMBERS)
def test_normalise_number_spellings(aor: str, expected: str) -> None:
    assert normalise_number(aor) == expected


@pytest.mark.parametrize("aor", NOT_NUMBERS)
def test_normalise_number_rejects_non_numbers(aor: str) -> None:
    assert normalise_number(aor) is None


def test_normalise_aors_vectorised_keeps_order_and_index() -> None:
    aors = pd.Series(
        ["1000@10.8.5.71", "alice", "tel:+14155550100", None, "sip:+1-415-555-0100;user=phone@host", "1+2"],
        index=[10, 11, 12, 13, 14, 15],
        dtype="string",
    )
    result = normalise_aors(aors)
    assert list(result.index) == [10, 11, 12, 13, 14, 15]
    assert result.isna().tolist() == [False, True, False, True, False, True]
    assert result.dropna().tolist() == ["1000", "+14155550100", "+14155550100"]


def test_normalise_aors_accepts_object_dtype() -> None:
    result = normalise_aors(pd.Series(["2000@h", "conf-room-3"], dtype=object))
    assert result.iloc[0] == "2000"
    assert pd.isna(result.iloc[1])


def test_normalise_aors_empty_series() -> None:
    assert len(normalise_aors(pd.Series([], dtype="string"))) == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1000", True),
        ("+14155550100", True),
        ("1" * 32, True),
        ("1" * 33, False),
        ("1-2", False),
        ("", False),
    ],
)
def test_number_pattern(text: str, expected: bool) -> None:
    # The pattern every inventory number matches (the table's check, ``numbers.NUMBER_PATTERN``).
    assert (re.fullmatch(NUMBER_PATTERN, text) is not None) is expected


@pytest.mark.parametrize(
    ("contact", "expected"),
    [
        pytest.param("<sip:1000@10.8.5.71:5060>;expires=180; Active status:1", True, id="status-1"),
        pytest.param("<sip:1000@10.8.5.71:5060>;expires=180; Active status:0", False, id="status-0"),
        pytest.param("<sip:1000@10.8.5.71:5060>;expires=180", True, id="no-status-is-plain-binding"),
        pytest.param("<sip:1000@h>; Active STATUS : 1", True, id="upper-case-and-spaces-1"),
        pytest.param("<sip:1000@h>; Status :0", False, id="mixed-case-and-spaces-0"),
        pytest.param("<sip:1000@h>; status:2", False, id="status-2"),
        pytest.param("<sip:1000@h>; status:10", False, id="status-10-not-1"),
        pytest.param("", True, id="empty-contact"),
    ],
)
def test_binding_active(contact: str, expected: bool) -> None:
    result = binding_active(pd.Series([contact], dtype="string"))
    assert result.dtype == bool
    assert result.tolist() == [expected]


def test_binding_active_vectorised_keeps_index() -> None:
    contacts = pd.Series(["a; status:1", "b; status:0", "c", "d; STATUS : 1"], index=list("wxyz"))
    result = binding_active(contacts)
    assert result.to_dict() == {"w": True, "x": False, "y": True, "z": True}


def test_plain_sequences_give_what_the_series_give() -> None:
    """The list forms a read's pages go through agree with the Series forms, missing values
    included (a missing contact is a plain binding; a missing AOR has no number)."""
    aors = ["1000@h", "sip:+1-415-555-0100;user=phone@h", "alice@h", None, ""]
    contacts = ["a; status:1", "b; status:0", None, "ü; Status:1", ""]
    assert aor_numbers(aors) == ["1000", "+14155550100", None, None, None]
    series = normalise_aors(pd.Series(aors, dtype="string"))
    assert aor_numbers(aors) == series.to_numpy(dtype=object, na_value=None).tolist()
    assert contacts_active(contacts) == [True, False, True, True, True]
    assert contacts_active(contacts) == binding_active(pd.Series(contacts, dtype="string")).tolist()
