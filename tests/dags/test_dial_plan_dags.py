"""Dial plans through the real sync DAG: two simulated devices under a German dial plan, one printing
``0301234567`` and one ``+49301234567``, give one inventory number; a ``tel:`` URI's extension stays
a number of its own; a dial plan added to a connection that was read without one is not applied
behind the inventory's back (the read is refused, naming the action that moves the inventory)."""

from __future__ import annotations

import pytest

from number_inventory import history, views
from tests.conftest import PASSWORDS, http_connection
from tests.dags.helpers import USED, D, by_status, rows
from tests.dags.test_inventory_counts import counted, kept

pytestmark = pytest.mark.dag

SYNC = "audiocodes_number_sync"
DAY1, DAY2, DAY3 = D(2026, 11, 2), D(2026, 11, 3), D(2026, 11, 4)
GERMAN_PLAN = {"country_code": "49"}


def configure(monkeypatch, devices, conn_id: str, **plan) -> None:
    """The connection of a bundled device, with the fixture's extras and ``plan``."""
    extras = {"page_size": 30, "backoff_seconds": 0.05, "timeout_seconds": 5, **plan}
    monkeypatch.setenv(
        f"AIRFLOW_CONN_{conn_id.upper()}", http_connection(devices[conn_id], PASSWORDS[conn_id], **extras)
    )


def last_read(db, connection_id: str) -> tuple:
    return db.execute(
        "SELECT state, error FROM audiocodes_read WHERE connection_id = %s ORDER BY read_id DESC LIMIT 1",
        (connection_id,),
    ).fetchone()


def test_two_devices_spelling_one_number_differently_give_one_number(db, devices, run_dag, monkeypatch):
    a, b = devices["audiocodes_a"], devices["audiocodes_b"]
    for conn_id in devices:
        configure(monkeypatch, devices, conn_id, **GERMAN_PLAN)
    a.register("0301234567@10.8.5.71")
    a.register("sip:030-1234568;user=phone@10.8.5.71")
    a.register("1000@10.8.5.71")
    a.register("alice@10.8.5.71")
    b.register("+49301234567@10.8.5.72")
    b.register("tel:+12065551000;ext=524")
    b.register("tel:+12065551000")
    b.register("+4900000@10.8.5.72")  # not a valid German number: skipped, as alice is

    assert run_dag(SYNC, DAY1)[0] == "success"
    assert rows(db) == {
        "+49301234567": USED,
        "+49301234568": USED,
        "1000": USED,
        "+12065551000;ext=524": USED,
        "+12065551000": USED,
    }
    skipped = dict(db.execute("SELECT connection_id, skipped_aors FROM audiocodes_read").fetchall())
    assert skipped == {"audiocodes_a": 1, "audiocodes_b": 1}

    # Device A unplugs its phone: B still registers the number, so it stays Used; the extension's
    # phone goes and only that number cools, not the DID it hangs off.
    a.unregister("0301234567@10.8.5.71")
    b.unregister("tel:+12065551000;ext=524")
    assert run_dag(SYNC, DAY2)[0] == "success"
    after = rows(db)
    assert after["+49301234567"] == USED and after["+12065551000"] == USED
    assert after["+12065551000;ext=524"][0] == "Cooling"
    assert by_status(db) == {"Used": 4, "Cooling": 1}


def test_a_dial_plan_added_later_is_refused_until_the_inventory_is_moved(db, devices, run_dag, monkeypatch):
    """Read without a plan, device A's number is ``0301234567``. With the German plan added, the read
    would register ``+49301234567`` and cool ``0301234567``, which would later be released and handed
    out while the phone is in use: the read is refused, naming the action, and nothing changes."""
    a, b = devices["audiocodes_a"], devices["audiocodes_b"]
    a.register_numbers(["0301234567", "0301234568"])
    b.register_numbers(["1000"])
    assert run_dag(SYNC, DAY1)[0] == "success"
    before = rows(db)
    assert set(before) == {"0301234567", "0301234568", "1000"}

    configure(monkeypatch, devices, "audiocodes_a", **GERMAN_PLAN)
    state, tasks = run_dag(SYNC, DAY2)
    assert state == "failed"
    assert sorted(tasks["read_connection"]) == ["failed", "success"]
    read_state, error = last_read(db, "audiocodes_a")
    assert read_state == "failed"
    assert "dial plan changed (kept read: no dial plan; this read: country_code=49" in error
    assert "canonicalise_numbers" in error
    assert rows(db) == before  # nothing cooled, nothing registered anew
    assert last_read(db, "audiocodes_b") == ("complete", None)  # the other connection reads on


ACTION = "number_inventory_action"
REASON = "CHG-2511: German dial plan for sbc A"


def canonicalise(run_dag, day, *, apply: bool, connection_id: str = "audiocodes_a", **form):
    return run_dag(
        ACTION,
        day,
        action="canonicalise_numbers",
        connection_id=connection_id,
        canonicalise_apply=apply,
        reason=form.pop("reason", REASON),
        **form,
    )


def changes(db, number: str) -> list[tuple]:
    return db.execute(
        "SELECT reason, actor, note, before_status, after_status FROM number_inventory_history "
        "WHERE number = %s AND dag_id = %s ORDER BY id",
        (number, ACTION),
    ).fetchall()


def test_the_upgrade_merges_what_is_unambiguous_and_reports_the_rest(db, devices, run_dag, monkeypatch):
    """Without a plan, A registers 0301234567..69 and B +49301234567: two rows for one number. An
    operator has reserved +49301234569 by hand. With the German plan on A: the read is refused; the
    action reports, then merges 0301234567 into +49301234567 (both Used by the device), renames
    0301234568, and leaves 0301234569 / +49301234569 (Used against Reserved) as findings, so A's reads
    stay refused. Once the operator resolves it and the action runs again, the sync reads A under the
    plan and nothing cools."""
    a, b = devices["audiocodes_a"], devices["audiocodes_b"]
    a.register_numbers(["0301234567", "0301234568", "0301234569"])
    b.register_numbers(["+49301234567"])
    assert run_dag(SYNC, DAY1)[0] == "success"
    db.execute(
        "INSERT INTO number_inventory (number, status, tag) VALUES ('+49301234569', 'Reserved', 'CEO')"
    )
    assert len(rows(db)) == 5

    configure(monkeypatch, devices, "audiocodes_a", **GERMAN_PLAN)
    assert run_dag(SYNC, DAY2)[0] == "failed"
    before = rows(db)

    # The report (the default) writes nothing.
    state, _ = canonicalise(run_dag, DAY2, apply=False)
    assert state == "success" and rows(db) == before
    assert db.execute("SELECT count(*) FROM audit_finding").fetchone()[0] == 0

    assert canonicalise(run_dag, DAY2, apply=True)[0] == "success"
    after = rows(db)
    assert after == {
        "+49301234567": USED,
        "+49301234568": USED,
        "0301234569": USED,
        "+49301234569": ("Reserved", None, None, "CEO", None),
    }
    assert changes(db, "0301234567") == [
        ("canonicalised", "dag_test", f"{REASON}; merged into +49301234567", "Used", None)
    ]
    assert changes(db, "+49301234568") == [
        ("canonicalised", "dag_test", f"{REASON}; renamed from 0301234568", None, "Used")
    ]
    findings = db.execute(
        "SELECT number, \"check\", after->>'why' FROM audit_finding ORDER BY number"
    ).fetchall()
    assert [(n, c) for n, c, _ in findings] == [
        ("+49301234569", "ambiguous_spellings"),
        ("0301234569", "ambiguous_spellings"),
    ]
    assert "Reserved" in findings[0][2] and "Used / Device / AudioCodes" in findings[0][2]
    with views.reading(db):  # the view shows them with the latest audit, by connection
        shown = views.latest_audit(db, limit=10)["canonical_findings"]
    assert [(f["number"], f["check"], f["connection_id"]) for f in shown] == [
        ("+49301234569", "ambiguous_spellings", "audiocodes_a"),
        ("0301234569", "ambiguous_spellings", "audiocodes_a"),
    ]
    on_a = db.execute(
        "SELECT number FROM audiocodes_registration WHERE connection_id = 'audiocodes_a' ORDER BY 1"
    ).fetchall()
    assert [n for (n,) in on_a] == ["+49301234567", "+49301234568", "0301234569"]
    # Not accepted while a finding remains: the sync still refuses A's read and changes nothing.
    assert run_dag(SYNC, DAY2)[0] == "failed"
    assert rows(db) == after

    # The operator decides the device is right (the reservation was a mistake), and runs it again.
    db.execute("DELETE FROM number_inventory WHERE number = '+49301234569'")
    assert canonicalise(run_dag, DAY3, apply=True)[0] == "success"
    assert run_dag(SYNC, DAY3)[0] == "success"
    assert rows(db) == {"+49301234567": USED, "+49301234568": USED, "+49301234569": USED}
    assert last_read(db, "audiocodes_a") == ("complete", None)
    with views.reading(db):  # the run that accepted the plan left nothing for an operator
        assert views.latest_audit(db, limit=10)["canonical_findings"] == []
    assert history.replay(db) == history.inventory(db)  # every merge and rename is on the record
    assert kept(db) == counted(db)  # and the view's counts followed them


def test_canonicalise_needs_a_connection_with_a_dial_plan(db, devices, run_dag, output):
    a = devices["audiocodes_a"]
    a.register_numbers(["0301234567"])
    assert run_dag(SYNC, DAY1)[0] == "success"
    before = rows(db)
    assert canonicalise(run_dag, DAY2, apply=True, connection_id=None)[0] == "failed"
    assert "Parameter 'connection_id' is required for canonicalise_numbers" in output()
    assert canonicalise(run_dag, DAY2, apply=True)[0] == "failed"
    assert "connection 'audiocodes_a' has no dial plan" in output()
    assert rows(db) == before


def test_a_bad_dial_plan_fails_the_read_naming_the_extra(db, devices, run_dag, monkeypatch, output):
    devices["audiocodes_a"].register_numbers(["0301234567"])
    devices["audiocodes_b"].register_numbers(["1000"])
    configure(monkeypatch, devices, "audiocodes_a", country_code="999")
    assert run_dag(SYNC, DAY1)[0] == "failed"
    assert devices["audiocodes_a"].requests_served == 0  # refused before any request
    assert (
        "Connection 'audiocodes_a': extra 'country_code' must be a country calling code that exists"
        in output()
    )
    assert rows(db) == {"1000": USED}  # the other connection is read; nothing of A's


def test_canonicalise_works_within_the_connections_tenant(db, devices, run_dag, monkeypatch):
    """A connection of tenant ``acme`` keeps its read and its numbers in acme's inventory: the action
    moves those, and the global inventory's own ``0301234567`` (another customer's) is left alone."""
    from number_inventory import tenants

    db.execute("INSERT INTO number_inventory (number, status) VALUES ('0301234567', 'Reserved')")
    a = devices["audiocodes_a"]
    a.register_numbers(["0301234567"])
    configure(monkeypatch, devices, "audiocodes_a", tenant="acme")
    monkeypatch.setenv("AIRFLOW_VAR_AUDIOCODES_CONNECTIONS", '["audiocodes_a"]')
    assert run_dag(SYNC, DAY1)[0] == "success"

    configure(monkeypatch, devices, "audiocodes_a", tenant="acme", **GERMAN_PLAN)
    assert canonicalise(run_dag, DAY2, apply=True)[0] == "success"
    with tenants.within(db, "acme"):
        assert rows(db) == {"+49301234567": USED}
        assert changes(db, "+49301234567")[-1][0] == "canonicalised"
    assert db.execute("SELECT number, status FROM number_inventory").fetchall() == [
        ("0301234567", "Reserved")
    ]
    assert run_dag(SYNC, DAY3)[0] == "success"  # the plan is accepted: the read is kept
    with tenants.within(db, "acme"):
        assert rows(db) == {"+49301234567": USED}
