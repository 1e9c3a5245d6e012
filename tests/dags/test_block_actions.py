"""The block actions of the real ``number_inventory_action`` DAG (issue 25): a range or list added as
Available with a site and label, Available numbers removed, a CSV imported — in bulk, all or
nothing, within a tenant, each number with one history row saying who and why."""

from __future__ import annotations

import re

import pytest

from number_inventory import history, store, tenants
from tests.dags.helpers import D, by_status, history_count, rows

pytestmark = pytest.mark.dag

ACTION = "number_inventory_action"
DAY = D(2026, 11, 4)
REASON = "ticket CHG-2501: Berlin HQ block 2"


def act(run_dag, action: str, **form):
    return run_dag(ACTION, DAY, action=action, reason=form.pop("reason", REASON), **form)


def block_history(db, reason: str) -> list[tuple]:
    """``(actor, note, dag_id, before_status, after_status)`` and how many history rows have them, of
    the rows written with ``reason``."""
    return db.execute(
        "SELECT actor, note, dag_id, before_status, after_status, count(*) FROM number_inventory_history "
        "WHERE reason = %s GROUP BY 1, 2, 3, 4, 5",
        (reason,),
    ).fetchall()


def counted(db) -> dict[str, int]:
    """The view's counts by status (``number_inventory_count``, kept by the count triggers)."""
    return dict(
        db.execute(
            "SELECT status, sum(numbers) FROM number_inventory_count GROUP BY 1 HAVING sum(numbers) <> 0"
        ).fetchall()
    )


def replay_matches(db) -> bool:
    return history.replay(db) == history.inventory(db)


def test_a_range_of_100000_numbers_is_added_and_removed_with_who_and_why(db, run_dag):
    """The issue's done-when, through the form's parameters: 100,000 numbers added, then removed."""
    state, _ = act(
        run_dag, "add_numbers", first="+49 30 100000", last="+4930199999", site="berlin", label="HQ 2"
    )

    assert state == "success"
    added = db.execute(
        "SELECT count(*), min(number), max(number) FROM number_inventory "
        "WHERE status = 'Available' AND site = 'berlin' AND label = 'HQ 2' AND usage IS NULL"
    ).fetchone()
    assert added == (100_000, "+4930100000", "+4930199999")
    assert block_history(db, "manual_add_numbers") == [
        ("dag_test", REASON, ACTION, None, "Available", 100_000)
    ]
    # Exactly one history row per number (the history triggers left them to the action), and the
    # view's counts saw them.
    assert history_count(db) == 100_000 and counted(db) == {"Available": 100_000}
    run = db.execute("SELECT kind, summary FROM inventory_run WHERE dag_id = %s", (ACTION,)).fetchone()
    assert run[0] == "action" and run[1]["added"] == 100_000 and run[1]["actor"] == "dag_test"
    assert replay_matches(db)

    state, _ = act(
        run_dag,
        "remove_numbers",
        first="+4930100000",
        count=100_000,
        reason="ticket CHG-2502: block returned",
    )

    assert state == "success"
    assert by_status(db) == {} and counted(db) == {}
    assert history_count(db) == 200_000
    assert block_history(db, "manual_remove_numbers") == [
        ("dag_test", "ticket CHG-2502: block returned", ACTION, "Available", None, 100_000)
    ]
    assert replay_matches(db)


def test_adding_never_overwrites_a_number_and_names_those_present(db, run_dag, output):
    db.execute(
        "INSERT INTO number_inventory (number, status, usage, vendor) VALUES "
        "('4930123005', 'Used', 'Device', 'AudioCodes'), ('4930123007', 'Reserved', NULL, NULL)"
    )
    before, written = rows(db), history_count(db)

    state, _ = act(run_dag, "add_numbers", first="4930123000", last="4930123999")

    assert state == "failed"
    text = output()
    assert "2 of 1,000 number(s) are in the global tenant already" in text
    assert "4930123005 (Used / Device / AudioCodes), 4930123007 (Reserved)" in text
    assert rows(db) == before and history_count(db) == written


def test_a_list_is_added_with_its_site_and_a_dry_run_writes_nothing(db, run_dag, output):
    numbers = ["+1 415 555 0100", "+14155550101, +14155550102"]
    state, _ = act(run_dag, "add_numbers", numbers=numbers, site="sfo", dry_run=True)
    assert state == "success" and rows(db) == {} and history_count(db) == 0
    assert re.search(r"added\s+3\n", output())

    state, _ = act(run_dag, "add_numbers", numbers=numbers, site="sfo")
    assert state == "success"
    assert db.execute("SELECT number, status, site, label FROM number_inventory ORDER BY 1").fetchall() == [
        (f"+1415555010{i}", "Available", "sfo", None) for i in range(3)
    ]


def test_removing_refuses_numbers_that_are_not_available_naming_them(db, run_dag, output):
    db.execute(
        "INSERT INTO number_inventory (number, status, vendor, release_date) VALUES "
        "('2000', 'Available', NULL, NULL), ('2001', 'Used', 'Microsoft', NULL), "
        "('2002', 'Cooling', 'AudioCodes', '2026-12-01'), ('2003', 'Reserved', NULL, NULL), "
        "('2004', 'Used-Utility', NULL, NULL), ('2005', 'Available', NULL, NULL)"
    )
    before, written = rows(db), history_count(db)

    state, _ = act(run_dag, "remove_numbers", first="2000", last="2009")

    assert state == "failed"
    text = output()
    assert "4 number(s) are not Available" in text
    assert (
        "2001 (Used / Microsoft), 2002 (Cooling / AudioCodes), 2003 (Reserved), 2004 (Used-Utility)" in text
    )
    assert rows(db) == before and history_count(db) == written

    # Without them, the Available ones go; numbers not in the inventory are left alone.
    state, _ = act(run_dag, "remove_numbers", numbers=["2000", "2005", "2009"])
    assert state == "success"
    assert sorted(rows(db)) == ["2001", "2002", "2003", "2004"]
    assert replay_matches(db)


def test_removing_refuses_an_available_number_a_device_registers(db, devices, run_dag, output):
    devices["audiocodes_a"].register_numbers(range(1000, 1003))
    assert run_dag("audiocodes_number_sync", DAY)[0] == "success"
    db.execute(
        "UPDATE number_inventory SET status = 'Available', usage = NULL, vendor = NULL WHERE number = '1001'"
    )
    before = rows(db)

    state, _ = act(run_dag, "remove_numbers", numbers=["1001"])

    assert state == "failed"
    assert "1001 (on audiocodes_a)" in output()
    assert rows(db) == before


def test_a_tenant_gets_the_numbers_and_the_global_inventory_does_not(db, run_dag, output):
    with tenants.within(db, "acme", create=True):
        store.migrate(db)

    state, _ = act(run_dag, "add_numbers", first="1000", count=50, tenant="acme")

    assert state == "success"
    assert rows(db) == {}
    with tenants.within(db, "acme"):
        assert by_status(db) == {"Available": 50}
        assert block_history(db, "manual_add_numbers") == [
            ("dag_test", REASON, ACTION, None, "Available", 50)
        ]

    state, _ = act(run_dag, "add_numbers", first="1000", count=50, tenant="nobody")
    assert state == "failed"
    assert "tenant 'nobody' has no inventory yet" in output()


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"first": "1000", "last": "0999"}, "Parameter 'last' (0999) comes before 'first' (1000)"),
        ({"first": "1000", "last": "+1999"}, "must be spelled like 'first'"),
        ({"first": "1000"}, "Parameter 'first' needs Parameter 'last' or Parameter 'count'"),
        ({"first": "1000", "count": 9001}, "runs past the last 4-digit number"),
        ({"first": "10000000", "last": "11000000"}, "holds 1,000,001 numbers; at most 1,000,000 per run"),
        ({"first": "1000", "count": 5, "numbers": ["2000"]}, "not both"),
        ({"numbers": []}, "Give the numbers: a range"),
        ({"first": "alice", "count": 5}, "Parameter 'first' must be a number"),
        ({"first": "1000", "count": 5, "tenant": "Bad Name"}, "Parameter 'tenant' must be empty"),
        ({"first": "1000", "count": 5, "site": "a\tb"}, "Parameter 'site' must be text"),
    ],
    ids=[
        "backwards",
        "spelling",
        "no-end",
        "past-width",
        "too-many",
        "both",
        "nothing",
        "nan",
        "tenant",
        "site",
    ],
)
def test_bad_block_forms_change_nothing(db, run_dag, output, form, message):
    state, _ = act(run_dag, "add_numbers", **form)
    assert state == "failed"
    assert message in output()
    assert rows(db) == {} and history_count(db) == 0


CSV = """Number,Status,Site,Label
+49 30 5550100,,berlin,
+4930555 0101,reserved,,CEO line
+4930555010 2,Available,hamburg,Hamburg block
"""


def test_an_import_dry_run_reports_what_would_change_then_the_run_adds_it(db, run_dag, output):
    db.execute(
        "INSERT INTO number_inventory (number, status, vendor) VALUES ('+49305550101', 'Used', 'Microsoft')"
    )
    before, written = rows(db), history_count(db)

    state, _ = act(run_dag, "import_numbers", csv=CSV, site="default-site", dry_run=True)

    assert state == "success" and rows(db) == before and history_count(db) == written
    text = output()
    assert re.search(r"added\s+2\n", text) and re.search(r"already_present\s+1\n", text)
    assert "+49305550101 (Used / Microsoft)" in text

    state, _ = act(run_dag, "import_numbers", csv=CSV, site="default-site")

    assert state == "success"
    assert db.execute("SELECT number, status, site, label FROM number_inventory ORDER BY 1").fetchall() == [
        ("+49305550100", "Available", "berlin", None),
        ("+49305550101", "Used", None, None),  # already present: left alone, never overwritten
        ("+49305550102", "Available", "hamburg", "Hamburg block"),
    ]
    assert block_history(db, "manual_import_numbers") == [("dag_test", REASON, ACTION, None, "Available", 2)]
    # Importing the same file again changes nothing more.
    assert act(run_dag, "import_numbers", csv=CSV)[0] == "success"
    assert history_count(db) == written + 2


def test_an_import_with_a_bad_line_writes_nothing_and_names_every_bad_line(db, run_dag, output):
    bad = CSV + "alice,,,\n+49305550103,Cooling,,\n+4930 5550100,,,\n"
    for dry_run in (True, False):
        state, _ = act(run_dag, "import_numbers", csv=bad, dry_run=dry_run)
        assert state == "failed"
        text = output()
        assert "refused for 3 of 6 line(s); nothing was written (it would add 3, 0 already present)" in text
        assert "line 5: 'alice' is not a number" in text
        assert (
            "line 6: +49305550103: status 'Cooling'; an import adds numbers as Available or Reserved only"
            in text
        )
        assert "line 7: +49305550100 is also on line 2" in text
        assert rows(db) == {} and history_count(db) == 0


def test_an_import_reads_a_file_on_the_worker(db, run_dag, tmp_path):
    path = tmp_path / "numbers.csv"
    path.write_text("number\n" + "".join(f"+4940{n}\n" for n in range(1000, 3000)), encoding="utf-8")

    assert act(run_dag, "import_numbers", csv_path=str(path), label="from a file")[0] == "success"

    assert (
        db.execute("SELECT count(*) FROM number_inventory WHERE label = 'from a file'").fetchone()[0] == 2000
    )


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"csv": "number,colour\n1000,red\n"}, "got 'number', 'colour'"),
        ({"csv": "1000\n1001\n"}, "The CSV's first line must name its columns"),
        ({}, "needs exactly one of Parameter 'csv'"),
        ({"csv": "number\n1000\n", "csv_path": "/tmp/x.csv"}, "needs exactly one of Parameter 'csv'"),
        (
            {"csv_path": "/nonexistent/numbers.csv"},
            "Parameter 'csv_path': cannot read /nonexistent/numbers.csv",
        ),
    ],
    ids=["unknown-column", "no-header", "nothing", "both", "missing-file"],
)
def test_bad_imports_change_nothing(db, run_dag, output, form, message):
    state, _ = act(run_dag, "import_numbers", **form)
    assert state == "failed"
    assert message in output()
    assert rows(db) == {} and history_count(db) == 0


def test_the_per_number_actions_work_within_the_forms_tenant_too(db, run_dag, output):
    """The form's tenant field is honoured by every action: reserve acts on the tenant's numbers."""
    with tenants.within(db, "acme", create=True):
        store.migrate(db)
    assert act(run_dag, "add_numbers", numbers=["1000"], tenant="acme")[0] == "success"
    db.execute("INSERT INTO number_inventory (number) VALUES ('1000')")  # the global tenant's own 1000

    assert act(run_dag, "reserve", numbers=["1000"], tenant="acme")[0] == "success"

    assert by_status(db) == {"Available": 1}
    with tenants.within(db, "acme"):
        assert by_status(db) == {"Reserved": 1}
    assert act(run_dag, "reserve", numbers=["1000"], tenant="nobody")[0] == "failed"
    assert "tenant 'nobody' has no inventory yet" in output()
