"""The manual actions' rules as pure functions: the form's checks, each action and each refusal."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from number_inventory import actions
from number_inventory.action_form import MAX_NUMBERS
from number_inventory.actions import (
    ActionError,
    ActionRequest,
    parse_numbers,
    parse_request,
    plan_action,
)

DAY = dt.date(2026, 11, 4)
TAG = "Cooling: 1 day(s) until release on 2026-11-05"

# number: (status, usage, vendor, tag, release_date)
ROWS = {
    "1000": ("Cooling", "Device", "AudioCodes", TAG, "2026-11-05"),  # ours, cooling, not registered
    "1001": ("Cooling", "Device", "AudioCodes", TAG, "2026-11-05"),  # ours, cooling, registered
    "1002": ("Available", "", "", "", ""),
    "1003": ("Available", "", "", "", ""),  # registered (the next sync takes it)
    "1004": ("Reserved", "", "", "CEO", ""),
    "1005": ("Reserved", "", "", "", ""),  # registered: a conflict the audit reports
    "1006": ("Cooling", "Device", "Microsoft", "", "2026-12-01"),  # another vendor's cooling
    "1007": ("Used", "Device", "AudioCodes", "", ""),  # registered
    "1008": ("Used-Utility", "", "", "", ""),
}
REGISTERED = {"1001": ["audiocodes_a"], "1003": ["audiocodes_b"], "1005": ["audiocodes_a", "audiocodes_b"]}
REGISTERED["1007"] = ["audiocodes_a"]


def inventory(numbers=ROWS) -> pd.DataFrame:
    frame = pd.DataFrame(
        [(n, *values) for n, values in numbers.items()],
        columns=["number", "status", "usage", "vendor", "tag", "release_date"],
    )
    return frame.astype("string")


def plan(action: str, numbers: list[str], days: int | None = None, registered=REGISTERED):
    request = parse_request(action, numbers, days, "ticket INC-42")
    return plan_action(request, inventory(), registered, DAY)


def after(result, number: str) -> tuple:
    change = result.changes.set_index("number").loc[number]
    return tuple(change[f] for f in ("status", "usage", "vendor", "tag", "release_date"))


def refusals(result) -> dict[str, str]:
    return dict(zip(result.refusals["number"], result.refusals["why"], strict=True))


# --- the form -----------------------------------------------------------------------------------


def test_numbers_are_normalised_split_and_kept_once_in_order():
    numbers, bad = parse_numbers(["+1 415-555 0100", "1000, 1001;1002", "", "  ", "tel:+14155550100", 1003])
    assert numbers == ["+14155550100", "1000", "1001", "1002", "1003"]
    assert bad == []
    assert parse_numbers("1000\n1001\r\n+49 30 555-0123") == (["1000", "1001", "+49305550123"], [])


def test_entries_that_are_not_numbers_are_named():
    with pytest.raises(ActionError) as refused:
        parse_request("reserve", ["1000", "alice", "12ab"], None, "ticket INC-42")
    assert "'alice'" in str(refused.value) and "'12ab'" in str(refused.value)


@pytest.mark.parametrize(
    ("form", "message"),
    [
        (("wipe", ["1000"], None, "ticket INC-42"), "Parameter 'action' must be one of release_now"),
        (("reserve", [], None, "ticket INC-42"), "Parameter 'numbers' is empty"),
        (("reserve", ["", " "], None, "ticket INC-42"), "Parameter 'numbers' is empty"),
        (("reserve", ["1000"], None, ""), "Parameter 'reason' is required"),
        (("reserve", ["1000"], None, "   x   "), "Parameter 'reason' is required"),
        (("reserve", ["1000"], None, None), "Parameter 'reason' is required"),
        (("extend_cooling", ["1000"], None, "ticket INC-42"), "Parameter 'days' must be a whole number"),
        (("extend_cooling", ["1000"], 1000, "ticket INC-42"), "from 0 to 999"),
        (("extend_cooling", ["1000"], -1, "ticket INC-42"), "from 0 to 999"),
        (("extend_cooling", ["1000"], True, "ticket INC-42"), "from 0 to 999"),
    ],
    ids=["unknown-action", "no-numbers", "blank-numbers", "no-reason", "short-reason", "null-reason",
         "days-missing", "days-too-many", "days-negative", "days-boolean"],
)  # fmt: skip
def test_bad_forms_are_refused_naming_the_parameter(form, message):
    with pytest.raises(ActionError, match=message):
        parse_request(*form)


def test_at_most_the_limit_of_numbers_per_run():
    numbers = [str(1_000_000 + i) for i in range(MAX_NUMBERS)]
    assert len(parse_request("reserve", numbers, None, "ticket INC-42").numbers) == MAX_NUMBERS
    with pytest.raises(ActionError, match=f"holds {MAX_NUMBERS + 1:,} numbers; at most {MAX_NUMBERS:,}"):
        parse_request("reserve", [*numbers, "999"], None, "ticket INC-42")


def test_a_request_built_in_code_keeps_the_limit_too():
    # pipeline.manual_action takes a request, not a form: the limit holds for every caller.
    numbers = tuple(str(1_000_000 + i) for i in range(MAX_NUMBERS + 1))
    with pytest.raises(ActionError, match=f"{MAX_NUMBERS + 1:,} numbers; at most {MAX_NUMBERS:,}"):
        ActionRequest("reserve", numbers, None, "ticket INC-42")
    assert len(ActionRequest("reserve", numbers[:MAX_NUMBERS], None, "ticket INC-42").numbers) == MAX_NUMBERS


def test_days_are_only_read_for_extend_cooling():
    assert parse_request("reserve", ["1000"], "whatever", "ticket INC-42").days is None
    assert parse_request("extend_cooling", ["1000"], "7", "ticket INC-42").days == 7
    assert parse_request("extend_cooling", ["1000"], 0, "ticket INC-42").days == 0


# --- each action --------------------------------------------------------------------------------


def test_release_now_frees_our_cooling_number():
    result = plan("release_now", ["1000"])
    assert after(result, "1000") == ("Available", "", "", "", "")
    assert result.changes["reason"].tolist() == ["manual_release_now"]
    assert result.changes["before_status"].tolist() == ["Cooling"]
    assert result.refusals.empty and result.unchanged.empty


def test_extend_cooling_sets_the_release_date_from_the_run_day_and_recounts_the_tag():
    result = plan("extend_cooling", ["1000", "1001"], days=30)
    for number in ("1000", "1001"):  # registered or not: extending frees nothing
        assert after(result, number) == (
            "Cooling",
            "Device",
            "AudioCodes",
            "Cooling: 30 day(s) until release on 2026-12-04",
            "2026-12-04",
        )
    shortened = plan("extend_cooling", ["1000"], days=0)
    assert after(shortened, "1000")[3:] == ("Cooling: 0 day(s) until release on 2026-11-04", "2026-11-04")


def test_extend_cooling_to_the_same_day_changes_nothing():
    result = plan("extend_cooling", ["1000"], days=1)  # 2026-11-05 with the same Tag already
    assert result.changes.empty
    assert result.unchanged["number"].tolist() == ["1000"]


def test_cancel_cooling_puts_a_registered_number_back_in_use():
    result = plan("cancel_cooling", ["1001"])
    assert after(result, "1001") == ("Used", "Device", "AudioCodes", "", "")
    assert result.changes["reason"].tolist() == ["manual_cancel_cooling"]


def test_reserve_and_unreserve_move_between_available_and_reserved_keeping_the_tag():
    assert after(plan("reserve", ["1002"]), "1002") == ("Reserved", "", "", "", "")
    assert after(plan("unreserve", ["1004"]), "1004") == ("Available", "", "", "CEO", "")


@pytest.mark.parametrize(
    ("action", "number", "status"),
    [
        ("release_now", "1002", "Available"),
        ("cancel_cooling", "1007", "Used"),
        ("reserve", "1004", "Reserved"),
        ("unreserve", "1002", "Available"),
        ("release_now", "1003", "Available"),  # registered, but already Available: nothing to refuse
    ],
)
def test_a_number_already_where_the_action_leads_is_left_alone(action, number, status):
    result = plan(action, [number])
    assert result.changes.empty and result.refusals.empty
    assert result.unchanged.to_dict("records") == [{"number": number, "status": status}]


# --- each refusal -------------------------------------------------------------------------------


@pytest.mark.parametrize("action", list(actions.ACTIONS))
def test_a_number_not_in_the_inventory_is_refused(action):
    assert refusals(plan(action, ["+14155550100"], days=3)) == {"+14155550100": "not in the inventory"}


@pytest.mark.parametrize(
    ("action", "number", "why"),
    [
        ("release_now", "1007", "it is Used / Device / AudioCodes, not Cooling"),
        ("release_now", "1004", "it is Reserved, not Cooling"),
        ("extend_cooling", "1002", "it is Available, not Cooling"),
        ("cancel_cooling", "1008", "it is Used-Utility, not Cooling"),
        ("reserve", "1000", "it is Cooling / Device / AudioCodes, not Available"),
        ("reserve", "1008", "it is Used-Utility, not Available"),
        ("unreserve", "1007", "it is Used / Device / AudioCodes, not Reserved"),
    ],
)
def test_a_number_in_another_state_is_refused(action, number, why):
    assert refusals(plan(action, [number], days=3)) == {number: why}


@pytest.mark.parametrize("action", ["release_now", "extend_cooling", "cancel_cooling"])
def test_another_vendors_cooling_number_is_refused(action):
    assert refusals(plan(action, ["1006"], days=3, registered={"1006": ["audiocodes_a"]})) == {
        "1006": "another vendor's number (Microsoft): its cooling is not the pipeline's"
    }


@pytest.mark.parametrize(
    ("action", "number", "why"),
    [
        (
            "release_now",
            "1001",
            "a device registers it (on audiocodes_a): releasing it would free a number in use",
        ),
        (
            "reserve",
            "1003",
            "a device registers it (on audiocodes_b): reserving it would hand out a number in use",
        ),
        (
            "unreserve",
            "1005",
            "a device registers it (on audiocodes_a, audiocodes_b): unreserving it would free a number in use",
        ),
    ],
)
def test_a_number_a_device_registers_is_never_freed_or_handed_out(action, number, why):
    result = plan(action, [number])
    assert refusals(result) == {number: why}
    assert result.changes.empty


def test_cancel_cooling_of_a_number_no_device_registers_is_refused():
    assert refusals(plan("cancel_cooling", ["1000"])) == {
        "1000": "no device registers it: the next sync would only cool it again"
    }


def test_every_number_that_cannot_take_the_action_is_named_in_the_order_typed():
    result = plan("release_now", ["1000", "1001", "555", "1006", "1002", "1007"])
    assert result.refusal_lines() == [
        "1001: a device registers it (on audiocodes_a): releasing it would free a number in use",
        "555: not in the inventory",
        "1006: another vendor's number (Microsoft): its cooling is not the pipeline's",
        "1007: it is Used / Device / AudioCodes, not Cooling",
    ]
    # The plan still says what the rest would do; the caller writes none of it.
    assert result.changes["number"].tolist() == ["1000"]
    assert result.counts() == {"changed": 1, "unchanged": 1, "refused": 4}


def test_registrations_by_number_groups_connections():
    pairs = [("1000", "b"), ("1001", "a"), ("1000", "a")]
    assert actions.registrations_by_number(pairs) == {"1000": ["a", "b"], "1001": ["a"]}
