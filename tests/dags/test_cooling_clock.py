"""Cooling counts from the day the devices were read (issue 22 item 6), through the real sync and
daily DAGs (``dag.test()``), a real PostgreSQL and the bundled devices over real HTTP.

Airflow's trigger form lets an operator pick any logical date. A manual sync reads the devices as they
are *now*, so a number that is gone has been seen gone today, whatever day the run stands for: its
cooling counts from the day of the read (the project's clock, ``NUMBER_INVENTORY_TODAY`` in tests),
never from an earlier logical date, and the run's summary says so."""

from __future__ import annotations

import pytest

from number_inventory.clock import TODAY_ENV
from tests.dags.helpers import USED, D, cooling, row

pytestmark = pytest.mark.dag

SYNC, DAILY = "audiocodes_number_sync", "number_inventory_daily"


def sync_summaries(db) -> list[dict]:
    return [r[0] for r in db.execute("SELECT summary FROM inventory_run WHERE kind = 'sync' ORDER BY id")]


def test_a_manual_sync_for_a_past_day_cools_from_the_day_of_the_read(
    db, devices, run_dag, output, monkeypatch
):
    a, b = devices["audiocodes_a"], devices["audiocodes_b"]
    a.register_numbers(["1000", "1001"])
    b.register_numbers(["2000"])
    assert run_dag(SYNC, D(2026, 12, 3))[0] == "success"

    # Four days later an operator triggers a sync by hand and picks 2026-12-04 in the form: after the
    # latest sync day, so the run reads the devices, as they are today.
    a.unregister("1000")
    monkeypatch.setenv(TODAY_ENV, "2026-12-07T09:00:00+00:00")
    assert run_dag(SYNC, D(2026, 12, 4))[0] == "success"

    # Cooling (2 days) counts from the read, on 2026-12-07: released on 2026-12-09, not 2026-12-06.
    assert row(db, "1000") == cooling(D(2026, 12, 9), D(2026, 12, 7))
    note = "cooling counted from 2026-12-07, the day of the read, not the run day 2026-12-04"
    assert note in output()
    assert sync_summaries(db)[-1]["cooling_from"] == "2026-12-07"
    assert sync_summaries(db)[-1]["cooling_note"] == note
    history = db.execute(
        "SELECT run_day, after_release_date FROM number_inventory_history WHERE number = '1000' ORDER BY id"
    ).fetchall()
    assert history[-1] == (D(2026, 12, 4), D(2026, 12, 9))  # the run's day, the read's release

    # The daily run of that day does not free it at once; the one of its release day does.
    assert run_dag(DAILY, D(2026, 12, 7))[0] == "success"
    assert row(db, "1000") == cooling(D(2026, 12, 9), D(2026, 12, 7))
    monkeypatch.setenv(TODAY_ENV, "2026-12-09T09:00:00+00:00")
    assert run_dag(SYNC, D(2026, 12, 9))[0] == "success"
    assert run_dag(DAILY, D(2026, 12, 9))[0] == "success"
    assert row(db, "1000") == ("Available", None, None, None, None)
    assert row(db, "1001") == USED


def test_a_sync_for_its_own_day_cools_from_that_day(db, devices, run_dag):
    """The usual case is unchanged: the read is made on the run day."""
    a = devices["audiocodes_a"]
    a.register_numbers(["1000"])
    assert run_dag(SYNC, D(2026, 12, 3))[0] == "success"
    a.unregister("1000")

    assert run_dag(SYNC, D(2026, 12, 4))[0] == "success"

    assert row(db, "1000") == cooling(D(2026, 12, 6), D(2026, 12, 4))
    summary = sync_summaries(db)[-1]
    assert "cooling_from" not in summary and "cooling_note" not in summary


def test_a_manual_daily_run_for_a_past_day_cools_from_the_day_of_the_read(
    db, devices, run_dag, output, monkeypatch
):
    """The daily audit cools what no kept read registers: from the day of those reads too. The run is for
    yesterday, the oldest day a daily run still acts for (an older one only reports: issue 23)."""
    a = devices["audiocodes_a"]
    a.register_numbers(["1000"])
    monkeypatch.setenv(TODAY_ENV, "2026-12-07T09:00:00+00:00")
    assert run_dag(SYNC, D(2026, 12, 7))[0] == "success"
    # A number an operator marked as an AudioCodes device's by hand; no device registers it.
    db.execute(
        "INSERT INTO number_inventory (number, status, usage, vendor) VALUES ('1500', 'Used', 'Device', 'AudioCodes')"
    )

    assert run_dag(DAILY, D(2026, 12, 6))[0] == "success"

    assert row(db, "1500") == cooling(D(2026, 12, 9), D(2026, 12, 7))
    assert "cooling counted from 2026-12-07, the day of the read, not the run day 2026-12-06" in output()
    assert run_dag(DAILY, D(2026, 12, 7))[0] == "success"
    assert row(db, "1500") == cooling(D(2026, 12, 9), D(2026, 12, 7))
