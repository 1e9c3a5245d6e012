"""Dial plans through the real sync DAG: two simulated devices under a German dial plan, one printing
``0301234567`` and one ``+49301234567``, give one inventory number; a ``tel:`` URI's extension stays
a number of its own; a dial plan added to a connection that was read without one is not applied
behind the inventory's back (the read is refused, naming the action that moves the inventory)."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORDS, http_connection
from tests.dags.helpers import USED, D, by_status, rows

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
