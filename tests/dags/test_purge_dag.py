"""Decommissioning a connection with the purge DAG."""

from __future__ import annotations

import pytest

from tests.dags.helpers import USED, D, by_status, cooling, history_count, row, rows

pytestmark = pytest.mark.dag

PURGE = "audiocodes_connection_purge"


@pytest.fixture
def two_devices(db, devices, run_dag):
    a, b = devices["audiocodes_a"], devices["audiocodes_b"]
    a.register_numbers(range(1000, 1010))
    b.register_numbers(range(1005, 1015))
    assert run_dag("audiocodes_number_sync", D(2026, 11, 2))[0] == "success"
    return a, b


def test_purge_cools_only_numbers_no_other_connection_has(db, two_devices, run_dag):
    state, _ = run_dag(PURGE, D(2026, 11, 3), connection_id="audiocodes_b", confirm="audiocodes_b")

    assert state == "success"
    for n in range(1000, 1010):  # still on A
        assert row(db, str(n)) == USED
    for n in range(1010, 1015):  # only B had them
        assert row(db, str(n)) == cooling(D(2026, 11, 5), D(2026, 11, 3))
    reasons = db.execute(
        "SELECT DISTINCT reason FROM number_inventory_history WHERE number BETWEEN '1010' AND '1014'"
    ).fetchall()
    assert {r[0] for r in reasons} == {"registered", "connection_purged"}
    kept = db.execute("SELECT connection_id FROM audiocodes_connection").fetchall()
    assert kept == [("audiocodes_a",)]
    registrations = db.execute("SELECT DISTINCT connection_id FROM audiocodes_registration").fetchall()
    assert registrations == [("audiocodes_a",)]


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"connection_id": "audiocodes_b", "confirm": "audiocodes_a"}, "must repeat the connection id"),
        ({"connection_id": "audiocodes_b", "confirm": ""}, "must repeat the connection id"),
        ({"connection_id": "audiocodes_zzz", "confirm": "audiocodes_zzz"}, "has no kept read"),
    ],
    ids=["wrong-confirmation", "no-confirmation", "unknown-connection"],
)
def test_purge_refuses_bad_forms_and_changes_nothing(db, two_devices, run_dag, output, form, message):
    before, written = rows(db), history_count(db)

    state, _ = run_dag(PURGE, D(2026, 11, 3), **form)

    assert state == "failed"
    assert message in output()
    assert rows(db) == before and history_count(db) == written
    assert by_status(db) == {"Used": 15}
