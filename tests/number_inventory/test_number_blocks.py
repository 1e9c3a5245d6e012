"""The block actions' forms (``number_blocks``), without a database: ranges keep their width and
spelling, lists and CSVs are normalised, and every bad field is named."""

from __future__ import annotations

import pytest

from number_inventory.action_form import MAX_BLOCK
from number_inventory.number_blocks import BlockError, expand_range, named, parse_block_request

REASON = "ticket CHG-1: test"


def form(action="add_numbers", **fields):
    return parse_block_request({"action": action, "reason": REASON, **fields})


def test_a_range_keeps_its_leading_zeros_and_plus():
    assert expand_range("0100", "0103", None) == ["0100", "0101", "0102", "0103"]
    assert expand_range("+49 30 123-000", None, 3) == ["+4930123000", "+4930123001", "+4930123002"]
    assert len(expand_range("+4930000000", None, MAX_BLOCK)) == MAX_BLOCK


def test_a_range_of_exactly_the_last_numbers_of_its_width_is_allowed():
    assert expand_range("9998", None, 2) == ["9998", "9999"]
    with pytest.raises(BlockError, match="runs past the last 4-digit number"):
        expand_range("9998", None, 3)


def test_a_list_is_normalised_once_each_with_the_forms_site_and_label():
    request = form(numbers=["+1 415 555 0100", "+14155550100; 1000"], site=" sfo ", label="lab")
    assert list(request.numbers) == ["+14155550100", "1000"]
    assert list(request.rows()) == [
        ("+14155550100", "Available", "sfo", "lab"),
        ("1000", "Available", "sfo", "lab"),
    ]
    assert request.reason == "manual_add_numbers" and request.tenant == ""


def test_every_bad_field_is_named_at_once():
    with pytest.raises(BlockError) as refused:
        parse_block_request(
            {
                "action": "add_numbers",
                "reason": "x",
                "tenant": "A!",
                "site": "x" * 201,
                "first": "1000",
                "count": 0,
            }
        )
    message = str(refused.value)
    for part in (
        "Parameter 'reason' is required",
        "Parameter 'tenant'",
        "Parameter 'site'",
        "Parameter 'count'",
    ):
        assert part in message


def test_an_import_takes_its_columns_in_any_order_and_names_bad_lines():
    request = form(
        "import_numbers",
        csv="\ufeffLabel;x\n".replace(";x", ",number,STATUS")
        + "a,1000,\nb,1001,RESERVED\n,1000,\n,1002,Used\n\n",
        label="default",
    )
    assert list(request.rows()) == [("1000", "Available", None, "a"), ("1001", "Reserved", None, "b")]
    assert list(request.refusals) == [
        "line 4: 1000 is also on line 2",
        "line 5: 1002: status 'Used'; an import adds numbers as Available or Reserved only",
    ]


def test_named_lists_the_first_twenty_and_how_many_more():
    assert named([str(n) for n in range(3)]) == "0, 1, 2"
    assert named([str(n) for n in range(20)], 25).endswith("19 … and 5 more")


def test_a_csv_too_long_for_the_form_is_sent_to_csv_path():
    from number_inventory.action_form import MAX_CSV_TEXT

    with pytest.raises(BlockError, match="give a bigger file as Parameter 'csv_path'"):
        form("import_numbers", csv="number\n" + "1000\n" * (MAX_CSV_TEXT // 5))
