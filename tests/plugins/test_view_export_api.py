"""The view's CSV export and next free numbers (issue 25) through the API server's own app, with real
tokens, against the real PostgreSQL inventory of ``fleet.scenario``."""

from __future__ import annotations

import csv
import io

import pytest

from number_inventory import exports, store, tenants
from tests.plugins.conftest import PREFIX


@pytest.fixture(scope="module")
def api(client, token, scenario):
    def get(path: str, **kwargs):
        return client.get(PREFIX + path, headers={"Authorization": f"Bearer {token}"}, **kwargs)

    return get


@pytest.mark.parametrize("path", ["/api/numbers.csv", "/api/next-free"])
def test_anonymous_requests_are_refused(client, scenario, path):
    client.cookies.clear()
    assert client.get(PREFIX + path).status_code == 401


def test_the_export_is_the_inventory_as_csv(api, scenario):
    response = api("/api/numbers.csv")

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="numbers.csv"'
    rows = list(csv.DictReader(io.StringIO(response.text)))
    expected = scenario.execute(
        "SELECT number, status, coalesce(vendor, '') FROM number_inventory ORDER BY number COLLATE \"C\""
    ).fetchall()
    assert [(r["number"], r["status"], r["vendor"]) for r in rows] == expected
    assert list(rows[0]) == list(exports.EXPORT_COLUMNS)


def test_the_export_takes_the_views_filters(api, scenario):
    response = api("/api/numbers.csv", params={"status": "Cooling", "prefix": "10"})
    rows = list(csv.DictReader(io.StringIO(response.text)))
    expected = scenario.execute(
        "SELECT number FROM number_inventory WHERE status = 'Cooling' AND number LIKE '10%' "
        'ORDER BY number COLLATE "C"'
    ).fetchall()
    assert [(r["number"],) for r in rows] == expected and expected


def test_next_free_numbers_are_the_first_available_ones(api, scenario):
    expected = scenario.execute(
        "SELECT number FROM number_inventory WHERE status = 'Available' ORDER BY number COLLATE \"C\" LIMIT 3"
    ).fetchall()
    assert expected
    response = api("/api/next-free", params={"count": 3})
    assert response.status_code == 200
    assert response.json() == {
        "tenant": "",
        "site": None,
        "count": len(expected),
        "numbers": [n for (n,) in expected],
    }


def test_a_tenant_is_answered_from_its_own_inventory(api, scenario):
    with tenants.within(scenario, "acme", create=True):
        store.migrate(scenario)
        scenario.execute(
            "INSERT INTO number_inventory (number, site) VALUES ('555', 'north'), ('556', 'south')"
        )
    try:
        assert api("/api/next-free", params={"tenant": "acme", "site": "south"}).json()["numbers"] == ["556"]
        response = api("/api/numbers.csv", params={"tenant": "acme"})
        assert response.headers["content-disposition"] == 'attachment; filename="numbers-acme.csv"'
        assert [r["number"] for r in csv.DictReader(io.StringIO(response.text))] == ["555", "556"]
    finally:
        scenario.execute("DROP SCHEMA tenant_acme CASCADE")


@pytest.mark.parametrize(
    ("path", "params", "message"),
    [
        ("/api/next-free", {"tenant": "nobody"}, "tenant 'nobody' has no inventory"),
        ("/api/numbers.csv", {"tenant": "nobody"}, "tenant 'nobody' has no inventory"),
        ("/api/numbers.csv", {"tenant": "No Such"}, "tenant must be empty"),
        ("/api/next-free", {"first": "1000", "last": "10000"}, "the same number of characters"),
        ("/api/numbers.csv", {"prefix": "abc"}, "prefix must be digits"),
    ],
)
def test_bad_parameters_are_refused_before_anything_is_sent(api, path, params, message):
    response = api(path, params=params)
    assert response.status_code == 422
    assert message in response.json()["detail"]


def test_next_free_answers_at_most_1000(api):
    assert api("/api/next-free", params={"count": 1001}).status_code == 422
