"""The sync and daily DAGs over several simulated days, two connections, a real PostgreSQL and the
bundled devices over real HTTP (``dag.test()``)."""

from __future__ import annotations

import pytest

from tests.dags.helpers import USED, D, by_status, cooling, history_count, row, rows

pytestmark = pytest.mark.dag

SYNC, DAILY = "audiocodes_number_sync", "number_inventory_daily"


@pytest.fixture
def fleet(db, devices):
    """Operator-loaded rows plus two devices: A registers 1000-1009 (1002 with three contacts) and
    two AORs that are not numbers; B registers 1005-1014 and an AOR whose only binding is status:0."""
    a, b = devices["audiocodes_a"], devices["audiocodes_b"]
    db.execute("INSERT INTO number_inventory (number) SELECT generate_series(1100, 1109)::text")
    db.execute("INSERT INTO number_inventory (number) VALUES ('1003')")  # loaded Available
    db.execute(
        "INSERT INTO number_inventory (number, status, usage, vendor) VALUES "
        "('1020', 'Used', 'User', 'Microsoft'), ('1021', 'Reserved', NULL, NULL), "
        "('1022', 'Used-Utility', NULL, NULL)"
    )
    a.register_numbers([n for n in range(1000, 1010) if n != 1002])
    a.register("1002", contacts=3)
    a.register("alice")
    a.register("sip:conf-room-3@10.8.5.71")
    a.register_numbers(["1020", "1021", "1022"])
    b.register_numbers(range(1005, 1015))
    b.register("2000", status=0)
    b.register("tel:+1-415-555-0100")
    return a, b


def test_first_sync_registers_every_number_once(db, fleet, run_dag):
    state, tasks = run_dag(SYNC, D(2026, 11, 2))

    assert state == "success"
    assert tasks["read_connection"] == ["success", "success"]
    inventory = rows(db)
    for n in [*map(str, range(1000, 1015)), "+14155550100"]:
        assert inventory[n] == USED, n
    assert "2000" not in inventory  # status:0 only: not registered
    assert inventory["1020"] == ("Used", "User", "Microsoft", None, None)  # conflict: untouched
    assert inventory["1021"][0] == "Reserved" and inventory["1022"][0] == "Used-Utility"
    assert inventory["1100"] == ("Available", None, None, None, None)
    skipped = db.execute(
        "SELECT skipped_aors FROM audiocodes_read WHERE connection_id = 'audiocodes_a'"
    ).fetchone()[0]
    assert skipped == 2  # alice, conf-room-3
    # one history row per written row: 15 numbers + the tel: one, 1003 counted once
    reasons = dict(db.execute("SELECT reason, count(*) FROM number_inventory_history GROUP BY 1").fetchall())
    assert reasons == {"registered": 16, "hand_insert": 14}  # the operator's rows, loaded by hand


def test_cooling_back_online_release_and_backlog(db, fleet, run_dag, monkeypatch):
    a, _ = fleet
    assert run_dag(SYNC, D(2026, 11, 2))[0] == "success"

    # Day 3: 1000 (only on A) goes away and cools; 1005 leaves A but B still has it.
    a.unregister("1000")
    a.unregister("1005")
    assert run_dag(SYNC, D(2026, 11, 3))[0] == "success"
    assert row(db, "1000") == cooling(D(2026, 11, 5), D(2026, 11, 3))
    assert row(db, "1005") == USED

    # Day 4: the daily run counts down; 1001 goes away too.
    a.unregister("1001")
    assert run_dag(SYNC, D(2026, 11, 4))[0] == "success"
    assert run_dag(DAILY, D(2026, 11, 4))[0] == "success"
    assert row(db, "1000") == cooling(D(2026, 11, 5), D(2026, 11, 4))
    assert row(db, "1001") == cooling(D(2026, 11, 6), D(2026, 11, 4))

    # Day 5: 1001 comes back before its release: Used again, Tag and Release Date cleared.
    a.register("1001")
    assert run_dag(SYNC, D(2026, 11, 5))[0] == "success"
    assert row(db, "1001") == USED

    # The cooling duration changes to 5 days; 1003 goes away on day 5.
    monkeypatch.setenv("AIRFLOW_VAR_AUDIOCODES_COOLING_DURATION", "5")
    a.unregister("1003")
    assert run_dag(SYNC, D(2026, 11, 5))[0] == "success"
    assert row(db, "1003") == cooling(D(2026, 11, 10), D(2026, 11, 5))

    # The daily runs of days 5 to 10 are missed (the syncs are not: a device read days ago would be a
    # stale_read); day 11 releases the whole backlog.
    assert run_dag(SYNC, D(2026, 11, 11))[0] == "success"
    assert run_dag(DAILY, D(2026, 11, 11))[0] == "success"
    assert row(db, "1000") == ("Available", None, None, None, None)
    assert row(db, "1003") == ("Available", None, None, None, None)
    released = db.execute(
        "SELECT number FROM number_inventory_history WHERE reason = 'released' ORDER BY number"
    ).fetchall()
    assert [r[0] for r in released] == ["1000", "1003"]

    # The history explains every row: the last after-values of each number are its current values.
    latest = db.execute(
        "SELECT DISTINCT ON (number) number, after_status, after_usage, after_vendor, after_tag, "
        "after_release_date FROM number_inventory_history ORDER BY number, id DESC"
    ).fetchall()
    inventory = rows(db)
    for number, *after in latest:
        assert tuple(after) == inventory[number], number


def test_reruns_and_backfills_change_nothing(db, fleet, run_dag, monkeypatch):
    a, _ = fleet
    assert run_dag(SYNC, D(2026, 11, 10))[0] == "success"
    a.unregister("1000")
    assert run_dag(SYNC, D(2026, 11, 10))[0] == "success"
    assert run_dag(DAILY, D(2026, 11, 11))[0] == "success"
    before, written = rows(db), history_count(db)

    # The same runs again: nothing more is written.
    assert run_dag(SYNC, D(2026, 11, 10))[0] == "success"
    assert run_dag(DAILY, D(2026, 11, 11))[0] == "success"
    assert rows(db) == before and history_count(db) == written

    # A sync backfill for an older day changes nothing and says so, without reading the devices.
    served = a.requests_served
    state, tasks = run_dag(SYNC, D(2026, 11, 1))
    assert state == "success" and tasks["reconcile"] == ["skipped"]
    assert a.requests_served == served
    # A daily run for a past day (issue 23: by the clock, today 2026-11-11) only writes that day's
    # report: it neither recounts tags into the past nor repairs, nor records a finding.
    a.unregister("1001")  # drift the audit would repair on a current day
    monkeypatch.setenv("NUMBER_INVENTORY_TODAY", "2026-11-11T02:00")
    found = db.execute("SELECT count(*) FROM audit_finding").fetchone()[0]
    state, tasks = run_dag(DAILY, D(2026, 11, 3))
    assert state == "success" and tasks["release_and_audit"] == ["skipped"]
    assert rows(db) == before and history_count(db) == written
    assert db.execute("SELECT count(*) FROM audit_finding").fetchone()[0] == found
    assert row(db, "1000") == cooling(D(2026, 11, 12), D(2026, 11, 11))


def test_audit_repairs_drift_and_reports_conflicts(db, fleet, run_dag):
    assert run_dag(SYNC, D(2026, 11, 2))[0] == "success"
    # Hand-made drift.
    db.execute(
        "UPDATE number_inventory SET status = 'Available', usage = NULL, vendor = NULL WHERE number = '1004'"
    )
    db.execute("UPDATE number_inventory SET usage = 'Phone' WHERE number = '1006'")
    db.execute(
        "INSERT INTO number_inventory (number, status, usage, vendor) VALUES ('1050', 'Used', 'Device', 'AudioCodes')"
    )
    db.execute(
        "INSERT INTO number_inventory (number, status, usage, vendor) VALUES ('1051', 'Cooling', 'Device', 'AudioCodes')"
    )
    drifted, written = rows(db), history_count(db)

    # A dry run reports and writes nothing.
    assert run_dag(DAILY, D(2026, 11, 2), dry_run=True)[0] == "success"
    assert rows(db) == drifted and history_count(db) == written
    assert db.execute("SELECT count(*) FROM audit_finding").fetchone()[0] == 0

    assert run_dag(DAILY, D(2026, 11, 2))[0] == "success"
    assert row(db, "1004") == USED
    assert row(db, "1006") == USED
    assert row(db, "1050") == cooling(D(2026, 11, 4), D(2026, 11, 2))
    assert row(db, "1051") == cooling(D(2026, 11, 4), D(2026, 11, 2))
    assert row(db, "1020") == ("Used", "User", "Microsoft", None, None)
    findings = {
        (n, c): r for n, c, r in db.execute('SELECT number, "check", repaired FROM audit_finding').fetchall()
    }
    assert findings == {
        ("1004", "registered"): True,
        ("1006", "wrong_usage"): True,
        ("1050", "registration_gone"): True,
        ("1051", "cooling_without_release_date"): True,
        ("1020", "conflict"): False,
        ("1021", "conflict"): False,
        ("1022", "conflict"): False,
    }
    assert by_status(db)["Cooling"] == 2


def test_a_manual_run_without_logical_date_uses_the_day_it_ran(db, fleet, dagbag):
    import datetime as dt

    dag = dagbag.get_dag(SYNC)
    run_after = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
    dag_run = dag.test(run_after=run_after, logical_date=None, run_conf={"allow_mass_removal": False})

    assert str(dag_run.state) == "success" and dag_run.logical_date is None
    days = db.execute(
        "SELECT DISTINCT run_day FROM number_inventory_history WHERE dag_id IS NOT NULL"
    ).fetchall()
    assert days == [(D(2026, 11, 20),)]
