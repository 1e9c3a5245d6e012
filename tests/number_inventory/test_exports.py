"""The CSV export and the next free numbers (issue 25) on a real PostgreSQL: filters, tenants, the
primary key's index scan, and an export whose memory does not grow with the rows it streams."""

from __future__ import annotations

import csv
import io
import json

import pytest
from psycopg.conninfo import conninfo_to_dict

from bench import export as bench_export
from devtools import local_db
from number_inventory import exports, store, tenants, views
from number_inventory.exports import NumberFilter


@pytest.fixture
def inventory(db):
    db.execute(
        "INSERT INTO number_inventory (number, status, vendor, tag, site, label) VALUES "
        "('+4930123000', 'Available', NULL, NULL, 'berlin', 'block, \"2\"'), "
        "('+4930123001', 'Used', 'AudioCodes', NULL, 'berlin', NULL), "
        "('+4930123002', 'Available', NULL, NULL, 'hamburg', NULL), "
        "('+4930123003', 'Available', NULL, NULL, 'berlin', NULL), "
        "('+49301230035', 'Available', NULL, NULL, 'berlin', NULL), "
        "('+4930124000', 'Reserved', NULL, 'CEO', 'berlin', NULL), "
        "('1000', 'Available', NULL, NULL, NULL, NULL)"
    )
    return db


def free(db, count=10, tenant="", **given):
    with tenants.within(db, tenant), views.reading(db):
        return exports.next_free(db, NumberFilter.parse(**given), count)


def exported(db, **given) -> list[dict]:
    with views.reading(db):
        data = b"".join(exports.export_csv(db, NumberFilter.parse(**given)))
    return list(csv.DictReader(io.StringIO(data.decode())))


def test_next_free_numbers_are_the_first_available_ones_in_number_order(inventory):
    assert free(inventory) == ["+4930123000", "+4930123002", "+4930123003", "+49301230035", "1000"]
    assert free(inventory, count=2) == ["+4930123000", "+4930123002"]
    assert free(inventory, site="berlin") == ["+4930123000", "+4930123003", "+49301230035"]
    # A range holds numbers as long as its ends: +49301230035 is not in +4930123000 – +4930123999.
    assert free(inventory, first="+4930123001", last="+49 30 123999") == ["+4930123002", "+4930123003"]
    assert free(inventory, prefix="+4930124") == []


def test_next_free_reads_an_index_in_number_order_and_stops(db):
    db.execute("ALTER TABLE number_inventory DISABLE TRIGGER USER")
    db.execute(
        "INSERT INTO number_inventory (number, status) SELECT '+4930' || (1000000 + g)::text, "
        "CASE WHEN g % 5 = 0 THEN 'Available' ELSE 'Used' END FROM generate_series(0, 199999) AS g"
    )
    db.execute("ALTER TABLE number_inventory ENABLE TRIGGER USER")
    db.execute("ANALYZE number_inventory")
    for given in ({}, {"first": "+49301100000", "last": "+49301199999"}, {"prefix": "+4930115"}):
        query, params = exports.next_free_query(NumberFilter.parse(**given), 1000)
        with views.reading(db), exports.in_index_order(db):
            explained = db.execute(b"EXPLAIN (FORMAT JSON) " + query.as_bytes(db), params).fetchone()[0]
        plan = json.dumps(explained)
        # The primary key, or the (status, number) index: in number order either way.
        assert '"Index' in plan and '"Sort"' not in plan and "Seq Scan" not in plan, plan
    assert free(db, count=3, first="+49301100001", last="+49301199999") == [
        "+49301100005",
        "+49301100010",
        "+49301100015",
    ]


def test_next_free_within_a_tenant(inventory):
    with tenants.within(inventory, "acme", create=True):
        store.migrate(inventory)
        inventory.execute("INSERT INTO number_inventory (number) VALUES ('555')")
    assert free(inventory, tenant="acme") == ["555"]
    with pytest.raises(views.BadQuery, match="tenant 'nobody' has no inventory"):
        exports.check_tenant(inventory, "nobody")
    with pytest.raises(views.BadQuery, match="tenant must be empty"):
        exports.check_tenant(inventory, "Not A Name")


def test_the_export_is_every_matching_row_as_csv_in_number_order(inventory):
    rows = exported(inventory)
    assert list(rows[0]) == list(exports.EXPORT_COLUMNS)
    assert [r["number"] for r in rows] == sorted(r["number"] for r in rows) and len(rows) == 7
    assert rows[0]["label"] == 'block, "2"'  # quoted as CSV quotes
    assert [r["number"] for r in exported(inventory, status="Available", site="berlin")] == [
        "+4930123000",
        "+4930123003",
        "+49301230035",
    ]
    assert [r["number"] for r in exported(inventory, vendor="AudioCodes")] == ["+4930123001"]
    assert [r["number"] for r in exported(inventory, prefix="+4930124")] == ["+4930124000"]
    assert exported(inventory, status="Cooling") == []


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"status": "Free"}, "status must be one of"),
        ({"first": "abc"}, "first must be a number"),
        ({"first": "1000", "last": "10000"}, "the same number of characters"),
        ({"prefix": "x1"}, "prefix must be digits"),
    ],
)
def test_bad_filters_are_refused_naming_the_parameter(given, message):
    with pytest.raises(views.BadQuery, match=message):
        NumberFilter.parse(**given)


def test_the_export_streams_in_bounded_memory(pg):
    """200,000 rows take no more memory than 20,000: the export adds the same to its process's peak
    RSS and its Python heap's peak whatever the rows (ratios, not absolute figures)."""
    server = pg[0]
    name = f"{conninfo_to_dict(pg[1])['dbname']}_export_memory"
    dsn = local_db.with_database(server, name)
    try:
        bench_export.fill(dsn, 200_000)
        small = bench_export.export(dsn, {"first": "+493010000000", "last": "+493010019999"}, trace=True)
        large = bench_export.export(dsn, {}, trace=True)
    finally:
        local_db.drop_database(server, name)
    assert (small["rows"], large["rows"]) == (20_000, 200_000)
    assert large["bytes"] > 9 * small["bytes"]
    assert large["traced_peak"] < 1.5 * small["traced_peak"], (small, large)
    # RSS moves in pages and allocator arenas: a margin of 4 MB (holding the rows would add 14 MB).
    assert large["rss_added"] < small["rss_added"] * 1.5 + 4 * 2**20, (small, large)
