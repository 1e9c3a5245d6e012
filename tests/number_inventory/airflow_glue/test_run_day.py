"""Which day a run stands for."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from number_inventory.airflow_glue.run_day import run_day

UTC = dt.UTC


def context(logical=None, interval_end=None, run_after=None):
    return {
        "logical_date": logical,
        "data_interval_end": interval_end,
        "dag_run": SimpleNamespace(run_after=run_after),
    }


@pytest.mark.parametrize(
    ("ctx", "zone", "expected"),
    [
        (context(dt.datetime(2026, 11, 27, 0, 30, tzinfo=UTC)), "UTC", dt.date(2026, 11, 27)),
        (context(None, dt.datetime(2026, 11, 28, 0, 0, tzinfo=UTC)), "UTC", dt.date(2026, 11, 28)),
        (context(None, None, dt.datetime(2026, 11, 29, 12, 0, tzinfo=UTC)), "UTC", dt.date(2026, 11, 29)),
        (context(dt.datetime(2026, 11, 27, 23, 30, tzinfo=UTC)), "Europe/Berlin", dt.date(2026, 11, 28)),
        (context(dt.datetime(2026, 11, 27, 3, 0, tzinfo=UTC)), "America/Los_Angeles", dt.date(2026, 11, 26)),
    ],
    ids=["logical-date", "no-logical-date", "only-run-after", "east-of-utc", "west-of-utc"],
)
def test_run_day(ctx, zone, expected):
    assert run_day(ctx, zone) == expected
