"""Two tenants, each with its own SBC (the bundled device simulators over real HTTP), registering the
same extension: two inventory rows, kept apart through sync, cooling, release, purge and the manual
actions (``dag.test()``, a real PostgreSQL, the clock moved with ``NUMBER_INVENTORY_TODAY``)."""

from __future__ import annotations

import pytest

from number_inventory import tenants
from tests.conftest import PASSWORDS, http_connection
from tests.dags.helpers import USED, D, by_status, cooling, history_count, rows

pytestmark = pytest.mark.dag

SYNC, DAILY, PURGE, ACTION = (
    "audiocodes_number_sync",
    "number_inventory_daily",
    "audiocodes_connection_purge",
    "number_inventory_action",
)
AVAILABLE = ("Available", None, None, None, None)
PLACES = {"audiocodes_a": ("acme", "Berlin HQ"), "audiocodes_b": ("beta", "Paris")}


def place(monkeypatch, devices, conn_id: str, tenant: str, site: str = "") -> None:
    """Give the bundled connection ``conn_id`` the extras ``tenant`` and ``site``."""
    extras = {"page_size": 30, "backoff_seconds": 0.05, "timeout_seconds": 5, "tenant": tenant, "site": site}
    connection = http_connection(devices[conn_id], PASSWORDS[conn_id], **extras)
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", connection)


def of(db, tenant: str, read=rows):
    """``read(db)`` within ``tenant``'s inventory."""
    with tenants.within(db, tenant):
        return read(db)


@pytest.fixture
def sbcs(db, devices, monkeypatch):
    """Device A is tenant acme's SBC (site Berlin HQ), device B tenant beta's (site Paris); both
    register extension 1000, A also 1001, B also 1002."""
    for conn_id, (tenant, site) in PLACES.items():
        place(monkeypatch, devices, conn_id, tenant, site)
    a, b = devices["audiocodes_a"], devices["audiocodes_b"]
    a.register_numbers(["1000", "1001"])
    b.register_numbers(["1000", "1002"])
    return a, b


def test_two_tenants_keep_the_same_extension_apart_through_sync_cooling_release_and_purge(db, sbcs, run_dag):
    _, b = sbcs

    # Day 1: one row of 1000 in each tenant's inventory, none in the global one.
    assert run_dag(SYNC, D(2026, 11, 2))[0] == "success"
    assert of(db, "acme") == {"1000": USED, "1001": USED}
    assert of(db, "beta") == {"1000": USED, "1002": USED}
    assert rows(db) == {} and tenants.known(db) == ["acme", "beta"]
    sites = of(
        db, "acme", lambda c: c.execute("SELECT connection_id, site FROM audiocodes_connection").fetchall()
    )
    assert sites == [("audiocodes_a", "Berlin HQ")]

    # Day 2: beta's SBC stops registering 1000: only beta's row cools.
    b.unregister("1000")
    assert run_dag(SYNC, D(2026, 11, 3))[0] == "success"
    assert of(db, "beta")["1000"] == cooling(D(2026, 11, 5), D(2026, 11, 3))
    assert of(db, "acme")["1000"] == USED

    # Day 4: the daily run releases beta's 1000; acme's stays Used.
    assert run_dag(SYNC, D(2026, 11, 5))[0] == "success"
    state, tasks = run_dag(DAILY, D(2026, 11, 5))
    assert state == "success", tasks
    assert of(db, "beta")["1000"] == AVAILABLE
    assert of(db, "acme")["1000"] == USED
    released = of(
        db,
        "beta",
        lambda c: c.execute(
            "SELECT count(*) FROM number_inventory_history WHERE reason = 'released'"
        ).fetchone()[0],
    )
    assert released == 1
    reports = of(
        db, "acme", lambda c: c.execute("SELECT count(*) FROM number_inventory_daily_report").fetchone()[0]
    )
    assert reports > 0  # each tenant has its own daily report

    # Day 5: acme's SBC is decommissioned: its numbers cool in acme only.
    assert (
        run_dag(PURGE, D(2026, 11, 6), connection_id="audiocodes_a", confirm="audiocodes_a")[0] == "success"
    )
    assert of(db, "acme") == {n: cooling(D(2026, 11, 8), D(2026, 11, 6)) for n in ("1000", "1001")}
    assert of(db, "beta") == {"1000": AVAILABLE, "1002": USED}
    kept = of(db, "beta", lambda c: c.execute("SELECT connection_id FROM audiocodes_connection").fetchall())
    assert kept == [("audiocodes_b",)]
    assert rows(db) == {}


def test_a_never_read_connection_withholds_cooling_in_its_own_tenant_only(db, sbcs, run_dag):
    a, b = sbcs
    a.stop()  # acme's SBC is never read

    state, tasks = run_dag(SYNC, D(2026, 11, 2))
    assert state == "failed" and sorted(tasks["read_connection"]) == ["failed", "success"]
    assert of(db, "beta") == {"1000": USED, "1002": USED}
    assert of(db, "acme") == {}

    b.unregister("1000")
    assert run_dag(SYNC, D(2026, 11, 3))[0] == "failed"  # acme's read fails again, and says so
    assert of(db, "beta")["1000"] == cooling(D(2026, 11, 5), D(2026, 11, 3))  # beta cools regardless


def test_the_global_tenant_is_not_cooled_by_a_tenants_read(db, devices, monkeypatch, run_dag):
    """The global tenant's connection A and tenant beta's connection B register 1000; B stops: the
    global 1000 stays Used, beta's cools."""
    place(monkeypatch, devices, "audiocodes_b", "beta")
    a, b = devices["audiocodes_a"], devices["audiocodes_b"]
    a.register_numbers(["1000"])
    b.register_numbers(["1000"])
    assert run_dag(SYNC, D(2026, 11, 2))[0] == "success"
    b.unregister("1000")

    state, _ = run_dag(SYNC, D(2026, 11, 3))

    assert state == "success"
    assert rows(db) == {"1000": USED}
    assert of(db, "beta") == {"1000": cooling(D(2026, 11, 5), D(2026, 11, 3))}


def test_a_manual_action_works_within_its_tenant(db, sbcs, run_dag, output):
    _, b = sbcs
    assert run_dag(SYNC, D(2026, 11, 2))[0] == "success"
    b.unregister("1000")
    assert run_dag(SYNC, D(2026, 11, 3))[0] == "success"
    form = {"action": "release_now", "numbers": ["1000"], "reason": "TICKET-7 tenant test"}

    # The global tenant has no 1000: refused, nothing written anywhere.
    assert run_dag(ACTION, D(2026, 11, 3), **form)[0] == "failed"
    assert "not in the inventory" in output()
    assert of(db, "beta")["1000"][0] == "Cooling"

    assert run_dag(ACTION, D(2026, 11, 3), tenant="beta", **form)[0] == "success"
    assert of(db, "beta")["1000"] == AVAILABLE
    assert of(db, "acme")["1000"] == USED
    actor = of(
        db,
        "beta",
        lambda c: c.execute(
            "SELECT actor FROM number_inventory_history WHERE reason = 'manual_release_now'"
        ).fetchall(),
    )
    assert actor == [("dag_test",)]


@pytest.mark.parametrize(
    ("tenant", "message"),
    [
        ("nobody", "tenant 'nobody' has no inventory yet"),
        ("Beta", "Parameter 'tenant' must be empty (the global tenant) or a lower-case name"),
    ],
)
def test_an_action_for_an_unknown_or_bad_tenant_is_refused_and_changes_nothing(
    db, sbcs, run_dag, output, tenant, message
):
    assert run_dag(SYNC, D(2026, 11, 2))[0] == "success"
    before = {t: (of(db, t), of(db, t, history_count)) for t in ("acme", "beta")}
    form = {"action": "reserve", "numbers": ["1000"], "reason": "TICKET-8 tenant test"}

    assert run_dag(ACTION, D(2026, 11, 2), tenant=tenant, **form)[0] == "failed"

    assert message in output()
    assert {t: (of(db, t), of(db, t, history_count)) for t in ("acme", "beta")} == before
    assert tenants.known(db) == ["acme", "beta"]


def test_a_purge_naming_another_tenant_than_the_connections_is_refused(db, sbcs, run_dag, output):
    assert run_dag(SYNC, D(2026, 11, 2))[0] == "success"

    form = {"connection_id": "audiocodes_a", "confirm": "audiocodes_a", "tenant": "beta"}
    assert run_dag(PURGE, D(2026, 11, 3), **form)[0] == "failed"

    assert "belongs to tenant 'acme'" in output()
    assert of(db, "acme", by_status) == {"Used": 2} and of(db, "beta", by_status) == {"Used": 2}


def test_a_purge_of_a_connection_airflow_no_longer_defines_takes_the_tenant_parameter(
    db, sbcs, run_dag, monkeypatch, output
):
    assert run_dag(SYNC, D(2026, 11, 2))[0] == "success"
    monkeypatch.delenv("AIRFLOW_CONN_AUDIOCODES_B")
    monkeypatch.setenv("AIRFLOW_VAR_AUDIOCODES_CONNECTIONS", '["audiocodes_a"]')
    form = {"connection_id": "audiocodes_b", "confirm": "audiocodes_b"}

    assert run_dag(PURGE, D(2026, 11, 3), **form)[0] == "failed"  # the global tenant has no such read
    assert "has no kept read" in output()

    assert run_dag(PURGE, D(2026, 11, 3), tenant="beta", **form)[0] == "success"
    assert of(db, "beta") == {n: cooling(D(2026, 11, 5), D(2026, 11, 3)) for n in ("1000", "1002")}
    assert of(db, "acme") == {"1000": USED, "1001": USED}


def test_a_stale_tenant_fails_the_daily_run_naming_it_but_another_tenant_still_releases(
    db, sbcs, run_dag, output
):
    a, b = sbcs
    assert run_dag(SYNC, D(2026, 11, 2))[0] == "success"
    a.stop()  # acme's SBC cannot be read any more
    b.unregister("1002")
    assert run_dag(SYNC, D(2026, 11, 3))[0] == "failed"
    assert run_dag(SYNC, D(2026, 11, 5))[0] == "failed"

    state, tasks = run_dag(DAILY, D(2026, 11, 5))

    assert state == "failed" and tasks["release_and_audit"] == ["failed"]
    assert "tenant 'acme': connection audiocodes_a was last read completely" in output()
    assert of(db, "beta")["1002"] == AVAILABLE  # beta's release was not held by acme's stale read
    assert of(db, "acme") == {"1000": USED, "1001": USED}
    findings = of(
        db,
        "acme",
        lambda c: c.execute('SELECT connection_id, "check" FROM audit_connection_finding').fetchall(),
    )
    assert findings == [("audiocodes_a", "stale_read")]


def test_a_bad_tenant_extra_fails_the_sync_at_prepare_naming_the_connection(
    db, sbcs, devices, monkeypatch, run_dag, output
):
    place(monkeypatch, devices, "audiocodes_b", "Beta-Corp")

    state, tasks = run_dag(SYNC, D(2026, 11, 2))

    assert state == "failed" and tasks["prepare"] == ["failed"]
    assert (
        "Connection 'audiocodes_b': extra 'tenant' must be empty (the global tenant) or a lower-case"
        in output()
    )
    assert tenants.known(db) == [] and rows(db) == {}
