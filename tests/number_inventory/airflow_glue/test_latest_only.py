"""The sync's latest-only window is worked out as Airflow's own ``LatestOnlyOperator`` does, through
Airflow internals that are not a public API (``run_day.latest_only_window``). This pins the copy: for
each kind of schedule and run, both must give the same window, so an Airflow upgrade that changes the
operator's rule, or moves what the copy imports, fails here rather than in production."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pendulum
import pytest
from airflow.providers.standard.operators.latest_only import LatestOnlyOperator
from airflow.sdk import DAG
from airflow.timetables.interval import CronDataIntervalTimetable, DeltaDataIntervalTimetable

from number_inventory.airflow_glue.run_day import latest_only_window

#: Cron and timedelta schedules as Airflow 3 reads them (runs at points in time), and the data-interval
#: timetables (runs for an interval), which the sync's schedule may be set to.
SCHEDULES = [
    "@hourly",
    "@daily",
    "*/10 * * * *",
    "30 2 * * 1-5",
    dt.timedelta(hours=6),
    CronDataIntervalTimetable("@hourly", "UTC"),
    CronDataIntervalTimetable("0 3 * * *", "Europe/Berlin"),
    DeltaDataIntervalTimetable(dt.timedelta(hours=6)),
]


def run_of(dag: DAG, start: dt.datetime) -> SimpleNamespace:
    """The scheduled run of ``dag`` that comes first at or after ``start``, as the scheduler makes it."""
    from airflow.serialization.encoders import coerce_to_core_timetable
    from airflow.timetables.base import TimeRestriction

    timetable = coerce_to_core_timetable(dag.timetable)
    info = timetable.next_dagrun_info(
        last_automated_data_interval=None,
        restriction=TimeRestriction(earliest=start, latest=None, catchup=True),
    )
    return SimpleNamespace(
        logical_date=info.logical_date,
        run_after=info.run_after,
        data_interval_start=info.data_interval.start,
        data_interval_end=info.data_interval.end,
    )


@pytest.mark.parametrize(
    "schedule", SCHEDULES, ids=lambda s: f"{type(s).__name__}-{getattr(s, 'summary', s)}"
)
@pytest.mark.parametrize("days_back", [0, 1, 30])
def test_the_window_is_the_latest_only_operators(schedule, days_back):
    start = pendulum.datetime(2026, 12, 7, 9, 17, tz="UTC") - dt.timedelta(days=days_back)
    with DAG(f"latest_only_{days_back}", schedule=schedule, start_date=pendulum.datetime(2026, 1, 1)) as dag:
        operator = LatestOnlyOperator(task_id="latest_only")
    dag_run = run_of(dag, start)

    ours = latest_only_window(dag_run, dag)
    airflows = operator._get_compare_dates(dag_run)

    assert ours is not None and airflows is not None
    assert (ours[0], ours[1]) == (airflows[0], airflows[1])
