"""Issue 13's stale-device alarm through the real DAGs (``dag.test()``), a real PostgreSQL and the
bundled devices over real HTTP: a configured connection whose last complete read is older than
``audiocodes_max_read_age_hours`` (or that was never read) is a ``stale_read`` finding of the daily
audit, the daily run fails naming it and its age after recording everything, and nothing cools.

Ages are measured on the project's clock: ``run_dag`` stands it at each run's logical date, so a read
kept by a sync at 01:00 is exactly 49 hours old to a daily run two days later at 02:00."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.conftest import PASSWORDS, http_connection
from tests.dags.helpers import USED, D, by_status, history_count, row, rows

pytestmark = pytest.mark.dag

SYNC, DAILY = "audiocodes_number_sync", "number_inventory_daily"
UTC = dt.UTC
A_NUMBERS = [str(n) for n in range(1000, 1005)]
B_NUMBERS = [str(n) for n in range(2000, 2003)]
AGE_VARIABLE = "AIRFLOW_VAR_AUDIOCODES_MAX_READ_AGE_HOURS"


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A logical date in November 2026, UTC."""
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def synced(db, devices, run_dag):
    """A registers 5 numbers, B 3; both read by a sync at 2026-11-02 01:00, all Used."""
    a, b = devices["audiocodes_a"], devices["audiocodes_b"]
    a.register_numbers(A_NUMBERS)
    b.register_numbers(B_NUMBERS)
    assert run_dag(SYNC, D(2026, 11, 2))[0] == "success"
    assert by_status(db) == {"Used": 8}
    return a, b


def break_b(monkeypatch, b) -> None:
    """B refuses the login from now on: every later read of it fails."""
    monkeypatch.setenv("AIRFLOW_CONN_AUDIOCODES_B", http_connection(b, "wrong-password", retries=0))


def stale_findings(db) -> list[tuple]:
    return db.execute(
        'SELECT run_day, connection_id, "check", numbers, message FROM audit_connection_finding '
        "WHERE \"check\" = 'stale_read' ORDER BY id"
    ).fetchall()


def daily_runs(db) -> list[dict]:
    return [r[0] for r in db.execute("SELECT summary FROM inventory_run WHERE kind = 'daily' ORDER BY id")]


def test_a_stale_connection_fails_the_daily_run_naming_it_and_its_age_and_cools_nothing(
    db, synced, run_dag, output, monkeypatch
):
    a, b = synced
    break_b(monkeypatch, b)
    b.unregister("2000")  # gone from B, but B cannot be read: its old read still holds it Used
    a.unregister("1000")  # gone from A, which is read: it cools as usual
    assert run_dag(SYNC, D(2026, 11, 3))[0] == "failed"
    assert run_dag(SYNC, D(2026, 11, 4))[0] == "failed"
    assert row(db, "1000")[0] == "Cooling"

    state, tasks = run_dag(DAILY, at(4, 2))  # B last read 2026-11-02 01:00: 49 hours ago; A 1 hour ago

    assert state == "failed" and tasks["release_and_audit"] == ["failed"]
    message = (
        "connection audiocodes_b was last read completely 49.0 hours ago (2026-11-02 01:00+00:00), more "
        "than audiocodes_max_read_age_hours (24) allows; its old read still holds 3 numbers Used and "
        "nothing is cooled on its account"
    )
    text = output()
    assert message in text
    assert "stale_read: 1 configured connection(s) not read completely for more than 24 hour(s)" in text
    assert "audiocodes_a was last read" not in text
    # Recorded before the run failed: the finding, and the daily run itself.
    [(run_day, connection_id, check, numbers, recorded)] = stale_findings(db)
    assert (run_day, connection_id, check, numbers) == (D(2026, 11, 4), "audiocodes_b", "stale_read", 3)
    assert recorded.startswith(message)
    [summary] = daily_runs(db)
    assert summary["findings"]["stale_read"] == 1 and summary["stale_reads"] == [recorded]
    # Nothing cooled because of staleness.
    assert all(row(db, n) == USED for n in B_NUMBERS)
    assert row(db, "1000")[0] == "Cooling"
    assert by_status(db) == {"Used": 7, "Cooling": 1}


def test_a_read_is_stale_only_when_older_than_the_variable_allows(db, synced, run_dag, output, monkeypatch):
    before, written = rows(db), history_count(db)

    # Exactly 24 hours after the read: not older than the default allows.
    assert run_dag(DAILY, at(3, 1))[0] == "success"
    assert stale_findings(db) == []

    monkeypatch.setenv(AGE_VARIABLE, "23")
    state, tasks = run_dag(DAILY, at(3, 1, 30))  # 24.5 hours

    assert state == "failed" and tasks["release_and_audit"] == ["failed"]
    assert [f[1] for f in stale_findings(db)] == ["audiocodes_a", "audiocodes_b"]
    assert "audiocodes_a was last read completely 24.5 hours ago" in output()
    assert "audiocodes_max_read_age_hours (23)" in output()
    assert rows(db) == before and history_count(db) == written

    # A new read clears the alarm.
    assert run_dag(SYNC, at(3, 2))[0] == "success"
    assert run_dag(DAILY, at(3, 3))[0] == "success"
    assert len(stale_findings(db)) == 2


def test_a_connection_never_read_is_stale(db, synced, run_dag, output, monkeypatch):
    monkeypatch.setenv(
        "AIRFLOW_VAR_AUDIOCODES_CONNECTIONS", json.dumps(["audiocodes_a", "audiocodes_b", "audiocodes_c"])
    )

    state, _ = run_dag(DAILY, D(2026, 11, 2))

    assert state == "failed"
    [(_, connection_id, _, numbers, message)] = stale_findings(db)
    assert (connection_id, numbers) == ("audiocodes_c", 0)
    assert message.startswith("connection audiocodes_c has never been read completely")
    assert message in output()
    assert by_status(db) == {"Used": 8}


def test_a_dry_run_reports_a_stale_connection_and_records_nothing(db, synced, run_dag, output):
    state, tasks = run_dag(DAILY, at(5, 1), dry_run=True)

    assert state == "success", tasks
    assert "connection audiocodes_a was last read completely 72.0 hours ago" in output()
    assert stale_findings(db) == [] and daily_runs(db) == []


@pytest.mark.parametrize("value", ["0", "a day", "1.5", "8761"])
def test_a_bad_max_read_age_fails_the_daily_run_at_once_naming_the_variable(
    db, synced, run_dag, output, monkeypatch, value
):
    before, written = rows(db), history_count(db)
    monkeypatch.setenv(AGE_VARIABLE, value)

    state, tasks = run_dag(DAILY, D(2026, 11, 3))

    assert state == "failed" and tasks["prepare"] == ["failed"]
    assert "'audiocodes_max_read_age_hours' must be a whole number of hours from 1 to 8760" in output()
    assert rows(db) == before and history_count(db) == written and daily_runs(db) == []


# --- issue 22 item 7: a stale connection's numbers are not released ------------------------------


def withheld_findings(db) -> list[tuple]:
    return db.execute(
        "SELECT run_day, connection_id, numbers, message FROM audit_connection_finding "
        "WHERE \"check\" = 'release_withheld_stale' ORDER BY id"
    ).fetchall()


def history_of(db, number: str) -> list[tuple]:
    return db.execute(
        "SELECT reason, actor, note, before_status, after_status FROM number_inventory_history "
        "WHERE number = %s AND dag_id IS NOT NULL ORDER BY id",
        (number,),
    ).fetchall()


@pytest.fixture
def cooled_then_b_stale(db, synced, run_dag, monkeypatch):
    """1000 leaves A and 2000 leaves B on 2026-11-03: both cool until 2026-11-05. Then B refuses
    every read: on 2026-11-05 its kept read is 49 hours old, A's fresh."""
    a, b = synced
    a.unregister("1000")
    b.unregister("2000")
    assert run_dag(SYNC, at(3, 1))[0] == "success"
    assert row(db, "1000")[0] == row(db, "2000")[0] == "Cooling"
    break_b(monkeypatch, b)
    assert run_dag(SYNC, at(4, 1))[0] == "failed"
    assert run_dag(SYNC, at(5, 1))[0] == "failed"
    return a, b


def test_a_cooling_number_last_seen_on_a_stale_connection_is_not_released(
    db, cooled_then_b_stale, run_dag, output, monkeypatch
):
    """B cannot confirm that 2000 is still gone from it: its release waits until B is read again.
    1000, last seen on A (read an hour ago), is released as due."""
    state, tasks = run_dag(DAILY, at(5, 2))

    assert state == "failed" and tasks["release_and_audit"] == ["failed"]  # the stale_read alarm
    assert row(db, "1000") == ("Available", None, None, None, None)
    assert row(db, "2000")[0] == "Cooling"
    [(run_day, connection_id, numbers, message)] = withheld_findings(db)
    assert (run_day, connection_id, numbers) == (D(2026, 11, 5), "audiocodes_b", 1)
    assert message.startswith(
        "connection audiocodes_b was last read completely 49.0 hours ago (2026-11-03 01:00+00:00): the "
        "release of 1 cooling number(s) last seen on it is withheld"
    )
    assert "release_despite_stale" in message
    [summary] = daily_runs(db)
    assert summary["released"] == 1
    assert summary["findings"]["release_withheld_stale"] == 1
    assert summary["release_withheld_stale"] == [message]
    assert summary["withheld_releases"] == 1
    assert message in output()

    # Once B is read again (2000 still gone), the next daily run releases it.
    _, b = cooled_then_b_stale
    monkeypatch.setenv("AIRFLOW_CONN_AUDIOCODES_B", http_connection(b, PASSWORDS["audiocodes_b"], retries=0))
    assert run_dag(SYNC, at(5, 3))[0] == "success"
    assert run_dag(DAILY, at(5, 4))[0] == "success"
    assert row(db, "2000") == ("Available", None, None, None, None)


def test_release_despite_stale_releases_them_and_the_history_says_so(db, cooled_then_b_stale, run_dag):
    state, _ = run_dag(DAILY, at(5, 2), release_despite_stale=True)

    assert state == "failed"  # the stale read still alarms
    assert row(db, "1000") == row(db, "2000") == ("Available", None, None, None, None)
    assert withheld_findings(db) == []
    [summary] = daily_runs(db)
    assert summary["released"] == 2 and summary["released_despite_stale"] == 1
    [*_, (reason, actor, note, before, after)] = history_of(db, "2000")
    assert (reason, actor, before, after) == ("released", "dag_test", "Cooling", "Available")
    assert note == "released despite a stale read of audiocodes_b (release_despite_stale)"
    [*_, (_, actor, note, _, _)] = history_of(db, "1000")
    assert (actor, note) == (None, None)  # released as due: the pipeline's own


def test_a_number_that_registered_again_on_the_stale_connection_was_never_handed_out(
    db, cooled_then_b_stale, run_dag, monkeypatch
):
    """The case the withholding is for: 2000 registered on B again while B could not be read. Released,
    it would have been Available (handed out) while in use; withheld, it comes back online when B is read."""
    _, b = cooled_then_b_stale
    b.register("2000")
    assert run_dag(DAILY, at(5, 2))[0] == "failed"  # the stale_read alarm
    assert row(db, "2000")[0] == "Cooling"

    monkeypatch.setenv("AIRFLOW_CONN_AUDIOCODES_B", http_connection(b, PASSWORDS["audiocodes_b"], retries=0))
    assert run_dag(SYNC, at(5, 3))[0] == "success"
    assert row(db, "2000") == USED
    assert [r[0] for r in history_of(db, "2000")] == ["registered", "registration_gone", "back_online"]
