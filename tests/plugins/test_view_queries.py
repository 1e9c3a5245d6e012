"""The view's read-only queries (``number_inventory.views``) against a real PostgreSQL holding
an inventory the real pipeline made (``fleet.scenario``)."""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest

from number_inventory import pipeline, store, views
from number_inventory.store import RunInfo
from tests.plugins.conftest import CONNECTIONS, fresh

A, B = CONNECTIONS


def days(today: dt.date, n: int) -> dt.date:
    return today + dt.timedelta(days=n)


@pytest.fixture
def read(scenario):
    """Run one query function in the view's read-only transaction."""

    def run(function, *args, **kwargs):
        with views.reading(scenario):
            return function(scenario, *args, **kwargs)

    return run


def test_counts_by_status_and_vendor_and_the_audiocodes_share(read, today):
    summary = read(views.summary, today, "UTC")

    assert summary["total"] == 21
    assert summary["by_status"] == {
        "Available": 11,
        "Used": 5,
        "Used-Utility": 1,
        "Reserved": 1,
        "Cooling": 3,
    }
    assert summary["by_vendor"] == {"": 13, "AudioCodes": 7, "Microsoft": 1}
    assert summary["audiocodes"] == 7
    assert summary["audiocodes_share"] == pytest.approx(7 / 21)
    assert summary["last_daily_run"]["run_day"] == today
    assert summary["last_daily_run"]["summary"]["released"] == 1


def test_releases_per_day_for_the_next_30_days(read, today):
    releases = read(views.summary, today, "UTC")["releases"]

    assert [d["day"] for d in releases["days"]] == [days(today, n) for n in range(30)]
    due = {d["day"]: d["numbers"] for d in releases["days"] if d["numbers"]}
    assert due == {days(today, 1): 2, days(today, 2): 1}  # 1001 and 2000; 1002
    assert releases["overdue"] == 0 and releases["undated"] == 0


def test_used_cooling_available_over_recent_days_from_the_history(read, today):
    trend = read(views.summary, today, "UTC")["trend"]

    assert len(trend) == 30 and trend[-1]["day"] == today
    assert trend[-1] == {"day": today, "Used": 5, "Cooling": 3, "Available": 11}
    # Every change of the scenario was written today (wall clock), the operator's rows loaded by
    # hand (1100-1109 Available and 1020 Used by Microsoft) included: the history has them too.
    assert trend[-2] == {"day": days(today, -1), "Used": 0, "Cooling": 0, "Available": 0}
    assert trend[0] == {"day": days(today, -29), "Used": 0, "Cooling": 0, "Available": 0}


def test_status_trend_puts_changes_on_their_day_in_the_time_zone(pg, today):
    conn = fresh(pg[1])
    # As the triggers count them: one number went Available -> Used and one Used -> Cooling in the
    # quarter hour that starts 23:30 UTC yesterday (a test cannot move the database's clock).
    late_yesterday = dt.datetime.combine(days(today, -1), dt.time(23, 30), tzinfo=dt.UTC)
    conn.execute(
        "INSERT INTO number_inventory_count (changed_at, vendor, status, numbers) VALUES "
        "(%(at)s, '', 'Available', -1), (%(at)s, '', 'Used', 1), (%(at)s, '', 'Used', -1), (%(at)s, '', 'Cooling', 1)",
        {"at": late_yesterday},
    )
    with views.reading(conn):
        utc = views.status_trend(conn, today, "UTC", {"Used": 1, "Cooling": 1, "Available": 0})
        berlin = views.status_trend(conn, today, "Europe/Berlin", {"Used": 1, "Cooling": 1, "Available": 0})
    assert utc[-2:] == [
        {"day": days(today, -1), "Used": 1, "Cooling": 1, "Available": 0},
        {"day": today, "Used": 1, "Cooling": 1, "Available": 0},
    ]
    assert utc[-3] == {"day": days(today, -2), "Used": 1, "Cooling": 0, "Available": 1}
    # 23:30 UTC is already today in Berlin.
    assert berlin[-2] == {"day": days(today, -1), "Used": 1, "Cooling": 0, "Available": 1}
    conn.close()


def test_cooling_queue_in_release_order_with_days_left_and_where_each_was_last_seen(read, scenario, today):
    page = read(views.cooling_queue, today)

    rows = [(r["number"], r["release_date"], r["days_left"], r["last_seen_on"]) for r in page["items"]]
    assert rows == [
        ("1001", days(today, 1), 1, [A]),  # 1001 left A and 2000 left B in the same run: each is exact
        ("2000", days(today, 1), 1, [B]),
        ("1002", days(today, 2), 2, [A]),
    ]
    assert not page["has_more"]
    assert {r["last_seen_basis"] for r in page["items"]} == {"departed"}
    last = page["items"][2]
    assert last["cooling_reason"] == "registration_gone"
    # Last seen in A's read of day 3: the latest complete read of A before the one that lost it.
    day3_read = scenario.execute(
        "SELECT finished_at FROM audiocodes_read WHERE connection_id = %s AND run_day = %s AND state = 'complete'",
        (A, days(today, -1)),
    ).fetchone()[0]
    assert last["last_seen_at"] == day3_read
    first = page["items"][0]
    before_loss = scenario.execute(
        "SELECT finished_at FROM audiocodes_read WHERE connection_id = %(c)s AND state = 'complete' AND read_id < "
        "(SELECT read_id FROM audiocodes_read WHERE connection_id = %(c)s AND run_id = %(run)s AND state = 'complete') "
        "ORDER BY read_id DESC LIMIT 1",
        {"c": A, "run": first["cooling_run_id"]},
    ).fetchone()[0]
    assert first["last_seen_at"] == before_loss


def test_last_seen_on_is_inferred_for_numbers_that_cooled_before_departures_were_recorded(scenario, today):
    with scenario.transaction(force_rollback=True):
        scenario.execute("DELETE FROM audiocodes_departure")
        page = views.cooling_queue(scenario, today)

    rows = [(r["number"], r["last_seen_on"], r["last_seen_basis"]) for r in page["items"]]
    assert rows == [
        ("1001", [A, B], "dropped"),  # 1001 left A and 2000 left B in the same run: one of them
        ("2000", [A, B], "dropped"),
        ("1002", [A], "dropped"),  # only A dropped numbers that run (B failed)
    ]
    assert page["items"][0]["last_seen_at"] is None  # ambiguous: no single read to name


def test_cooling_queue_sorts_filters_by_prefix_and_pages(read, today):
    by_number = read(views.cooling_queue, today, sort="number", descending=True)
    assert [r["number"] for r in by_number["items"]] == ["2000", "1002", "1001"]

    assert [r["number"] for r in read(views.cooling_queue, today, prefix="100")["items"]] == ["1001", "1002"]
    assert read(views.cooling_queue, today, prefix="3")["items"] == []

    first = read(views.cooling_queue, today, limit=2)
    second = read(views.cooling_queue, today, limit=2, offset=2)
    assert first["has_more"] and not second["has_more"]
    assert [r["number"] for r in first["items"] + second["items"]] == ["1001", "2000", "1002"]


def walk(function, *args, limit: int, **kwargs) -> list[dict]:
    """Every row of a list, page by page through each page's ``next``."""
    rows, after = [], None
    while True:
        page = function(*args, limit=limit, after=after, **kwargs)
        rows += page["items"]
        assert len(page["items"]) == limit if page["has_more"] else page["next"] is None
        if not page["has_more"]:
            return rows
        after = page["next"]


def test_keyset_pages_walk_each_list_once_in_order(read, today):
    """Page after page through ``next`` gives exactly the rows of one big page, in its order."""

    def same(function, *args, **kwargs):
        whole = read(function, *args, limit=500, **kwargs)["items"]
        paged = walk(lambda *a, **k: read(function, *a, **k), *args, limit=2, **kwargs)
        assert paged == whole and whole, (function.__name__, kwargs)

    same(views.numbers_page, status=None, prefix=None)
    same(views.numbers_page, status="Available", prefix="1")
    same(views.recent_changes)
    same(views.number_history, "1000")
    same(views.cooling_queue, today)
    same(views.cooling_queue, today, sort="number", descending=True)
    page = read(views.numbers_page, status=None, prefix=None, limit=3, after="1002")
    assert [r["number"] for r in page["items"]] == ["1003", "1004", "1020"] and page["next"] == "1020"
    audit = read(views.latest_audit, limit=1)
    assert not audit["has_more"] and audit["next"] is None


def test_keyset_pages_of_the_cooling_queue_keep_numbers_without_a_release_date(scenario, today):
    """A cooling row without a release date (the audit repairs it) sorts last by release date, first
    in descending order; keyset pages find it on either side of the dated rows."""
    with scenario.transaction(force_rollback=True):
        scenario.execute(
            "INSERT INTO number_inventory (number, status, vendor, release_date) VALUES "
            "('1500', 'Cooling', 'AudioCodes', NULL), ('0999', 'Cooling', 'AudioCodes', NULL), "
            "('1600', 'Cooling', 'AudioCodes', %s)",
            (today,),
        )
        for sort in views.COOLING_SORTS:
            for descending in (False, True):
                whole = views.cooling_queue(scenario, today, sort=sort, descending=descending, limit=500)
                for limit in (1, 2, 4):
                    paged = walk(
                        views.cooling_queue, scenario, today, sort=sort, descending=descending, limit=limit
                    )
                    assert paged == whole["items"], (sort, descending, limit)
        numbers = [r["number"] for r in views.cooling_queue(scenario, today, limit=500)["items"]]
        assert numbers == ["1600", "1001", "2000", "1002", "0999", "1500"]
        page = views.cooling_queue(scenario, today, limit=4)
        assert page["next"] == f"{page['items'][-1]['release_date']}_1002"
        page = views.cooling_queue(scenario, today, limit=1, after=page["next"])
        assert page["next"] == "undated_0999"


def test_numbers_by_status_and_prefix(read):
    page = read(views.numbers_page, status="Used", prefix="10", limit=10, offset=0)
    assert [(r["number"], r["vendor"]) for r in page["items"]] == [
        ("1003", "AudioCodes"),
        ("1004", "AudioCodes"),
        ("1020", "Microsoft"),
    ]
    everything = read(views.numbers_page, status=None, prefix=None, limit=500, offset=0)
    assert len(everything["items"]) == 21 and not everything["has_more"]
    assert (
        read(views.numbers_page, status="Reserved", prefix=None, limit=5, offset=0)["items"][0]["number"]
        == "1021"
    )
    with pytest.raises(views.BadQuery, match="status must be one of"):
        read(views.numbers_page, status="Free", prefix=None, limit=5, offset=0)


def test_one_number_its_row_registrations_and_history(read, today):
    detail = read(views.number_detail, "1004", today)
    assert detail["row"]["status"] == "Used"
    assert [(r["connection_id"], r["active"]) for r in detail["registrations"]] == [(A, True), (B, True)]
    assert detail["cooling"] is None

    cooling = read(views.number_detail, "1002", today)
    assert cooling["cooling"]["last_seen_on"] == [A] and cooling["cooling"]["days_left"] == 2

    history = read(views.number_history, "1000", limit=100, offset=0)
    assert [r["reason"] for r in history["items"]] == [
        "released",
        "tag_recount",
        "registration_gone",
        "registered",
    ]
    assert [r["run_day"] for r in history["items"]] == [
        today,
        days(today, -1),
        days(today, -2),
        days(today, -3),
    ]
    assert (
        history["items"][0]["before_status"] == "Cooling"
        and history["items"][0]["after_status"] == "Available"
    )

    missing = read(views.number_detail, "5555", today)
    assert missing["row"] is None and missing["registrations"] == []


def test_recent_changes_newest_first(read):
    page = read(views.recent_changes, limit=3, offset=0)
    # today's daily run wrote last: 1000 released, the Tags of 1001 and 2000 recounted
    assert sorted((r["reason"], r["number"]) for r in page["items"]) == [
        ("released", "1000"),
        ("tag_recount", "1001"),
        ("tag_recount", "2000"),
    ]
    assert page["has_more"]
    ids = [r["id"] for r in read(views.recent_changes, limit=500, offset=0)["items"]]
    assert ids == sorted(ids, reverse=True)


def test_latest_audit_and_its_findings(read, today):
    audit = read(views.latest_audit, limit=50, offset=0)
    assert audit["run"]["run_day"] == today
    assert audit["run"]["summary"]["findings"] == {"conflict": 1}
    assert [(f["number"], f["check"], f["repaired"]) for f in audit["items"]] == [("1020", "conflict", False)]
    assert audit["items"][0]["before"]["vendor"] == "Microsoft"


def test_connections_last_complete_read_or_last_failure(read, today):
    rows = {r["connection_id"]: r for r in read(views.connections, [*CONNECTIONS, "audiocodes_new"])}

    assert rows[A]["state"] == "ok" and rows[A]["configured"]
    assert (rows[A]["kept_bindings"], rows[A]["kept_numbers"]) == (3, 3)  # 1003, 1004, 1020
    assert rows[A]["failed_at"] is None
    assert rows[B]["state"] == "failing"
    assert "HTTP 503" in rows[B]["failed_error"]
    assert rows[B]["kept_numbers"] == 3  # 1004, 2001, 2002 from its day-3 read, still in force
    assert rows[B]["kept_run_id"].startswith(f"scheduled__{days(today, -1)}")
    assert rows["audiocodes_new"]["state"] == "never read" and rows["audiocodes_new"]["kept_read_at"] is None


def test_a_configured_connection_is_stale_when_its_kept_read_is_too_old_or_missing(read):
    now = dt.datetime.now(dt.UTC)  # the scenario's reads were kept moments ago, on the wall clock
    configured = [A, B, "audiocodes_new"]

    def stale(at: dt.datetime, hours: int = 24, ids=configured) -> dict[str, bool]:
        rows = read(views.connections, ids, now=at, max_read_age=dt.timedelta(hours=hours))
        return {r["connection_id"]: r["stale"] for r in rows}

    assert stale(now) == {A: False, B: False, "audiocodes_new": True}  # never read: stale
    assert stale(now + dt.timedelta(hours=25)) == {A: True, B: True, "audiocodes_new": True}
    assert stale(now + dt.timedelta(hours=25), hours=26) == {A: False, B: False, "audiocodes_new": True}
    assert stale(now + dt.timedelta(hours=25), ids=[A]) == {A: True, B: False}  # B not configured
    [row] = [
        r for r in read(views.connections, [A], now=now + dt.timedelta(hours=30)) if r["connection_id"] == A
    ]
    assert 29.9 <= row["kept_read_age_hours"] <= 30.1


def test_last_seen_on_a_purged_connection_and_in_a_kept_read(pg, today):
    """The other two ways to know a cooling number's connection: a purge names it, and a number
    whose only binding is no longer confirmed (status:0) is still in its connection's kept read."""
    from devtools.device_server import DeviceServer
    from tests.plugins import fleet

    conn = fresh(pg[1])
    passwords = {A: "pa", B: "pb"}
    devices = {c: DeviceServer("admin", passwords[c]).start() for c in CONNECTIONS}
    try:
        devices[A].register_numbers([1, 2])
        devices[B].register_numbers([3])
        synced = fleet.Fleet(conn, devices, passwords)
        synced.sync(days(today, -1))
        # 3's REGISTER is no longer confirmed: it cools, and B's kept read still holds it, inactive.
        devices[B].clear()
        devices[B].register("3", status=0)
        synced.sync(today)
    finally:
        for device in devices.values():
            device.stop()
    pipeline.purge(conn, RunInfo("audiocodes_connection_purge", "manual__purge", today), A, [A, B], 2)

    with views.reading(conn):
        queue = {r["number"]: r for r in views.cooling_queue(conn, today)["items"]}
    assert (queue["1"]["last_seen_on"], queue["1"]["last_seen_basis"]) == ([A], "purged")
    assert queue["1"]["cooling_reason"] == "connection_purged"
    assert queue["1"]["last_seen_at"] is not None
    assert (queue["3"]["last_seen_on"], queue["3"]["last_seen_basis"]) == ([B], "kept_read")
    conn.close()


def test_reading_is_read_only_and_bounded_in_time(scenario):
    with pytest.raises(psycopg.errors.ReadOnlySqlTransaction), views.reading(scenario):
        scenario.execute("UPDATE number_inventory SET tag = 'x' WHERE number = '1000'")
    with pytest.raises(psycopg.errors.QueryCanceled), views.reading(scenario, timeout_ms=100):
        scenario.execute("SELECT pg_sleep(2)")
    assert scenario.execute("SELECT tag FROM number_inventory WHERE number = '1000'").fetchone()[0] is None


def test_prefixes_and_pages_are_checked():
    assert views.parse_prefix(" +49 30-555 ") == "+4930555"
    assert views.parse_prefix("+") == "+"
    assert views.parse_prefix("") is None and views.parse_prefix(None) is None
    for bad in ("49a", "'; DROP TABLE number_inventory; --", "++4"):
        with pytest.raises(views.BadQuery, match="prefix must be digits"):
            views.parse_prefix(bad)
    for limit, offset in ((0, 0), (501, 0), (10, -1)):
        with pytest.raises(views.BadQuery):
            views.check_page(limit, offset)
    with pytest.raises(views.BadQuery, match="either offset or after"):
        views.check_page(10, 20, "1000")


@pytest.mark.parametrize(
    ("function", "kwargs"),
    [
        (views.numbers_page, dict(status=None, prefix=None, after="10a")),
        (views.numbers_page, dict(status=None, prefix=None, after="' OR true --")),
        (views.cooling_queue, dict(today=dt.date(2026, 11, 2), after="1000")),
        (views.cooling_queue, dict(today=dt.date(2026, 11, 2), after="2026-13-01_1000")),
        (views.cooling_queue, dict(today=dt.date(2026, 11, 2), after="2026-11-01_x")),
        (views.cooling_queue, dict(today=dt.date(2026, 11, 2), sort="number", after="2026-11-01_1000")),
    ],
)
def test_a_key_that_is_not_one_is_refused(read, function, kwargs):
    with pytest.raises(views.BadQuery, match="after must be"):
        read(function, limit=10, **kwargs)


def test_a_prefix_is_a_range_of_the_c_collation(pg):
    """'+49' and '49' are different prefixes, whatever the database's collation does with '+'."""
    conn = fresh(pg[1])
    conn.execute(
        "INSERT INTO number_inventory (number) VALUES ('+4930'), ('+4989'), ('4930'), ('49'), ('5'), ('+5')"
    )
    with views.reading(conn):

        def numbers(prefix):
            page = views.numbers_page(conn, status=None, prefix=prefix, limit=10, offset=0)
            return [r["number"] for r in page["items"]]

        assert numbers("+49") == ["+4930", "+4989"]
        assert numbers("49") == ["49", "4930"]
        assert numbers("+") == ["+4930", "+4989", "+5"]
        assert numbers(None) == ["+4930", "+4989", "+5", "49", "4930", "5"]
    conn.close()


def test_a_numbers_page_shows_the_contacts_of_each_registration(pg, today):
    """Where and how a number is registered: each kept read's contacts (URI, expiry, active or
    pending), at most 5 per number and connection, following the device from read to read."""
    from devtools.device_server import DeviceServer
    from tests.plugins import fleet

    conn = fresh(pg[1])
    passwords = {A: "pa", B: "pb"}
    devices = {c: DeviceServer("admin", passwords[c]).start() for c in CONNECTIONS}
    try:
        devices[A].register("7000", contacts=7)
        devices[A].register("7001", status=0)
        devices[B].register("7001")
        synced = fleet.Fleet(conn, devices, passwords)
        synced.sync(days(today, -1))
        with views.reading(conn):
            first = views.number_detail(conn, "7000", today)
            pending = views.number_detail(conn, "7001", today)
        devices[A].unregister("7000")
        devices[A].register("7000", contacts=2, status=0)
        synced.sync(today)
    finally:
        for device in devices.values():
            device.stop()
    with views.reading(conn):
        later = views.number_detail(conn, "7000", today)

    [registration] = first["registrations"]
    assert registration["connection_id"] == A and len(registration["contacts"]) == 5
    uris = [c["uri"] for c in registration["contacts"]]
    assert uris == sorted(uris) and len(set(uris)) == 5 and uris[0].startswith("sip:7000@")
    assert {(c["expires"], c["active"]) for c in registration["contacts"]} == {(180, True)}
    assert [
        (r["connection_id"], r["active"], [c["active"] for c in r["contacts"]])
        for r in pending["registrations"]
    ] == [
        (A, False, [False]),
        (B, True, [True]),
    ]
    # The next read's contacts replace the kept ones.
    assert [(c["uri"], c["active"]) for c in later["registrations"][0]["contacts"]] == [
        (uris[0], False),
        (uris[1], False),
    ]
    conn.close()


def test_the_report_trend_reads_the_daily_report_over_any_range(pg, today):
    from number_inventory import report

    conn = fresh(pg[1])
    try:
        conn.execute(
            "INSERT INTO number_inventory (number, status) SELECT g::text, 'Available' "
            "FROM generate_series(1000, 1009) AS g"
        )
        conn.execute("UPDATE number_inventory SET status = 'Reserved' WHERE number IN ('1000', '1001')")
        for n in (0, 2, 40):  # today, two days ago, forty days ago: days 1 and 3-39 have no report
            report.write(conn, today - dt.timedelta(days=n), "UTC")
        with views.reading(conn):
            default = views.report_trend(conn, *views.trend_range(today, None, None, None))
            longer = views.report_trend(
                conn, *views.trend_range(today, today - dt.timedelta(days=45), None, None)
            )
        assert (default["from"], default["to"]) == (days(today, -29), today)
        assert [d["day"] for d in default["days"]] == [days(today, -2), today]
        assert len(default["missing"]) == 28 and days(today, -1) in default["missing"]
        now = default["days"][-1]
        assert now["total"] == 10 and now["status"]["Available"] == 8 and now["status"]["Reserved"] == 2
        assert now["event"]["by_hand"] == 10 and now["provisional"]  # today has not ended
        # Everything was written today: the earlier days' reports (as of their ends) hold nothing.
        assert default["days"][0]["total"] == 0 and not default["days"][0]["provisional"]
        assert [d["day"] for d in longer["days"]] == [days(today, -40), days(today, -2), today]
    finally:
        conn.close()


@pytest.mark.parametrize(
    ("first", "last", "count", "message"),
    [
        (None, None, 0, "days must be between 1 and 3660"),
        (dt.date(2026, 1, 2), dt.date(2026, 1, 1), None, "must not be after"),
        (dt.date(2000, 1, 1), dt.date(2026, 1, 1), None, "at most 3660 days"),
        (dt.date(2026, 1, 1), None, 5, "either from or days"),
    ],
)
def test_a_bad_trend_range_says_what_is_allowed(today, first, last, count, message):
    with pytest.raises(views.BadQuery, match=message):
        views.trend_range(today, first, last, count)


def test_the_last_daily_run_is_the_latest_run_day_and_lists_what_it_found_about_connections(pg, today):
    """A backfill run for an old day, recorded after today's run, is not the one shown; the latest
    audit lists the findings about whole connections that its summary counts (issue 23, item 4)."""
    conn = fresh(pg[1])
    daily = "number_inventory_daily"
    today_run = RunInfo(daily, f"scheduled__{today}", today)
    backfill = RunInfo(daily, f"backfill__{days(today, -30)}", days(today, -30))
    stale = ("audiocodes_b", 3, "connection audiocodes_b was last read completely 30.0 hours ago")
    gone = ("audiocodes_old", 2, "connection audiocodes_old is no longer configured")
    with conn.transaction():
        store.record_connection_findings(conn, "stale_read", [stale], today_run)
        store.record_connection_findings(conn, "unconfigured_connection", [gone], today_run)
        store.record_run(
            conn, "daily", today_run, {"findings": {"stale_read": 1, "unconfigured_connection": 1}}
        )
    with conn.transaction():  # the backfill finishes after today's run: a higher id
        store.record_connection_findings(conn, "stale_read", [stale], backfill)
        store.record_run(conn, "daily", backfill, {"findings": {"stale_read": 1}, "backfill": True})

    with views.reading(conn):
        summary = views.summary(conn, today, "UTC")
        audit = views.latest_audit(conn, limit=50)
    assert summary["last_daily_run"]["run_id"] == today_run.run_id
    assert audit["run"]["run_id"] == today_run.run_id
    assert [
        (f["check"], f["connection_id"], f["numbers"], f["message"]) for f in audit["connection_findings"]
    ] == [
        ("stale_read", *stale),
        ("unconfigured_connection", *gone),
    ]
    assert audit["items"] == []  # no finding about a number: the page says so beside these
    conn.close()
