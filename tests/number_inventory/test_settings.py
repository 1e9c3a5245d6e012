"""Unit tests of operator settings validation (``number_inventory.settings``)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from number_inventory import settings
from number_inventory.settings import (
    MAX_CONNECTIONS,
    MassRemovalGuard,
    SettingError,
    connection_ids,
    cooling_days,
    flag,
    mass_removal_guard,
    timezone,
)

# --- audiocodes_cooling_duration -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("0", 0, id="zero"),
        pytest.param("2", 2, id="two"),
        pytest.param("999", 999, id="max"),
        pytest.param(2, 2, id="int"),
        pytest.param(0, 0, id="int-zero"),
        pytest.param(None, 2, id="none-is-default"),
        pytest.param(" 7 ", 7, id="surrounding-spaces"),
        pytest.param("007", 7, id="leading-zeros"),
    ],
)
def test_cooling_days_accepts(value: Any, expected: int) -> None:
    result = cooling_days(value)
    assert result == expected
    assert type(result) is int


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("abc", id="letters"),
        pytest.param("-1", id="negative-text"),
        pytest.param(-1, id="negative-int"),
        pytest.param("2.5", id="fraction"),
        pytest.param(2.0, id="float"),
        pytest.param("1000", id="too-large"),
        pytest.param(1000, id="too-large-int"),
        pytest.param("", id="empty"),
        pytest.param(" ", id="blank"),
        pytest.param(True, id="bool-true"),
        pytest.param(False, id="bool-false"),
        pytest.param("+2", id="plus-sign"),
        pytest.param("2 days", id="with-unit"),
        pytest.param("٣", id="non-ascii-digit"),
    ],
)
def test_cooling_days_rejects(value: Any) -> None:
    with pytest.raises(SettingError, match="audiocodes_cooling_duration") as info:
        cooling_days(value)
    assert repr(value) in str(info.value)


# --- audiocodes_connections ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(None, ("audiocodes_default",), id="none-is-default"),
        pytest.param('["audiocodes_default"]', ("audiocodes_default",), id="one"),
        pytest.param('["sbc-1", "arm.east", "SBC_2"]', ("sbc-1", "arm.east", "SBC_2"), id="several-in-order"),
        pytest.param(["a", "b"], ("a", "b"), id="python-list"),
    ],
)
def test_connection_ids_accepts(value: Any, expected: tuple[str, ...]) -> None:
    assert connection_ids(value) == expected


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        pytest.param("audiocodes_default", "not JSON", id="bare-word-not-json"),
        pytest.param("['a']", "not JSON", id="single-quotes-not-json"),
        pytest.param("", "not JSON", id="empty-not-json"),
        pytest.param('{"a": 1}', "JSON list", id="object-not-list"),
        pytest.param('"audiocodes_default"', "JSON list", id="string-not-list"),
        pytest.param("42", "JSON list", id="number-not-list"),
        pytest.param('["a", 1]', "JSON list", id="non-string-item"),
        pytest.param('["bad id"]', "JSON list", id="space-in-id"),
        pytest.param('["a/b"]', "JSON list", id="slash-in-id"),
        pytest.param('[""]', "JSON list", id="empty-id"),
        pytest.param(json.dumps(["x" * 251]), "JSON list", id="id-too-long"),
        pytest.param('["sbc1", "sbc2", "sbc1"]', "twice", id="duplicate"),
        pytest.param("[]", "at least one connection", id="empty-list-would-cool-everything"),
    ],
)
def test_connection_ids_rejects(value: Any, fragment: str) -> None:
    with pytest.raises(SettingError, match="audiocodes_connections") as info:
        connection_ids(value)
    assert fragment in str(info.value)


def test_connection_ids_up_to_the_limit_are_accepted() -> None:
    ids = [f"sbc{i}" for i in range(MAX_CONNECTIONS)]
    assert connection_ids(json.dumps(ids)) == tuple(ids)
    assert connection_ids(json.dumps(ids[:10]), limit=10) == tuple(ids[:10])


def test_more_connection_ids_than_airflow_can_map_are_refused() -> None:
    # 1,025 ids used to pass here and fail only after the reads were mapped, with Airflow's
    # "pushed value is too large to map as a downstream's dependency".
    assert MAX_CONNECTIONS == 1024  # Airflow's default [core] max_map_length
    with pytest.raises(SettingError, match="audiocodes_connections") as info:
        connection_ids(json.dumps([f"sbc{i}" for i in range(MAX_CONNECTIONS + 1)]))
    assert "1025 connection ids" in str(info.value) and "at most 1024" in str(info.value)
    assert "max_map_length" in str(info.value)
    with pytest.raises(SettingError, match="at most 10 "):
        connection_ids(json.dumps([f"sbc{i}" for i in range(11)]), limit=10)


# --- number_inventory_timezone ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "UTC"),
        ("", "UTC"),
        ("UTC", "UTC"),
        ("Europe/Berlin", "Europe/Berlin"),
        ("Asia/Tokyo", "Asia/Tokyo"),
    ],
)
def test_timezone_accepts(value: Any, expected: str) -> None:
    assert timezone(value) == expected


@pytest.mark.parametrize(
    "value", ["Mars/Olympus_Mons", "not a zone", "../../etc/passwd", "/etc/localtime", 5]
)
def test_timezone_rejects(value: Any) -> None:
    with pytest.raises(SettingError, match="number_inventory_timezone"):
        timezone(value)


@pytest.mark.parametrize(
    "value",
    ["localtime", "posixrules", "Factory", "posix/Europe/Berlin", "right/UTC", "posix/UTC", " UTC", "utc"],
)
def test_timezone_refuses_names_browsers_do_not_know(value: Any) -> None:
    # Python's zoneinfo opens these (files of the system's zone directory), the view's browser does not.
    with pytest.raises(SettingError, match="number_inventory_timezone") as info:
        timezone(value)
    assert "IANA time zone" in str(info.value)


@pytest.mark.parametrize(
    "value", ["Etc/UTC", "US/Eastern", "Asia/Calcutta", "America/Argentina/Buenos_Aires"]
)
def test_timezone_accepts_iana_links_and_deep_names(value: str) -> None:
    assert timezone(value) == value


# --- audiocodes_mass_removal_guard -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(None, MassRemovalGuard(0.5, 100), id="none-is-default"),
        pytest.param("", MassRemovalGuard(0.5, 100), id="empty-is-default"),
        pytest.param('{"max_share": 0.25, "min_numbers": 10}', MassRemovalGuard(0.25, 10), id="both"),
        pytest.param('{"min_numbers": 0}', MassRemovalGuard(0.5, 0), id="only-min"),
        pytest.param('{"max_share": 1}', MassRemovalGuard(1, 100), id="share-one-int"),
        pytest.param({"max_share": 0, "min_numbers": 5}, MassRemovalGuard(0, 5), id="dict"),
    ],
)
def test_mass_removal_guard_accepts(value: Any, expected: MassRemovalGuard) -> None:
    assert mass_removal_guard(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("not json", id="not-json"),
        pytest.param("[0.5, 100]", id="list"),
        pytest.param("null", id="null"),
        pytest.param('{"max_share": 1.5}', id="share-above-one"),
        pytest.param('{"max_share": -0.1}', id="share-negative"),
        pytest.param('{"max_share": "0.5"}', id="share-text"),
        pytest.param('{"max_share": NaN}', id="share-nan"),
        pytest.param('{"min_numbers": -1}', id="min-negative"),
        pytest.param('{"min_numbers": 2.5}', id="min-fraction"),
        pytest.param('{"min_numbers": true}', id="min-bool"),
        pytest.param('{"min_numbers": "100"}', id="min-text"),
        pytest.param('{"max_share": 0.5, "unknown": 1}', id="unknown-key"),
        pytest.param('{"max_share": true}', id="share-bool"),
        pytest.param('{"max_share": false}', id="share-bool-false"),
        pytest.param('{"max_share": Infinity}', id="share-infinity"),
        pytest.param('{"min_numbers": 1e999}', id="min-infinity"),
    ],
)
def test_mass_removal_guard_rejects(value: Any) -> None:
    with pytest.raises(SettingError, match="audiocodes_mass_removal_guard"):
        mass_removal_guard(value)


@pytest.mark.parametrize(
    ("guard", "previous", "removed", "expected"),
    [
        pytest.param(MassRemovalGuard(), 1000, 501, True, id="over-half-and-over-min"),
        pytest.param(MassRemovalGuard(), 1000, 500, False, id="exactly-half-is-fine"),
        pytest.param(MassRemovalGuard(), 150, 100, True, id="exactly-min-and-over-half"),
        pytest.param(MassRemovalGuard(), 150, 99, False, id="below-min"),
        pytest.param(MassRemovalGuard(), 100, 100, True, id="everything-removed"),
        pytest.param(MassRemovalGuard(), 0, 0, False, id="nothing"),
        pytest.param(MassRemovalGuard(0.1, 0), 10, 2, True, id="strict-guard"),
        pytest.param(MassRemovalGuard(0.1, 0), 10, 1, False, id="strict-guard-at-share"),
        pytest.param(MassRemovalGuard(1.0, 0), 10, 10, False, id="share-one-never-trips"),
    ],
)
def test_mass_removal_guard_trips(
    guard: MassRemovalGuard, previous: int, removed: int, expected: bool
) -> None:
    assert guard.trips(previous, removed) is expected


# --- yes/no trigger parameters ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True),
        (False, False),
        (None, False),
        ("", False),
        ("true", True),
        ("TRUE", True),
        (" yes ", True),
        ("1", True),
        (1, True),
        ("false", False),
        ("No", False),
        ("0", False),
        (0, False),
    ],
)
def test_flag_accepts(value: Any, expected: bool) -> None:
    assert flag("allow_mass_removal", value) is expected


@pytest.mark.parametrize("value", ["maybe", "y", "2", 2, "on"])
def test_flag_rejects(value: Any) -> None:
    with pytest.raises(SettingError, match="'dry_run'") as info:
        flag("dry_run", value)
    assert repr(value) in str(info.value)


@pytest.mark.parametrize(("value", "expected"), [(None, 1), ("", 1), ("1", 1), (" 3 ", 3), (5, 5), ("5", 5)])
def test_absent_reads_accepts(value: Any, expected: int) -> None:
    assert settings.absent_reads(value) == expected


@pytest.mark.parametrize("value", ["0", "6", 6, "-1", "2.0", 1.5, "two", True, "10", "[2]"])
def test_absent_reads_rejects(value: Any) -> None:
    with pytest.raises(
        SettingError, match=r"'audiocodes_absent_reads' must be a whole number of reads from 1 to 5"
    ):
        settings.absent_reads(value)


@pytest.mark.parametrize(
    ("value", "expected"), [(None, 24), ("", 24), (" ", 24), ("1", 1), (" 48 ", 48), (72, 72), ("8760", 8760)]
)
def test_max_read_age_hours_accepts(value: Any, expected: int) -> None:
    assert settings.max_read_age_hours(value) == expected


@pytest.mark.parametrize("value", ["0", 0, "8761", "-1", "1.5", 1.5, "24h", "a day", True, "[24]", "00000"])
def test_max_read_age_hours_rejects(value: Any) -> None:
    with pytest.raises(
        SettingError, match=r"'audiocodes_max_read_age_hours' must be a whole number of hours from 1 to 8760"
    ):
        settings.max_read_age_hours(value)
