"""The view's JSON API and page through the API server's own app (``create_app``: the plugin as Airflow
mounts it, the simple auth manager, the middlewares), with real tokens, against the real PostgreSQL
inventory of ``fleet.scenario``."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from devtools import local_db
from number_inventory import store
from tests.plugins.conftest import PREFIX

MIGRATIONS = sorted(p.stem for p in store.MIGRATIONS_DIR.glob("*.sql"))

A, B = "audiocodes_a", "audiocodes_b"
ENDPOINTS = [
    "/api/summary",
    "/api/numbers?status=Cooling",
    "/api/numbers/1000",
    "/api/numbers/1000/history",
    "/api/cooling",
    "/api/changes",
    "/api/audit",
    "/api/connections",
    "/api/trend",
]


@pytest.fixture(scope="module")
def api(client, token, scenario):
    """GET a path of the view as the known user (Bearer token)."""

    def get(path: str, **kwargs):
        return client.get(PREFIX + path, headers={"Authorization": f"Bearer {token}"}, **kwargs)

    return get


@pytest.mark.parametrize("path", ENDPOINTS)
def test_anonymous_requests_are_refused(client, scenario, path):
    client.cookies.clear()
    response = client.get(PREFIX + path)
    assert response.status_code == 401
    assert response.json() == {"detail": "Not authenticated"}


def test_the_openapi_schema_needs_the_same_login_as_the_api(client, token, scenario):
    client.cookies.clear()
    anonymous = client.get(PREFIX + "/openapi.json")
    assert anonymous.status_code == 401
    assert anonymous.json() == {"detail": "Not authenticated"}
    assert (
        client.get(PREFIX + "/openapi.json", headers={"Authorization": "Bearer not.a.jwt"}).status_code == 403
    )
    schema = client.get(PREFIX + "/openapi.json", headers={"Authorization": f"Bearer {token}"})
    assert schema.status_code == 200
    assert {"/api/summary", "/api/numbers/{number}/history"} <= set(schema.json()["paths"])
    assert "/openapi.json" not in schema.json()["paths"]


@pytest.mark.parametrize("path", ["/api/summary", "/api/numbers/1000/history"])
def test_a_bad_or_expired_token_is_refused(client, scenario, path):
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser

    client.cookies.clear()
    forged = client.get(PREFIX + path, headers={"Authorization": "Bearer not.a.jwt"})
    assert forged.status_code == 403
    expired = get_auth_manager().generate_jwt(
        SimpleAuthManagerUser(username="operator", role="viewer"), expiration_time_in_seconds=-60
    )
    assert client.get(PREFIX + path, headers={"Authorization": f"Bearer {expired}"}).status_code == 401
    assert client.get(PREFIX + path, cookies={"_token": "garbage"}).status_code == 403


def test_the_page_sends_anonymous_visitors_to_the_login_page(client, scenario):
    client.cookies.clear()
    response = client.get(PREFIX + "/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/auth/login?next=http%3A%2F%2Ftestserver%2Fnumber-inventory%2F"


def test_the_ui_cookie_opens_the_page_and_the_api(client, token, scenario):
    client.cookies.clear()
    client.cookies.set("_token", token)
    try:
        page = client.get(PREFIX + "/")
        assert page.status_code == 200
        assert "<title>Number Inventory</title>" in page.text
        nonce = page.headers["content-security-policy"].split("'nonce-")[1].split("'")[0]
        assert f'<script nonce="{nonce}">' in page.text and "{{nonce}}" not in page.text
        assert "frame-ancestors 'self'" in page.headers["content-security-policy"]
        assert page.headers["cache-control"] == "no-store"
        # Self-contained: nothing is loaded from anywhere else.
        assert "http://" not in page.text.replace("http://www.w3.org/2000/svg", "")
        assert "https://" not in page.text
        assert client.get(PREFIX + "/api/summary").status_code == 200
    finally:
        client.cookies.clear()


def test_summary(api, today):
    summary = api("/api/summary").json()
    assert summary["today"] == today.isoformat() and summary["timezone"] == "UTC"
    assert summary["total"] == 21
    assert summary["by_status"] == {
        "Available": 11,
        "Used": 5,
        "Used-Utility": 1,
        "Reserved": 1,
        "Cooling": 3,
    }
    assert summary["by_vendor"] == {"": 13, "AudioCodes": 7, "Microsoft": 1}
    assert summary["audiocodes_share"] == pytest.approx(1 / 3)
    tomorrow = (today + dt.timedelta(days=1)).isoformat()
    assert {"day": tomorrow, "numbers": 2} in summary["releases"]["days"]
    assert summary["trend"][-1] == {"day": today.isoformat(), "Used": 5, "Cooling": 3, "Available": 11}
    assert summary["last_daily_run"]["summary"]["findings"] == {"conflict": 1}


def test_numbers_by_status_prefix_and_page(api):
    page = api("/api/numbers", params={"status": "Used", "prefix": "10", "limit": 2}).json()
    assert [r["number"] for r in page["items"]] == ["1003", "1004"]
    assert page["has_more"] and page["limit"] == 2 and page["offset"] == 0
    rest = api("/api/numbers", params={"status": "Used", "prefix": "10", "limit": 2, "offset": 2}).json()
    assert [r["number"] for r in rest["items"]] == ["1020"] and not rest["has_more"]
    cooling = api("/api/numbers", params={"status": "Cooling"}).json()
    assert [r["number"] for r in cooling["items"]] == ["1001", "1002", "2000"]


def test_pages_follow_by_key(api):
    """Each page's ``next`` is the ``after`` of the page that follows; ``offset`` still works."""
    first = api("/api/numbers", params={"status": "Used", "prefix": "10", "limit": 2}).json()
    assert first["next"] == "1004"
    rest = api(
        "/api/numbers", params={"status": "Used", "prefix": "10", "limit": 2, "after": first["next"]}
    ).json()
    assert [r["number"] for r in rest["items"]] == ["1020"] and rest["next"] is None and not rest["has_more"]
    queue = api("/api/cooling", params={"limit": 2}).json()
    more = api("/api/cooling", params={"limit": 2, "after": queue["next"]}).json()
    assert [r["number"] for r in queue["items"] + more["items"]] == ["1001", "2000", "1002"]
    changes = api("/api/changes", params={"limit": 2}).json()
    older = api("/api/changes", params={"limit": 2, "after": changes["next"]}).json()
    assert older["items"][0]["id"] < changes["items"][-1]["id"] == changes["next"]
    history = api("/api/numbers/1000/history", params={"limit": 1}).json()
    before = api("/api/numbers/1000/history", params={"limit": 1, "after": history["next"]}).json()
    assert [r["reason"] for r in history["items"] + before["items"]] == ["released", "tag_recount"]
    assert api("/api/audit", params={"after": 0}).json()["items"]


def test_cooling_queue(api, today):
    queue = api("/api/cooling").json()
    assert [(r["number"], r["days_left"], r["last_seen_on"]) for r in queue["items"]] == [
        ("1001", 1, [A]),  # exactly where each was last registered (audiocodes_departure)
        ("2000", 1, [B]),
        ("1002", 2, [A]),
    ]
    assert queue["items"][2]["release_date"] == (today + dt.timedelta(days=2)).isoformat()
    by_number = api("/api/cooling", params={"sort": "number", "order": "desc", "prefix": "100"}).json()
    assert [r["number"] for r in by_number["items"]] == ["1002", "1001"]


def test_one_number_and_its_history(api):
    detail = api("/api/numbers/1004").json()
    assert detail["row"]["status"] == "Used" and detail["row"]["vendor"] == "AudioCodes"
    assert [r["connection_id"] for r in detail["registrations"]] == [A, B]
    # Where and how: each registration's contacts, parsed (URI, expiry, active or pending).
    contact = detail["registrations"][0]["contacts"][0]
    assert contact["uri"].startswith("sip:1004@") and contact["expires"] == 180 and contact["active"] is True

    history = api("/api/numbers/1000/history").json()
    assert [r["reason"] for r in history["items"]] == [
        "released",
        "tag_recount",
        "registration_gone",
        "registered",
    ]

    assert api("/api/numbers/10-04").json()["number"] == "1004"  # typed with a separator
    missing = api("/api/numbers/+49305550100")
    assert missing.status_code == 404 and missing.json()["detail"] == "+49305550100 is not in the inventory"
    assert api("/api/numbers/+49305550100/history").json()["items"] == []


def test_changes_audit_and_connections(api):
    changes = api("/api/changes", params={"limit": 5}).json()
    assert len(changes["items"]) == 5 and changes["has_more"]

    audit = api("/api/audit").json()
    assert [(f["number"], f["check"], f["repaired"]) for f in audit["items"]] == [("1020", "conflict", False)]

    connections = {c["connection_id"]: c for c in api("/api/connections").json()}
    assert connections[A]["state"] == "ok" and connections[A]["kept_numbers"] == 3
    assert connections[B]["state"] == "failing" and "HTTP 503" in connections[B]["failed_error"]
    assert connections[A]["configured"] and connections[B]["configured"]  # from the Variable


def test_connections_are_stale_by_the_projects_clock_and_the_variable(api, monkeypatch):
    connections = {c["connection_id"]: c for c in api("/api/connections").json()}
    assert not connections[A]["stale"] and not connections[B]["stale"]  # read moments ago
    assert connections[A]["kept_read_age_hours"] < 1

    later = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=30)).isoformat()
    monkeypatch.setenv("NUMBER_INVENTORY_TODAY", later)
    connections = {c["connection_id"]: c for c in api("/api/connections").json()}
    assert connections[A]["stale"] and connections[B]["stale"]
    assert 29.9 <= connections[A]["kept_read_age_hours"] <= 30.1

    monkeypatch.setenv("AIRFLOW_VAR_AUDIOCODES_MAX_READ_AGE_HOURS", "48")
    assert not any(c["stale"] for c in api("/api/connections").json())
    monkeypatch.setenv("AIRFLOW_VAR_AUDIOCODES_MAX_READ_AGE_HOURS", "two days")
    refused = api("/api/connections")
    assert refused.status_code == 503 and "audiocodes_max_read_age_hours" in refused.json()["detail"]


@pytest.mark.parametrize(
    ("path", "params", "message"),
    [
        ("/api/numbers", {"limit": 501}, "less than or equal to 500"),
        ("/api/numbers", {"limit": 0}, "greater than or equal to 1"),
        ("/api/numbers", {"offset": -1}, "greater than or equal to 0"),
        ("/api/numbers", {"status": "Free"}, "Input should be 'Available'"),
        ("/api/numbers", {"prefix": "12a"}, "prefix must be digits"),
        ("/api/cooling", {"prefix": "' OR 1=1 --"}, "prefix must be digits"),
        ("/api/cooling", {"sort": "tag"}, "Input should be 'release_date' or 'number'"),
        ("/api/numbers/alice", {}, "'alice' is not a number"),
        ("/api/numbers", {"after": "1000 OR true"}, "after must be a number"),
        ("/api/numbers", {"after": "1000", "offset": 50}, "either offset or after"),
        ("/api/cooling", {"after": "tomorrow_1000"}, "after must be '<release date>_<number>'"),
        ("/api/changes", {"after": "x"}, "valid integer"),
        ("/api/trend", {"days": 0}, "days must be between 1 and 3660"),
        ("/api/trend", {"from": "2026-02-01", "to": "2026-01-01"}, "must not be after"),
        ("/api/trend", {"from": "yesterday"}, "valid date"),
    ],
)
def test_bad_parameters_say_what_is_allowed(api, path, params, message):
    response = api(path, params=params)
    assert response.status_code == 422
    assert message in json.dumps(response.json())


def test_nothing_the_view_does_changes_the_inventory(api, scenario):
    def fingerprint():
        tables = ("number_inventory", "number_inventory_history", "audiocodes_read", "audit_finding")
        return [
            scenario.execute(
                f"SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) FROM {t} AS t"
            ).fetchone()
            for t in tables
        ]

    before = fingerprint()
    for path in ENDPOINTS:
        assert api(path).status_code == 200, path
    assert api("/api/cooling", params={"prefix": "1", "sort": "number"}).status_code == 200
    assert fingerprint() == before


def test_a_missing_unreachable_or_empty_database_gets_a_clear_503(api, pg, monkeypatch):
    monkeypatch.delenv("AIRFLOW_CONN_NUMBER_INVENTORY_DB")
    missing = api("/api/summary")
    assert missing.status_code == 503
    assert missing.json() == {"detail": "The Airflow connection 'number_inventory_db' is not configured"}

    monkeypatch.setenv(
        "AIRFLOW_CONN_NUMBER_INVENTORY_DB",
        json.dumps({"conn_type": "postgres", "host": "127.0.0.1", "port": 9, "login": "x", "schema": "x"}),
    )
    down = api("/api/summary")
    assert down.status_code == 503
    assert down.json() == {"detail": "Cannot reach the inventory database (number_inventory_db)"}

    server = pg[0]
    name = "number_inventory_view_empty"
    monkeypatch.setenv(
        "AIRFLOW_CONN_NUMBER_INVENTORY_DB", local_db.airflow_connection(local_db.with_database(server, name))
    )
    try:
        empty = api("/api/connections")
        assert empty.status_code == 503
        assert "inventory tables are not there yet" in empty.json()["detail"]
    finally:
        local_db.drop_database(server, name)


def test_a_view_upgraded_before_its_migrations_says_which_are_pending(api, scenario_dsn):
    """The code is upgraded and the view reads a table a new migration creates, before any DAG run
    has applied it: the 503 says which migrations are pending and what applies them."""
    with local_db.connect(scenario_dsn) as conn:
        conn.execute("ALTER TABLE number_inventory_count RENAME TO number_inventory_count_hidden")
        conn.execute("DELETE FROM number_inventory_schema WHERE version >= '0015'")
        try:
            answer = api("/api/summary")
            assert answer.status_code == 503
            assert answer.json()["detail"] == (
                "The inventory database is not up to date with this version: migration(s) "
                f"{', '.join(m for m in MIGRATIONS if m >= '0015')} are applied by the next run of any "
                "of the number inventory DAGs"
            )
        finally:
            conn.execute("ALTER TABLE number_inventory_count_hidden RENAME TO number_inventory_count")
            conn.execute(
                "INSERT INTO number_inventory_schema (version) SELECT unnest(%s::text[])",
                ([m for m in MIGRATIONS if m >= "0015"],),
            )
        assert api("/api/summary").status_code == 200


def test_the_plugin_links_the_page_from_the_navigation(api, client, token):
    plugins = client.get("/api/v2/plugins", headers={"Authorization": f"Bearer {token}"}).json()["plugins"]
    (plugin,) = [p for p in plugins if p["name"] == "number_inventory_view"]
    assert plugin["fastapi_apps"][0]["url_prefix"] == PREFIX
    (view,) = plugin["external_views"]
    assert (view["href"], view["url_route"], view["destination"]) == (f"{PREFIX}/", "number-inventory", "nav")
    icon = client.get(view["icon"])
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")


def test_the_trend_comes_from_the_daily_report(api, scenario, today):
    from number_inventory import report

    report.write(scenario, today, "UTC")
    try:
        default = api("/api/trend").json()
        picked = api("/api/trend", params={"from": today.isoformat(), "to": today.isoformat()}).json()
    finally:
        scenario.execute("TRUNCATE number_inventory_daily_report")
    assert (default["from"], default["to"]) == (
        (today - dt.timedelta(days=29)).isoformat(),
        today.isoformat(),
    )
    assert len(default["days"]) == 1 and len(default["missing"]) == 29
    [day] = picked["days"]
    summary = api("/api/summary").json()
    assert day["day"] == today.isoformat() and day["total"] == summary["total"]
    assert day["status"] == summary["by_status"]
