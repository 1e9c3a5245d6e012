"""Today, and whether a run may act for its run day: the one place that looks at the wall clock.

A run's *run day* comes from its logical date (``airflow_glue.run_day``), never from the wall clock,
so re-runs and backfills give the same answer. The wall clock only bounds it:

- **No run acts for the future.** A run whose run day is after today (in
  ``number_inventory_timezone``), with :data:`SLACK` for time zones, fails before any write: a
  daily run for 2062 would release every cooling number early, a sync for 2062 would make every
  later sync a "backfill" that reads nothing.
- **The sync is latest-only.** It reads the devices as they are now, so only a run that stands for
  now reads: a manual run, or a scheduled run of the latest interval (Airflow's ``LatestOnlyOperator``
  rule, with *now* from this module). A backfill, a catchup run for a past interval or a run after a
  gap reads nothing, changes nothing and says so; it does not fail.
- **A past day is a report.** A daily run whose run day is before today by more than :data:`SLACK`
  only writes that day's report (``daily_report_only``): the inventory, the device reads and the
  findings of a past day cannot be had now. The run day and the clock decide it, never the runs that
  came before, so concurrent backfill runs decide alike in any order.

``NUMBER_INVENTORY_TODAY=YYYY-MM-DD`` in the environment moves today, for tests, the demo and
day-by-day simulations: a test and simulation clock, logged as a warning whenever it is used; the time
of day stays the wall clock's. ``YYYY-MM-DDTHH:MM[:SS]`` (in ``number_inventory_timezone`` unless it
carries an offset) stops the clock at that moment, for tests that measure hours (the age of a read,
the latest hourly interval). Empty or unset, today is the wall clock. Nothing here imports Airflow.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Mapping
from zoneinfo import ZoneInfo

from number_inventory.settings import SettingError

log = logging.getLogger(__name__)

TODAY_ENV = "NUMBER_INVENTORY_TODAY"
#: How far after today a run day may be: a day, for the time zones between the scheduler and here.
SLACK = dt.timedelta(days=1)
#: Airflow's run types (``DagRunType`` values) that stand for now whatever their logical date.
NOW_RUN_TYPES = frozenset({"manual", "asset_triggered", "asset_materialization"})
BACKFILL = "backfill"


class FutureRunDay(ValueError):
    """A run stands for a day after today: it must not act."""


def now(timezone: str, environ: Mapping[str, str] | None = None) -> dt.datetime:
    """The current moment in ``timezone``: the wall clock, or with ``NUMBER_INVENTORY_TODAY`` set,
    that day at the wall clock's time of day, or that very moment when it gives a time."""
    environ = os.environ if environ is None else environ
    zone = ZoneInfo(timezone)
    wall = dt.datetime.now(zone)
    text = environ.get(TODAY_ENV, "").strip()
    if not text:
        return wall
    try:
        if "T" in text:
            moment = dt.datetime.fromisoformat(text)
            moment = moment.replace(tzinfo=zone) if moment.tzinfo is None else moment.astimezone(zone)
        else:
            moment = dt.datetime.combine(dt.date.fromisoformat(text), wall.timetz())
    except ValueError:
        raise SettingError(
            f"Environment variable {TODAY_ENV} must be a day as YYYY-MM-DD, or a moment as "
            f"YYYY-MM-DDTHH:MM[:SS] (in {timezone} unless it has an offset), or empty for the wall clock; "
            f"got {text!r}"
        ) from None
    log.warning(
        "%s=%s: today is %s by the test and simulation clock, not the wall clock (%s)",
        TODAY_ENV,
        text,
        moment.date(),
        wall.date(),
    )
    return moment


def today(timezone: str, environ: Mapping[str, str] | None = None) -> dt.date:
    """Today in ``timezone`` (see :func:`now`)."""
    return now(timezone, environ).date()


def check_not_future(run_day: dt.date, today_: dt.date) -> None:
    """Raise :class:`FutureRunDay` when ``run_day`` is after ``today_`` plus :data:`SLACK`."""
    if run_day > today_ + SLACK:
        raise FutureRunDay(
            f"run day {run_day} is after today ({today_}, with {SLACK.days} day of slack): no run acts for "
            "a day that has not come; nothing was read or written. Trigger it for today, or set "
            f"{TODAY_ENV} in a test or simulation"
        )


def sync_skip_reason(
    run_type: str, window: tuple[dt.datetime, dt.datetime] | None, now_: dt.datetime
) -> str | None:
    """Why a sync run must read nothing and change nothing, or ``None`` when it stands for now.

    ``window`` is the latest-only window of a scheduled run, ``(left, right)``: the run is the latest
    when ``left < now <= right`` (``LatestOnlyOperator``'s rule); ``None`` when the timetable has no
    next run (the last scheduled one), which counts as the latest.
    """
    if run_type in NOW_RUN_TYPES:
        return None
    what = "reads the devices as they are now, so this run reads nothing and changes nothing"
    if run_type == BACKFILL:
        return f"a backfill run: the sync {what}"
    if window is None:
        return None
    left, right = window
    if left < now_ <= right:
        return None
    return (
        f"not the latest scheduled interval (this run is the latest only after {left.isoformat()} "
        f"until {right.isoformat()}, and now is {now_.isoformat(timespec='seconds')}): the sync {what}; "
        "the latest scheduled run, or a manual one, reads the devices"
    )


#: What a daily run for a past day does instead of acting (its summary and its log say so).
REPORT_ONLY = "report only"


def daily_report_only(run_day: dt.date, today_: dt.date) -> str | None:
    """Why a daily run for ``run_day`` only reports, or ``None`` when it acts: a run day before
    ``today_`` by more than :data:`SLACK` (the future check's slack, for the time zones between the
    scheduler and here) is the past. It depends on the run day and the clock alone, never on which
    runs came before, so concurrent backfill runs decide alike whatever order they run in."""
    if run_day >= today_ - SLACK:
        return None
    return (
        f"{REPORT_ONLY}: run day {run_day} is before today ({today_}, with {SLACK.days} day of slack); a "
        "past day's inventory, reads and findings cannot be had now, so this run writes that day's report "
        "from the history and changes nothing else"
    )
