"""``clock``: today (the wall clock, or the test and simulation clock), the future-day bound and the
sync's latest-only rule."""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

import pytest

from number_inventory import clock
from number_inventory.settings import SettingError

UTC = dt.UTC


def test_today_is_the_wall_clock_in_the_time_zone_unless_the_variable_is_set(caplog) -> None:
    for zone in ("UTC", "Pacific/Kiritimati", "Pacific/Niue"):  # UTC+14 and UTC-11
        assert clock.today(zone, {}) == dt.datetime.now(ZoneInfo(zone)).date()
    assert clock.today("UTC", {clock.TODAY_ENV: ""}) == dt.datetime.now(dt.UTC).date()
    assert not caplog.records

    with caplog.at_level(logging.WARNING):
        assert clock.today("Europe/Berlin", {clock.TODAY_ENV: "2026-11-03"}) == dt.date(2026, 11, 3)
    assert "test and simulation clock" in caplog.text


def test_a_bad_today_names_the_variable() -> None:
    with pytest.raises(SettingError, match="NUMBER_INVENTORY_TODAY must be a day as YYYY-MM-DD"):
        clock.today("UTC", {clock.TODAY_ENV: "3 Nov"})


def test_a_moment_stops_the_clock_in_the_time_zone_or_at_its_offset(caplog) -> None:
    berlin = ZoneInfo("Europe/Berlin")
    assert clock.now("Europe/Berlin", {clock.TODAY_ENV: "2026-11-03T10:15"}) == dt.datetime(
        2026, 11, 3, 10, 15, tzinfo=berlin
    )
    assert clock.now("Europe/Berlin", {clock.TODAY_ENV: "2026-11-03T23:30:00+00:00"}) == dt.datetime(
        2026, 11, 4, 0, 30, tzinfo=berlin
    )
    assert clock.today("UTC", {clock.TODAY_ENV: "2026-11-03T23:30:00-02:00"}) == dt.date(2026, 11, 4)
    assert "test and simulation clock" in caplog.text


@pytest.mark.parametrize("text", ["2026-11-03T25:00", "2026-11-03Tnoon", "3 Nov"])
def test_a_bad_moment_names_the_variable_and_both_forms(text) -> None:
    with pytest.raises(SettingError, match="YYYY-MM-DD, or a moment as YYYY-MM-DDTHH:MM"):
        clock.now("UTC", {clock.TODAY_ENV: text})


@pytest.mark.parametrize(
    ("run_day", "ok"),
    [
        (dt.date(2026, 11, 2), True),
        (dt.date(2026, 11, 3), True),
        (dt.date(2026, 11, 4), True),
        (dt.date(2026, 11, 5), False),
        (dt.date(2062, 3, 2), False),
    ],
)
def test_no_run_acts_for_a_day_after_today_with_a_day_of_slack(run_day, ok) -> None:
    today = dt.date(2026, 11, 3)
    if ok:
        clock.check_not_future(run_day, today)
    else:
        with pytest.raises(clock.FutureRunDay, match=f"run day {run_day} is after today"):
            clock.check_not_future(run_day, today)


HOUR = dt.timedelta(hours=1)
T = dt.datetime(2026, 11, 3, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("run_type", "window", "now", "acts"),
    [
        ("manual", (T - 10 * HOUR, T - 9 * HOUR), T, True),  # a manual run counts as now
        ("asset_triggered", None, T, True),
        ("backfill", (T - HOUR, T + HOUR), T, False),  # never, even inside its window
        ("scheduled", (T - HOUR, T), T, True),  # the latest interval
        ("scheduled", (T - HOUR, T), T + dt.timedelta(seconds=1), False),  # a newer one has begun
        ("scheduled", (T - HOUR, T), T - HOUR, False),
        ("scheduled", None, T, True),  # the timetable schedules nothing after it
    ],
)
def test_the_sync_is_latest_only(run_type, window, now, acts) -> None:
    reason = clock.sync_skip_reason(run_type, window, now)
    assert (reason is None) == acts
    if not acts:
        assert "reads nothing and changes nothing" in reason
