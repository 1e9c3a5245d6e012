"""The view per tenant and site: its JSON API reads the inventory of the tenant its ``tenant``
parameter names, filters by site, lists the tenants a user may see, and refuses (403) a tenant the
Variable ``number_inventory_view_tenants`` does not give the user. Through the API server's own app
(``create_app``), a real token, and inventories made by the real pipeline over real HTTP."""

from __future__ import annotations

import datetime as dt
import json
from functools import partial

import pytest
import requests

from devtools.device_server import DeviceServer
from number_inventory import pipeline, tenants
from number_inventory.device_apis.contract import Contract
from number_inventory.device_client import read_registered_users
from number_inventory.settings import MassRemovalGuard
from number_inventory.store import RunInfo
from tests.plugins.conftest import PREFIX, USER, fresh

DAY = dt.date(2026, 11, 2)
ACCESS = "AIRFLOW_VAR_NUMBER_INVENTORY_VIEW_TENANTS"


def sync(conn, tenant: str, devices: dict[str, tuple[DeviceServer, str]], day: dt.date) -> None:
    """Read each device as a connection of ``tenant`` with its site, then reconcile that tenant."""
    run = RunInfo("audiocodes_number_sync", f"scheduled__{day}", day)
    with tenants.within(conn, tenant, create=True):
        tenants.migrate_all(conn, [])  # this tenant's tables (the search path is its schema)
        for connection_id, (device, site) in devices.items():
            session = requests.Session()
            session.auth = (device.username, "pw-Tenant-1")
            read = partial(read_registered_users, session, device.url, Contract(page_size=200, retries=0))
            pipeline.read_connection(conn, read, connection_id, run, guard=MassRemovalGuard(), site=site)
        pipeline.sync(conn, run, list(devices), 2)


@pytest.fixture(scope="module")
def inventories(scenario_dsn):
    """The global tenant: 1000 on sbc_g. Tenant acme: 1000, 1001 on sbc_berlin (site Berlin), 1002 on
    sbc_paris (site Paris), and 1003 added by hand for site Paris. Tenant beta: 1000 and 2000 on
    sbc_b, which then stops registering 1000 (it cools in beta only)."""
    conn = fresh(scenario_dsn)
    servers = [DeviceServer("admin", "pw-Tenant-1").start() for _ in range(4)]
    g, berlin, paris, b = servers
    try:
        g.register_numbers(["1000"])
        berlin.register_numbers(["1000", "1001"])
        paris.register_numbers(["1002"])
        b.register_numbers(["1000", "2000"])
        sync(conn, "", {"sbc_g": (g, "")}, DAY)
        sync(conn, "acme", {"sbc_berlin": (berlin, "Berlin"), "sbc_paris": (paris, "Paris")}, DAY)
        sync(conn, "beta", {"sbc_b": (b, "")}, DAY)
        b.unregister("1000")
        sync(conn, "beta", {"sbc_b": (b, "")}, DAY + dt.timedelta(days=1))
        with tenants.within(conn, "acme"):
            conn.execute("INSERT INTO number_inventory (number, site) VALUES ('1003', 'Paris')")
    finally:
        for server in servers:
            server.stop()
    yield conn
    conn.close()


@pytest.fixture
def api(client, token, inventories, monkeypatch):
    """GET a path of the view as the known user (role viewer) under the tenant mapping ``access``
    (``None``: the Variable is not set)."""

    def get(path: str, access: dict | None = None, **params):
        if access is None:
            monkeypatch.delenv(ACCESS, raising=False)
        else:
            monkeypatch.setenv(ACCESS, json.dumps(access))
        return client.get(PREFIX + path, params=params, headers={"Authorization": f"Bearer {token}"})

    return get


def numbers(response) -> dict[str, str]:
    assert response.status_code == 200, response.text
    return {row["number"]: row["status"] for row in response.json()["items"]}


def test_each_tenant_has_its_own_numbers_counts_and_cooling_queue(api):
    assert numbers(api("/api/numbers")) == {"1000": "Used"}
    assert numbers(api("/api/numbers", tenant="acme")) == {n: "Used" for n in ("1000", "1001", "1002")} | {
        "1003": "Available"
    }
    assert numbers(api("/api/numbers", tenant="beta")) == {"1000": "Cooling", "2000": "Used"}

    assert api("/api/summary", tenant="beta").json()["by_status"]["Cooling"] == 1
    assert api("/api/summary").json()["by_status"]["Cooling"] == 0
    assert [r["number"] for r in api("/api/cooling", tenant="beta").json()["items"]] == ["1000"]
    assert api("/api/cooling", tenant="acme").json()["items"] == []
    history = api("/api/numbers/1000/history", tenant="beta").json()["items"]
    assert [h["after_status"] for h in history] == ["Cooling", "Used"]
    assert len(api("/api/numbers/1000/history").json()["items"]) == 1
    connections = api("/api/connections", tenant="acme").json()
    assert sorted(c["connection_id"] for c in connections) == ["sbc_berlin", "sbc_paris"]


def test_the_site_filter_matches_a_numbers_own_site_or_its_registering_connections(api):
    assert numbers(api("/api/numbers", tenant="acme", site="Berlin")) == {"1000": "Used", "1001": "Used"}
    assert numbers(api("/api/numbers", tenant="acme", site="Paris")) == {"1002": "Used", "1003": "Available"}
    assert numbers(api("/api/numbers", tenant="acme", site="Rome")) == {}
    assert api("/api/numbers", tenant="acme", site="Berlin").json()["site"] == "Berlin"
    assert api("/api/cooling", tenant="beta", site="Berlin").json()["items"] == []


@pytest.mark.parametrize(
    ("params", "status", "message"),
    [
        ({"tenant": "Acme"}, 422, "tenant must be empty (the global tenant) or a lower-case name"),
        ({"tenant": "nobody"}, 404, "tenant 'nobody' has no inventory"),
        ({"tenant": "acme", "site": "-x"}, 422, "site must be empty or a short name"),
    ],
)
def test_a_bad_or_unknown_tenant_or_site_is_named(api, params, status, message):
    response = api("/api/numbers", **params)
    assert response.status_code == status and message in response.json()["detail"]


def test_without_the_variable_every_user_sees_every_tenant(api):
    assert api("/api/tenants").json() == {
        "tenants": [
            {"name": "", "label": "global"},
            {"name": "acme", "label": "acme"},
            {"name": "beta", "label": "beta"},
        ]
    }


@pytest.mark.parametrize(
    ("access", "visible"),
    [
        ({"viewer": ["acme"]}, ["acme"]),  # by role, in any case
        ({"Viewer": ["acme"], "*": [""]}, ["", "acme"]),
        ({USER: ["beta"], "admin": ["*"]}, ["beta"]),  # by user name
        ({"admin": ["*"]}, []),
        ({"*": ["*"]}, ["", "acme", "beta"]),
    ],
)
def test_a_user_sees_only_the_tenants_the_variable_gives_it_and_is_refused_the_others(api, access, visible):
    listed = api("/api/tenants", access).json()["tenants"]
    assert [t["name"] for t in listed] == visible
    for tenant in ["", "acme", "beta"]:
        response = api("/api/numbers", access, tenant=tenant)
        if tenant in visible:
            assert response.status_code == 200, response.text
        else:
            assert response.status_code == 403
            assert response.json()["detail"] == f"You may not see {tenants.label(tenant)}'s inventory"


def test_a_bad_mapping_is_a_503_naming_the_variable(api):
    response = api("/api/numbers", {"viewer": "acme"})
    assert response.status_code == 503
    assert (
        "Variable 'number_inventory_view_tenants': 'viewer' must map to a list" in response.json()["detail"]
    )
