"""Which day a run stands for."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from number_inventory.airflow_glue.run_day import run_day

UTC = dt.UTC


def dag_run_of(logical=None, interval_end=None, run_after=None):
    return SimpleNamespace(logical_date=logical, data_interval_end=interval_end, run_after=run_after)


@pytest.mark.parametrize(
    ("dag_run", "zone", "expected"),
    [
        (dag_run_of(dt.datetime(2026, 11, 27, 0, 30, tzinfo=UTC)), "UTC", dt.date(2026, 11, 27)),
        (dag_run_of(None, dt.datetime(2026, 11, 28, 0, 0, tzinfo=UTC)), "UTC", dt.date(2026, 11, 28)),
        (dag_run_of(None, None, dt.datetime(2026, 11, 29, 12, 0, tzinfo=UTC)), "UTC", dt.date(2026, 11, 29)),
        (dag_run_of(dt.datetime(2026, 11, 27, 23, 30, tzinfo=UTC)), "Europe/Berlin", dt.date(2026, 11, 28)),
        (
            dag_run_of(dt.datetime(2026, 11, 27, 3, 0, tzinfo=UTC)),
            "America/Los_Angeles",
            dt.date(2026, 11, 26),
        ),
    ],
    ids=["logical-date", "no-logical-date", "only-run-after", "east-of-utc", "west-of-utc"],
)
def test_run_day(dag_run, zone, expected):
    assert run_day(dag_run, zone) == expected
