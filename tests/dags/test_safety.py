"""Faults on the device side and bad input, through the real sync DAG, a real PostgreSQL and the
bundled devices over real HTTP. Whatever goes wrong, no number is cooled or lost because of it, and
no password reaches the output."""

from __future__ import annotations

import json

import pytest

from tests.conftest import PASSWORDS, http_connection
from tests.dags.helpers import USED, D, by_status, history_count, row, rows

pytestmark = pytest.mark.dag

SYNC = "audiocodes_number_sync"
DAY1, DAY2 = D(2026, 11, 2), D(2026, 11, 3)
A_NUMBERS = [str(n) for n in range(1000, 1150)]
B_NUMBERS = [str(n) for n in range(2000, 2150)]


def assert_no_secret(text: str, *extra: str) -> None:
    for secret in (*PASSWORDS.values(), *extra):
        assert secret not in text


def read_error(db, connection_id: str) -> tuple[str, str]:
    return db.execute(
        "SELECT state, error FROM audiocodes_read WHERE connection_id = %s ORDER BY read_id DESC LIMIT 1",
        (connection_id,),
    ).fetchone()


def test_transient_503_is_retried_and_the_run_succeeds(db, synced, run_dag, output):
    _, b = synced
    b.fail_page(1, 503, times=2)
    b.unregister("2000")

    state, tasks = run_dag(SYNC, DAY2)

    assert state == "success", tasks
    assert read_error(db, "audiocodes_b") == ("complete", None)
    assert row(db, "2000")[0] == "Cooling"  # the read was good, so its change applies
    assert_no_secret(output())


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        (lambda b: b.fail_page(1, 500, times=None), "HTTP 500, still failing after"),
        (lambda b: b.not_json_page(1), "not JSON"),
        (lambda b: b.drop_items(1, 2), "does not add up"),
        (lambda b: b.fail_page(0, 404, times=None), "HTTP 404"),
    ],
    ids=["page-always-fails", "page-not-json", "page-short-of-items", "wrong-path"],
)
def test_a_bad_read_keeps_the_previous_one(db, synced, run_dag, output, fault, message):
    a, b = synced
    fault(b)
    for n in B_NUMBERS[:5]:
        b.unregister(n)  # would cool if the bad read were believed
    a.unregister("1000")  # the healthy connection is still reconciled
    a.register("1150")

    state, tasks = run_dag(SYNC, DAY2)

    assert state == "failed"
    assert sorted(tasks["read_connection"]) == ["failed", "success"]
    assert tasks["reconcile"] == ["success"] and tasks["check_reads"] == ["failed"]
    inventory = rows(db)
    assert all(inventory[n] == USED for n in B_NUMBERS)
    assert inventory["1000"][0] == "Cooling" and inventory["1150"] == USED
    state, error = read_error(db, "audiocodes_b")
    assert state == "failed" and message in error
    text = output()
    assert "audiocodes_b" in text and message in text
    assert_no_secret(text)


def test_total_changing_mid_read_starts_over(db, synced, run_dag):
    a, _ = synced
    a.change_total_during_read(1, add=3, times=1)

    state, _ = run_dag(SYNC, DAY2)

    assert state == "success"
    assert [row(db, n) for n in ("1150", "1151", "1152")] == [USED] * 3
    assert by_status(db) == {"Used": 303}


def test_wrong_password_fails_at_once_without_leaking_it(db, synced, run_dag, output, monkeypatch):
    _, b = synced
    monkeypatch.setenv(
        "AIRFLOW_CONN_AUDIOCODES_B", http_connection(b, "hunter2-wrong-password", page_size=30, retries=4)
    )
    b.unregister("2000")
    served = b.requests_served

    state, _ = run_dag(SYNC, DAY2)

    assert state == "failed"
    assert b.requests_served - served == 1  # no retries of a refused login
    assert row(db, "2000") == USED
    _, error = read_error(db, "audiocodes_b")
    assert "HTTP 401" in error and "login and password" in error
    text = output()
    assert "HTTP 401" in text
    assert_no_secret(text, "hunter2-wrong-password")


def test_an_empty_read_of_a_full_device_is_suspicious(db, synced, run_dag, output):
    _, b = synced
    b.clear()  # an SBC rebooted with an empty registration table

    state, _ = run_dag(SYNC, DAY2)

    assert state == "failed"
    assert by_status(db) == {"Used": 300}
    _, error = read_error(db, "audiocodes_b")
    assert "suspicious read: 150 of the 150 numbers" in error

    # The operator confirms it really is empty: a manual run with the override cools them.
    state, _ = run_dag(SYNC, DAY2, allow_mass_removal=True)
    assert state == "success"
    assert by_status(db) == {"Used": 150, "Cooling": 150}


@pytest.mark.parametrize("duration", ["abc", "-1", "2.5", "1000", ""])
def test_bad_cooling_duration_fails_before_any_write(db, synced, run_dag, output, monkeypatch, duration):
    a, _ = synced
    monkeypatch.setenv("AIRFLOW_VAR_AUDIOCODES_COOLING_DURATION", duration)
    a.unregister("1000")
    before, written = rows(db), history_count(db)
    served = a.requests_served

    state, tasks = run_dag(SYNC, DAY2)

    assert state == "failed" and tasks["prepare"] == ["failed"]
    assert rows(db) == before and history_count(db) == written
    assert a.requests_served == served
    assert "'audiocodes_cooling_duration' must be a whole number of days from 0 to 999" in output()


def test_a_connection_never_read_keeps_every_number_from_cooling(db, synced, run_dag, monkeypatch):
    a, _ = synced
    monkeypatch.setenv(
        "AIRFLOW_VAR_AUDIOCODES_CONNECTIONS", json.dumps(["audiocodes_a", "audiocodes_b", "audiocodes_new"])
    )
    monkeypatch.setenv(
        "AIRFLOW_CONN_AUDIOCODES_NEW",
        json.dumps(
            {"conn_type": "http", "host": "127.0.0.1", "port": 9, "schema": "http", "extra": {"retries": 0}}
        ),
    )
    a.unregister("1000")  # may be on the device we could not read yet

    state, _ = run_dag(SYNC, DAY2)

    assert state == "failed"
    assert row(db, "1000") == USED
    summary = db.execute("SELECT summary FROM inventory_run ORDER BY id DESC LIMIT 1").fetchone()[0]
    assert summary["never_read"] == ["audiocodes_new"] and summary["withheld"] == 1


HOSTILE = [
    "'; DROP TABLE number_inventory; --@10.0.0.1",
    'a"b,c\nd\te@10.0.0.1',
    "\x00\x01\x02@10.0.0.1",
    "ñøñ-ünïcødé@10.0.0.1",
    "x" * 10_000 + "@10.0.0.1",
    "sip:@",
    "",
    "1" * 40 + "@10.0.0.1",
]


def test_hostile_aor_text_is_skipped_and_counted(db, synced, run_dag):
    a, _ = synced
    a.set_bindings(
        [(aor, f"<sip:{aor}>;expires=180; Active status:1 \\N \x00 '") for aor in HOSTILE]
        + [(f"{n}@10.8.5.71", "<sip:x>; status:1") for n in A_NUMBERS]
    )

    state, _ = run_dag(SYNC, DAY2)

    assert state == "success"
    assert by_status(db) == {"Used": 300}
    skipped = db.execute(
        "SELECT skipped_aors, bindings FROM audiocodes_read WHERE connection_id = 'audiocodes_a' "
        "ORDER BY read_id DESC LIMIT 1"
    ).fetchone()
    assert skipped == (len(HOSTILE), len(HOSTILE) + len(A_NUMBERS))
