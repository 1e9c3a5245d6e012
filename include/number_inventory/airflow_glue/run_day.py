"""The day a run stands for, and whether the run is for now.

A run's day comes from its logical date, never from the wall clock; the wall clock (``clock``) only
refuses a day after today and, for the sync, a run that is not the latest scheduled interval.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from number_inventory import clock


def run_day(dag_run: Any, timezone: str) -> dt.date:
    """The day ``dag_run`` stands for: its logical date, else its data interval end, else when it was
    due to run (a manual run may have no logical date), as a date in ``timezone``. Never the wall clock."""
    moment = dag_run.logical_date or dag_run.data_interval_end or dag_run.run_after
    return moment.astimezone(ZoneInfo(timezone)).date()


def decide_run(dag_run: Any, dag: Any, kind: str, day: dt.date, timezone: str) -> str | None:
    """Why this run must read and change nothing (``None``: it acts). Raises
    :class:`clock.FutureRunDay` when the run day is after today (``clock``), which fails the task at
    once (``tasks.fails_at_once``); only the sync is latest-only. Whether a sync is a backfill (its
    day before the latest processed one) is the pipeline's to say (``pipeline.backfill``); whether a
    daily run only reports is :func:`daily_report_only`'s."""
    now = clock.now(timezone)
    clock.check_not_future(day, now.date())
    if kind != "sync":
        return None
    run_type = str(getattr(dag_run.run_type, "value", dag_run.run_type))
    window = latest_only_window(dag_run, dag) if run_type == "scheduled" else None
    return clock.sync_skip_reason(run_type, window, now)


def daily_report_only(day: dt.date, timezone: str) -> str | None:
    """Why a daily run for ``day`` only writes that day's report (``None``: it acts): a day before
    today on the project's clock (``clock.daily_report_only``), whatever other runs did before it."""
    return clock.daily_report_only(day, clock.today(timezone))


def latest_only_window(dag_run: Any, dag: Any) -> tuple[dt.datetime, dt.datetime] | None:
    """``(left, right)``: a scheduled run is the latest while ``left < now <= right``; ``None`` when
    its timetable schedules nothing after it. Worked out from the DAG's timetable as Airflow's
    ``LatestOnlyOperator`` does (providers/standard/operators/latest_only.py)."""
    import pendulum
    from airflow.serialization.encoders import coerce_to_core_timetable
    from airflow.timetables.base import DataInterval, TimeRestriction

    moment = dag_run.logical_date or dag_run.run_after
    start = pendulum.instance(dag_run.data_interval_start or moment)
    end = pendulum.instance(dag_run.data_interval_end or moment)
    timetable = coerce_to_core_timetable(dag.timetable)
    current = DataInterval(start=start, end=end)
    before = TimeRestriction(earliest=None, latest=end - dt.timedelta(microseconds=1), catchup=True)
    previous = timetable.next_dagrun_info(last_automated_data_interval=current, restriction=before)
    left = previous.data_interval.end if previous else start
    after = TimeRestriction(earliest=end, latest=None, catchup=True)
    following = timetable.next_dagrun_info(last_automated_data_interval=current, restriction=after)
    return None if following is None else (left, following.data_interval.end)
