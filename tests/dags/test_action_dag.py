"""Manual actions through the real ``number_inventory_action`` DAG, on an inventory that the real sync
made from the bundled devices over HTTP: each action, all or nothing, dry runs, the limit, and the
history's record of who and why."""

from __future__ import annotations

import pytest

from number_inventory import views
from number_inventory.action_form import MAX_NUMBERS
from tests.dags.helpers import USED, D, cooling, history_count, row, rows

# Airflow is imported inside the tests only: importing it while tests are collected would fix its
# configuration before every test module has been imported (see tests/conftest.py).
pytestmark = pytest.mark.dag

ACTION, SYNC = "number_inventory_action", "audiocodes_number_sync"
DAY1, DAY2, DAY3 = D(2026, 11, 2), D(2026, 11, 3), D(2026, 11, 4)
REASON = "ticket INC-4711: number port-out"
AVAILABLE = ("Available", None, None, None, None)


@pytest.fixture
def inventory(db, devices, run_dag):
    """1000–1009 registered on A and 1010–1019 on B on day 1; 1000–1004 left A on day 2 and cool
    until day 4. Loaded by hand: 2000–2004 Available, 2100 Reserved, 3000 cooling for Microsoft, and
    1005 (still registered on A) set to Cooling by an operator's UPDATE."""
    a, b = devices["audiocodes_a"], devices["audiocodes_b"]
    a.register_numbers(range(1000, 1010))
    b.register_numbers(range(1010, 1020))
    assert run_dag(SYNC, DAY1)[0] == "success"
    for n in range(1000, 1005):
        a.unregister(str(n))
    assert run_dag(SYNC, DAY2)[0] == "success"
    db.execute(
        "INSERT INTO number_inventory (number, status, vendor, tag, release_date) VALUES "
        "('2000', 'Available', NULL, NULL, NULL), ('2001', 'Available', NULL, NULL, NULL), "
        "('2002', 'Available', NULL, NULL, NULL), ('2003', 'Available', NULL, NULL, NULL), "
        "('2004', 'Available', NULL, NULL, NULL), ('2100', 'Reserved', NULL, 'CEO', NULL), "
        "('3000', 'Cooling', 'Microsoft', NULL, '2026-12-01')"
    )
    db.execute(
        "UPDATE number_inventory SET status = 'Cooling', tag = 'Cooling: 2 day(s) until release on "
        "2026-11-05', release_date = '2026-11-05' WHERE number = '1005'"
    )
    assert row(db, "1000") == cooling(D(2026, 11, 5), DAY2)
    return a, b


def act(run_dag, action: str, numbers: list[str], **form):
    return run_dag(ACTION, DAY3, action=action, numbers=numbers, reason=form.pop("reason", REASON), **form)


def history(db, number: str) -> list[tuple]:
    """``(dag_id, reason, actor, note, before_status, after_status)`` of a number's history written by
    the DAGs (not the fixture's hand edits), oldest first."""
    return db.execute(
        "SELECT dag_id, reason, actor, note, before_status, after_status FROM number_inventory_history "
        "WHERE number = %s AND dag_id IS NOT NULL ORDER BY id",
        (number,),
    ).fetchall()


def test_release_now_frees_cooling_numbers_and_records_who_and_why(db, inventory, run_dag):
    state, tasks = act(run_dag, "release_now", ["1000", "1 001", "10-02"])

    assert state == "success", tasks
    for n in ("1000", "1001", "1002"):
        assert row(db, n) == AVAILABLE
    assert row(db, "1003") == cooling(D(2026, 11, 5), DAY2)
    assert history(db, "1000")[-1] == (
        ACTION,
        "manual_release_now",
        "dag_test",
        REASON,
        "Cooling",
        "Available",
    )
    # The pipeline's own changes carry no actor or note.
    assert history(db, "1000")[0][1:4] == ("registered", None, None)
    run = db.execute("SELECT kind, summary FROM inventory_run WHERE dag_id = %s", (ACTION,)).fetchall()
    assert len(run) == 1 and run[0][0] == "action"
    assert run[0][1]["changed"] == 3 and run[0][1]["actor"] == "dag_test" and run[0][1]["reason"] == REASON


def test_the_view_shows_who_and_why(db, inventory, run_dag):
    assert act(run_dag, "release_now", ["1000"])[0] == "success"

    with views.reading(db):
        mine = views.number_history(db, "1000", limit=10, offset=0)["items"]
        recent = views.recent_changes(db, limit=1, offset=0)["items"]
    assert [(r["reason"], r["actor"], r["note"]) for r in mine] == [
        ("manual_release_now", "dag_test", REASON),
        ("registration_gone", None, None),
        ("registered", None, None),
    ]
    assert (recent[0]["number"], recent[0]["actor"], recent[0]["note"]) == ("1000", "dag_test", REASON)


def test_extend_cooling_counts_from_the_run_day(db, inventory, run_dag):
    state, _ = act(run_dag, "extend_cooling", ["1000", "1005"], days=30)

    assert state == "success"
    for n in ("1000", "1005"):
        assert row(db, n) == cooling(D(2026, 12, 4), DAY3)
    assert history(db, "1000")[-1][1] == "manual_extend_cooling"


def test_cancel_cooling_puts_a_registered_number_back_in_use(db, inventory, run_dag):
    state, _ = act(run_dag, "cancel_cooling", ["1005"])

    assert state == "success"
    assert row(db, "1005") == USED
    assert history(db, "1005")[-1][1:] == ("manual_cancel_cooling", "dag_test", REASON, "Cooling", "Used")


def test_cancel_cooling_of_a_number_no_device_registers_is_refused(db, inventory, run_dag, output):
    before, written = rows(db), history_count(db)

    state, tasks = act(run_dag, "cancel_cooling", ["1000"])

    assert state == "failed" and tasks["act"] == ["failed"]
    assert "1000: no device registers it" in output()
    assert rows(db) == before and history_count(db) == written


def test_reserve_and_unreserve(db, inventory, run_dag):
    assert act(run_dag, "reserve", ["2000", "2001"])[0] == "success"
    assert row(db, "2000") == ("Reserved", None, None, None, None)
    assert act(run_dag, "unreserve", ["2000", "2100"])[0] == "success"
    assert row(db, "2000") == AVAILABLE and row(db, "2100") == ("Available", None, None, "CEO", None)
    assert row(db, "2001")[0] == "Reserved"
    reasons = [h[1] for h in history(db, "2000")]
    assert reasons == ["manual_reserve", "manual_unreserve"]


def test_a_mixed_list_writes_nothing_and_names_every_refused_number(db, inventory, run_dag, output):
    before, written = rows(db), history_count(db)

    state, tasks = act(run_dag, "release_now", ["1000", "1005", "1007", "9999", "3000", "1001"])

    assert state == "failed" and tasks["act"] == ["failed"]
    assert rows(db) == before and history_count(db) == written  # 1000 and 1001 were fine, yet kept
    text = output()
    assert "release_now refused for 4 of 6 number(s); nothing was written" in text
    assert "1005: a device registers it (on audiocodes_a): releasing it would free a number in use" in text
    assert "1007: it is Used / Device / AudioCodes, not Cooling" in text
    assert "9999: not in the inventory" in text
    assert "3000: another vendor's number (Microsoft)" in text
    assert db.execute("SELECT count(*) FROM inventory_run WHERE kind = 'action'").fetchone()[0] == 0


def test_a_number_a_device_registers_is_never_unreserved(db, inventory, run_dag, output):
    db.execute("UPDATE number_inventory SET status = 'Reserved' WHERE number = '1010'")  # on B
    before = rows(db)

    state, _ = act(run_dag, "unreserve", ["1010", "2100"])

    assert state == "failed"
    assert "1010: a device registers it (on audiocodes_b): unreserving it would free" in output()
    assert rows(db) == before


def test_dry_run_reports_and_writes_nothing(db, inventory, run_dag, output):
    before, written = rows(db), history_count(db)

    state, _ = act(run_dag, "release_now", ["1000", "1001"], dry_run=True)

    assert state == "success"
    assert rows(db) == before and history_count(db) == written
    text = output()
    assert "Would change 2 number(s)" in text and "1000: Cooling (2026-11-05) → Available" in text
    assert db.execute("SELECT count(*) FROM inventory_run WHERE kind = 'action'").fetchone()[0] == 0


def test_a_dry_run_with_refusals_fails_like_the_real_run(db, inventory, run_dag, output):
    before = rows(db)
    state, _ = act(run_dag, "reserve", ["2000", "1006"], dry_run=True)
    assert state == "failed"
    assert "1006: it is Used / Device / AudioCodes, not Available" in output()
    assert rows(db) == before


def test_re_running_an_action_changes_nothing_more(db, inventory, run_dag):
    assert act(run_dag, "reserve", ["2002"])[0] == "success"
    written = history_count(db)
    assert act(run_dag, "reserve", ["2002"])[0] == "success"
    assert history_count(db) == written and row(db, "2002")[0] == "Reserved"


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"action": "reserve", "numbers": ["2000"], "reason": "      "}, "Parameter 'reason' is required"),
        ({"action": "reserve", "numbers": ["2000", "alice"]}, "are not numbers"),
        ({"action": "extend_cooling", "numbers": ["1000"]}, "Parameter 'days' must be a whole number"),
        # The form allows no numbers (add and remove numbers take a range instead); the action does not.
        ({"action": "reserve", "numbers": []}, "Parameter 'numbers' is empty"),
    ],
    ids=["blank-reason", "not-a-number", "extend-without-days", "no-numbers"],
)
def test_bad_forms_change_nothing(db, inventory, run_dag, output, form, message):
    before = rows(db)
    state, _ = run_dag(ACTION, DAY3, **{"reason": REASON, **form})
    assert state == "failed"
    assert message in output()
    assert rows(db) == before


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"action": "reserve", "numbers": ["2000"], "reason": ""}, "reason: '' is too short"),
        ({"action": "wipe", "numbers": ["2000"]}, "action: 'wipe' is not one of"),
        ({"action": "extend_cooling", "numbers": ["1000"], "days": 1000}, "days: 1000 is greater than"),
    ],
    ids=["empty-reason", "unknown-action", "too-many-days"],
)
def test_the_form_itself_refuses_what_its_schema_forbids(db, inventory, run_dag, form, message):
    """Airflow checks the Params' schema before a run exists (the UI, the REST API and the CLI too)."""
    from airflow.sdk.exceptions import ParamValidationError

    before = rows(db)
    with pytest.raises(ParamValidationError) as refused:
        run_dag(ACTION, DAY3, **{"reason": REASON, **form})
    assert message in str(refused.value)
    assert rows(db) == before


def test_more_numbers_than_the_limit_are_refused(db, inventory, run_dag, output):
    from airflow.sdk.exceptions import ParamValidationError

    before = rows(db)
    numbers = [str(5_000_000 + i) for i in range(MAX_NUMBERS + 1)]
    with pytest.raises(ParamValidationError, match="is too long"):
        act(run_dag, "reserve", numbers)
    assert rows(db) == before
    # The limit holds in the task too, for numbers typed several to a line.
    state, _ = act(run_dag, "reserve", [",".join(numbers[:5001]), ",".join(numbers[5001:])])
    assert state == "failed"
    assert f"holds {MAX_NUMBERS + 1:,} numbers; at most {MAX_NUMBERS:,} per run" in output()
    assert rows(db) == before
