"""The daily audit's sharper findings through the real daily DAG, a real PostgreSQL and the bundled
devices over real HTTP: the vendor spelled otherwise (repaired), AudioCodes numbers that are neither
Used nor Cooling (reported), one number in two spellings (reported, never merged), and an operator's
own Tag that survives a number becoming Used."""

from __future__ import annotations

import pytest

from tests.dags.helpers import USED, D, cooling, row

pytestmark = pytest.mark.dag

SYNC, DAILY = "audiocodes_number_sync", "number_inventory_daily"
DAY1, DAY2 = D(2026, 11, 2), D(2026, 11, 3)


def findings(db) -> set[tuple[str, str, bool]]:
    return set(db.execute('SELECT number, "check", repaired FROM audit_finding').fetchall())


def test_the_audit_repairs_spellings_and_reports_what_it_must_not_touch(db, devices, run_dag):
    a, _ = devices["audiocodes_a"], devices["audiocodes_b"]
    a.register_numbers(["1000", "1001", "+14155550100", "1003"])
    assert run_dag(SYNC, DAY1)[0] == "success"
    # Hand edits and loads the pipeline did not make.
    db.execute("UPDATE number_inventory SET vendor = 'audiocodes' WHERE number = '1000'")
    db.execute("UPDATE number_inventory SET vendor = 'AudioCodes ' WHERE number = '1001'")
    db.execute(
        "INSERT INTO number_inventory (number, status, usage, vendor, tag) VALUES "
        "('14155550100', 'Used', 'Teams', 'Microsoft', NULL), "
        "('1002', 'Reserved', NULL, 'AudioCodes', 'held for the lobby')"
    )
    a.unregister("1001")  # gone: its spelling is repaired, then it cools like any AudioCodes number
    assert run_dag(SYNC, DAY2)[0] == "success"
    assert row(db, "1001") == ("Used", "Device", "AudioCodes ", None, None)  # the sync leaves it

    state, _ = run_dag(DAILY, DAY2)

    assert state == "success"
    assert row(db, "1000") == USED
    assert row(db, "1001") == cooling(D(2026, 11, 5), DAY2)
    assert row(db, "1002") == ("Reserved", None, "AudioCodes", "held for the lobby", None)  # reported only
    assert row(db, "14155550100") == ("Used", "Teams", "Microsoft", None, None)  # never merged
    assert row(db, "+14155550100") == USED
    assert findings(db) == {
        ("1000", "vendor_spelling", True),
        ("1001", "vendor_spelling", True),
        ("1001", "registration_gone", True),
        ("1002", "not_used_or_cooling", False),
        ("14155550100", "possible_duplicate", False),
        ("+14155550100", "possible_duplicate", False),
    }
    # The history holds one row per change, from the values the database held.
    history = db.execute(
        "SELECT number, reason, before_vendor, after_vendor FROM number_inventory_history "
        "WHERE run_day = %s ORDER BY number",
        (DAY2,),
    ).fetchall()
    assert history == [
        ("1000", "vendor_spelling", "audiocodes", "AudioCodes"),
        ("1001", "registration_gone", "AudioCodes ", "AudioCodes"),
    ]


def test_an_operators_tag_survives_a_number_becoming_used(db, devices, run_dag):
    a = devices["audiocodes_a"]
    db.execute(
        "INSERT INTO number_inventory (number, tag) VALUES ('1000', 'ordered for Berlin'), ('1001', NULL)"
    )
    a.register_numbers(["1000", "1001"])

    assert run_dag(SYNC, DAY1)[0] == "success"

    assert row(db, "1000") == ("Used", "Device", "AudioCodes", "ordered for Berlin", None)
    assert row(db, "1001") == USED
