"""Read-only queries behind the Number Inventory view in the Airflow UI.

The view (``plugins/number_inventory_view.py``) opens a connection per request and calls these
functions inside :func:`reading`: one read-only, repeatable-read transaction with a statement
timeout, so nothing here can write and every figure of one answer comes from one snapshot. Every
query is bounded: pages with a limit, aggregates over indexed ranges (see the migration
``0002_inventory_view_indexes``) or over the counts the database keeps (``0015_inventory_counts``).
Results are plain dicts and lists, ready to be sent as JSON.

Pages are keyset pages: each answer's ``next`` is the key of its last row, and ``after=next`` asks
for the page that follows, an index range that starts there, so the last page of ten million rows
costs what the first does. ``offset`` still works (it skips index entries: slow deep down).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from psycopg import sql as pgsql
from psycopg.rows import dict_row

from number_inventory import contacts, settings
from number_inventory import numbers as nums
from number_inventory.scrub import scrub
from number_inventory.store import sql
from number_inventory.transitions import AUDIOCODES, AVAILABLE, COOLING, STATUSES, USED

MAX_LIMIT = 500
#: Days shown by the charts: releases ahead, and the Used / Cooling / Available counts back.
CHART_DAYS = 30
TREND_STATUSES = (USED, COOLING, AVAILABLE)
COOLING_SORTS = {
    "release_date": 'release_date {direction}, number COLLATE "C" {direction}',
    "number": 'number COLLATE "C" {direction}',
}
#: A number as the inventory keeps it (the check of migration 0022).
NUMBER_KEY = re.compile(nums.NUMBER_PATTERN)
#: At most this many findings about whole connections are shown with the latest audit.
CONNECTION_FINDINGS = 100
#: The release date part of a cooling-queue key for a cooling number without a release date.
UNDATED = "undated"


class BadQuery(ValueError):
    """A parameter of a request the view cannot answer; the message says what is allowed."""


@contextmanager
def reading(conn: psycopg.Connection, timeout_ms: int = 10_000) -> Iterator[psycopg.Connection]:
    """A read-only, repeatable-read transaction on ``conn`` (autocommit) that no statement may hold
    for longer than ``timeout_ms``. PostgreSQL refuses any write inside it."""
    with conn.transaction():
        conn.execute(sql("view/read_only_transaction"))
        conn.execute(sql("view/statement_timeout"), {"timeout": f"{int(timeout_ms)}ms"})
        yield conn


def _rows(conn: psycopg.Connection, query: Any, params: dict[str, Any] | None = None) -> list[dict]:
    with conn.cursor(row_factory=dict_row) as cursor:
        return cursor.execute(query, params).fetchall()


def _page(
    rows: list[dict],
    limit: int,
    offset: int,
    key: Callable[[dict], Any],
    after: Any = None,
    **extra: Any,
) -> dict[str, Any]:
    """A page answer from ``limit + 1`` fetched rows: the rows, whether there are more, and ``next``,
    the ``after`` that asks for the following page (``key`` of the last row; ``None`` at the end)."""
    has_more = len(rows) > limit
    return {
        "items": rows[:limit],
        "limit": limit,
        "offset": offset,
        "after": after,
        "has_more": has_more,
        "next": key(rows[limit - 1]) if has_more else None,
        **extra,
    }


def check_page(limit: int, offset: int, after: Any = None) -> None:
    """Refuse pages that are not bounded, or that ask for both an offset and a key to start after."""
    if not 1 <= limit <= MAX_LIMIT:
        raise BadQuery(f"limit must be between 1 and {MAX_LIMIT}, got {limit}")
    if offset < 0:
        raise BadQuery(f"offset must be 0 or more, got {offset}")
    if offset and after is not None:
        raise BadQuery("give either offset or after, not both: after is the 'next' of the previous page")


def _number_key(after: str | None) -> str | None:
    """``after`` as the number a page starts after; raises :class:`BadQuery` unless it is one."""
    if after is not None and not NUMBER_KEY.fullmatch(after):
        raise BadQuery(
            f"after must be a number as the inventory keeps it (the 'next' of a page), got {after!r}"
        )
    return after


def _id_after(after: int | None, newest_first: bool) -> tuple[pgsql.Composable, dict[str, Any]]:
    """The filter of a page of rows by id that starts after id ``after`` (``true`` for the first)."""
    if after is None:
        return pgsql.SQL("true"), {}
    return pgsql.SQL("id < %(after)s" if newest_first else "id > %(after)s"), {"after": after}


def number_or_none(text: str) -> str | None:
    """The inventory number typed in ``text`` (``+1 415-555 0100``, ``tel:+14155550100`` ...), or
    ``None`` when it is not one. A number already in the inventory's form is taken as it is (a DID's
    extension, ``+12065551000;ext=524``, included)."""
    if NUMBER_KEY.fullmatch(text.strip()):
        return text.strip()
    return nums.normalise_number(text) if text.strip() else None


def parse_prefix(text: str | None) -> str | None:
    """The number prefix typed in ``text``: digits with an optional leading ``+`` (separators are
    dropped); ``None`` for no filter. Raises :class:`BadQuery` for anything else."""
    if text is None or not text.strip():
        return None
    prefix = "+" if text.strip() == "+" else number_or_none(text)
    if prefix is None:
        raise BadQuery(f"prefix must be digits with an optional leading '+', got {text!r}")
    return prefix


def _prefix_range(prefix: str) -> tuple[str, str]:
    """``[low, high)`` of the numbers starting with ``prefix`` in the "C" collation."""
    return prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _number_filter(prefix: str | None, exact: str | None = None) -> tuple[pgsql.Composable, dict[str, Any]]:
    if exact is not None:
        return pgsql.SQL("number = %(number)s"), {"number": exact}
    if prefix is None:
        return pgsql.SQL("true"), {}
    low, high = _prefix_range(prefix)
    where = pgsql.SQL('number COLLATE "C" >= %(low)s AND number COLLATE "C" < %(high)s')
    return where, {"low": low, "high": high}


def _site_filter(site: str | None) -> tuple[pgsql.Composable, dict[str, Any]]:
    """The rows of site ``site``: those whose own site is ``site`` (a range added for it), or that a
    connection of that site registers (its extra ``site``, recorded with its kept read). The sync
    writes no site on the rows it creates, which keeps its writes as lean as before; a number's site
    is where it is, asked when filtering."""
    if not site:
        return pgsql.SQL("true"), {}
    where = pgsql.SQL(
        "(number_inventory.site = %(site)s OR EXISTS (SELECT 1 FROM audiocodes_registration AS sr "
        "JOIN audiocodes_connection AS sc USING (connection_id) "
        "WHERE sr.number = number_inventory.number AND sc.site = %(site)s))"
    )
    return where, {"site": site}


def parse_site(text: str | None) -> str | None:
    """A site filter: ``None`` or a site's name (:func:`tenants.site_name`); :class:`BadQuery` says
    what a site may be."""
    from number_inventory import tenants
    from number_inventory.settings import SettingError

    try:
        return tenants.site_name(text) or None
    except SettingError as exc:
        raise BadQuery(str(exc)) from None


# --- summary ------------------------------------------------------------------------------------


def summary(conn: psycopg.Connection, today: dt.date, timezone: str) -> dict[str, Any]:
    """Counts by status and vendor, the AudioCodes share, releases per day ahead, the Used / Cooling /
    Available counts of recent days, and the latest daily run."""
    by_status = dict.fromkeys(STATUSES, 0)
    by_vendor: dict[str, int] = {}
    for row in _rows(conn, sql("view/status_counts")):
        by_status[row["status"]] = by_status.get(row["status"], 0) + row["numbers"]
        by_vendor[row["vendor"]] = by_vendor.get(row["vendor"], 0) + row["numbers"]
    total = sum(by_status.values())
    audiocodes = by_vendor.get(AUDIOCODES, 0)
    daily = _rows(conn, sql("view/last_daily_run"))
    return {
        "today": today,
        "timezone": timezone,
        "total": total,
        "by_status": by_status,
        "by_vendor": dict(sorted(by_vendor.items(), key=lambda item: (-item[1], item[0]))),
        "audiocodes": audiocodes,
        "audiocodes_share": audiocodes / total if total else 0.0,
        "releases": releases_by_day(conn, today),
        "trend": status_trend(conn, today, timezone, by_status),
        "last_daily_run": daily[0] if daily else None,
    }


def releases_by_day(conn: psycopg.Connection, today: dt.date, days: int = CHART_DAYS) -> dict[str, Any]:
    """Cooling numbers to be released on each of the next ``days`` days (today first), plus those
    overdue (release date passed, not released yet) and those without a release date."""
    until = today + dt.timedelta(days=days - 1)
    per_day = {today + dt.timedelta(days=i): 0 for i in range(days)}
    overdue = undated = 0
    for row in _rows(conn, sql("view/releases_by_day"), {"until": until}):
        if row["release_date"] is None:
            undated += row["numbers"]
        elif row["release_date"] < today:
            overdue += row["numbers"]
        else:
            per_day[row["release_date"]] = row["numbers"]
    return {
        "days": [{"day": day, "numbers": n} for day, n in per_day.items()],
        "overdue": overdue,
        "undated": undated,
    }


def status_trend(
    conn: psycopg.Connection,
    today: dt.date,
    timezone: str,
    now: dict[str, int],
    days: int = CHART_DAYS,
) -> list[dict[str, Any]]:
    """The Used, Cooling and Available counts at the end of each of the last ``days`` days, worked
    back from the counts ``now`` through their changes per quarter hour, which the database keeps
    (migration 0015; before it, they came from the history: changes made outside the DAGs count
    since migration 0012, rows loaded by hand before it as if they had always been so)."""
    first = today - dt.timedelta(days=days - 1)
    since = dt.datetime.combine(first, dt.time(), tzinfo=ZoneInfo(timezone))
    deltas: dict[tuple[dt.date, str], int] = {}
    for row in _rows(conn, sql("view/status_changes_by_day"), {"since": since, "timezone": timezone}):
        deltas[(row["day"], row["status"])] = row["delta"]
    counts = {status: now.get(status, 0) for status in TREND_STATUSES}
    trend = []
    for offset in range(days):
        day = today - dt.timedelta(days=offset)
        trend.append({"day": day, **counts})
        counts = {status: counts[status] - deltas.get((day, status), 0) for status in TREND_STATUSES}
    return trend[::-1]


#: The longest range the report trend answers: ten years of days.
MAX_TREND_DAYS = 3660


def trend_range(
    today: dt.date, first: dt.date | None, last: dt.date | None, days: int | None
) -> tuple[dt.date, dt.date]:
    """The days the report trend shows: ``first`` to ``last`` (``last`` defaults to today, ``first``
    to ``days`` days before ``last``, :data:`CHART_DAYS` unless given). Raises :class:`BadQuery` for
    an empty or too long range."""
    last = last or today
    if first is None:
        count = CHART_DAYS if days is None else days
        if not 1 <= count <= MAX_TREND_DAYS:
            raise BadQuery(f"days must be between 1 and {MAX_TREND_DAYS}, got {count}")
        first = last - dt.timedelta(days=count - 1)
    elif days is not None:
        raise BadQuery("give either from or days, not both")
    if first > last:
        raise BadQuery(f"from ({first}) must not be after to ({last})")
    if (last - first).days + 1 > MAX_TREND_DAYS:
        raise BadQuery(f"the range may hold at most {MAX_TREND_DAYS} days, got {(last - first).days + 1}")
    return first, last


def report_trend(conn: psycopg.Connection, first: dt.date, last: dt.date) -> dict[str, Any]:
    """The daily report (``number_inventory_daily_report``, written by every daily run, current or
    backfilled) for each day from ``first`` to ``last``: the total, the counts by status and the
    day's events (to cooling, back online, released, by action, by hand), ``provisional`` when it was
    computed before the day ended; ``missing`` lists the days without a report (backfill
    ``number_inventory_daily`` for them)."""
    reports: dict[dt.date, dict[str, Any]] = {}
    for row in _rows(conn, sql("view/report_trend"), {"first": first, "last": last}):
        day = reports.setdefault(
            row["day"],
            {
                "day": row["day"],
                "total": 0,
                "status": dict.fromkeys(STATUSES, 0),
                "event": {},
                "provisional": row["computed_at"] < row["as_of"],
            },
        )
        if row["measure"] == "total":
            day["total"] = row["numbers"]
        else:
            day[row["measure"]][row["key"]] = row["numbers"]
    every = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    return {
        "from": first,
        "to": last,
        "days": [reports[d] for d in every if d in reports],
        "missing": [d for d in every if d not in reports],
    }


# --- numbers ------------------------------------------------------------------------------------


def numbers_page(
    conn: psycopg.Connection,
    *,
    status: str | None,
    prefix: str | None,
    limit: int,
    offset: int = 0,
    after: str | None = None,
    site: str | None = None,
) -> dict[str, Any]:
    """One page of inventory rows in number order, by status, number prefix and site
    (:func:`_site_filter`), from the first or after the number ``after`` (the ``next`` of the page
    before)."""
    check_page(limit, offset, after)
    after = _number_key(after)
    if status is not None and status not in STATUSES:
        raise BadQuery(f"status must be one of {', '.join(STATUSES)}, got {status!r}")
    where, params = _number_filter(prefix)
    if status is not None:
        where = pgsql.SQL("status = %(status)s AND ") + where
        params["status"] = status
    if site:
        site_where, site_params = _site_filter(site)
        where, params = where + pgsql.SQL(" AND ") + site_where, {**params, **site_params}
    if after is not None:
        where = where + pgsql.SQL(' AND number COLLATE "C" > %(after)s')
        params["after"] = after
    query = pgsql.SQL(sql("view/numbers_page")).format(where=where)
    rows = _rows(conn, query, {**params, "limit": limit + 1, "offset": offset})
    extra = {"site": site} if site else {}
    return _page(rows, limit, offset, lambda row: row["number"], after, status=status, prefix=prefix, **extra)


def cooling_queue(
    conn: psycopg.Connection,
    today: dt.date,
    *,
    prefix: str | None = None,
    sort: str = "release_date",
    descending: bool = False,
    limit: int = 50,
    offset: int = 0,
    number: str | None = None,
    after: str | None = None,
    site: str | None = None,
) -> dict[str, Any]:
    """One page of the cooling numbers (of site ``site``: :func:`_site_filter`) with release date, days left (from ``today``), when and why
    each went into Cooling and the connection it was last seen on (see ``view/cooling_queue.sql``).
    ``number`` picks one number instead of a prefix. ``after`` (the ``next`` of the page before)
    is the last row's number, or by release date ``<release date>_<number>`` (``undated_<number>``
    for a row without one: those come last, and first in descending order)."""
    check_page(limit, offset, after)
    if sort not in COOLING_SORTS:
        raise BadQuery(f"sort must be one of {', '.join(COOLING_SORTS)}, got {sort!r}")
    order = pgsql.SQL(COOLING_SORTS[sort].format(direction="DESC" if descending else "ASC"))
    where, params = _number_filter(prefix, exact=number)
    if site:
        site_where, site_params = _site_filter(site)
        where, params = where + pgsql.SQL(" AND ") + site_where, {**params, **site_params}
    params.update(today=today, offset=offset)
    template = sql("view/cooling_queue")
    rows: list[dict] = []
    for section, section_params in _cooling_sections(sort, descending, after):
        query = pgsql.SQL(template).format(where=where + pgsql.SQL(" AND ") + section, order=order)
        rows += _rows(conn, query, {**params, **section_params, "limit": limit + 1 - len(rows)})
        if len(rows) > limit:
            break
    key = _cooling_number_key if sort == "number" else _cooling_date_key
    return _page(rows, limit, offset, key, after, prefix=prefix, sort=sort, descending=descending)


def _cooling_number_key(row: dict) -> str:
    return row["number"]


def _cooling_date_key(row: dict) -> str:
    day = row["release_date"]
    return f"{UNDATED if day is None else day.isoformat()}_{row['number']}"


def _cooling_sections(
    sort: str, descending: bool, after: str | None
) -> list[tuple[pgsql.Composable, dict[str, Any]]]:
    """The filters, in page order, of the parts of the cooling queue that follow ``after``.

    By number, one: the numbers after (or, descending, before) ``after``. By release date the
    queue sorts rows without a release date last (first when descending), and a row comparison
    ``(release_date, number) > (day, number)`` never holds for them; so the dated and the undated
    rows are two index ranges, read one after the other until the page is full."""
    if after is None:
        return [(pgsql.SQL("true"), {})]
    beyond = "<" if descending else ">"
    if sort == "number":
        return [(pgsql.SQL(f'number COLLATE "C" {beyond} %(after)s'), {"after": _number_key(after)})]
    day_text, _, number = after.partition("_")
    if _number_key(number or None) is None:
        raise BadQuery(f"after must be '<release date>_<number>' (the 'next' of a page), got {after!r}")
    undated = pgsql.SQL(f'release_date IS NULL AND number COLLATE "C" {beyond} %(after)s')
    rest_undated = pgsql.SQL("release_date IS NULL")
    rest_dated = pgsql.SQL("release_date IS NOT NULL")
    if day_text == UNDATED:
        return (
            [(undated, {"after": number}), (rest_dated, {})] if descending else [(undated, {"after": number})]
        )
    try:
        day = dt.date.fromisoformat(day_text)
    except ValueError:
        raise BadQuery(
            f"after must be '<release date>_<number>' (the 'next' of a page), got {after!r}"
        ) from None
    dated = pgsql.SQL(f'(release_date, number COLLATE "C") {beyond} (%(after_day)s, %(after)s)')
    params = {"after_day": day, "after": number}
    return [(dated, params)] if descending else [(dated, params), (rest_undated, {})]


def number_detail(conn: psycopg.Connection, number: str, today: dt.date) -> dict[str, Any]:
    """One number: its inventory row (``None`` when it is not in the inventory), the connections
    whose kept read registers it with the contacts of each (URI, expiry in seconds, active or
    pending), and its cooling details while it cools."""
    found = _rows(conn, sql("view/number_row"), {"number": number})
    row = found[0] if found else None
    cooling = None
    if row is not None and row["status"] == COOLING:
        cooling = cooling_queue(conn, today, number=number, limit=1)["items"][0]
    registrations = _rows(conn, sql("view/number_registrations"), {"number": number})
    for registration in registrations:
        registration["contacts"] = [contacts.parse(c) for c in registration["contacts"]]
    return {"number": number, "row": row, "registrations": registrations, "cooling": cooling}


def _row_id(row: dict) -> int:
    return row["id"]


def number_history(
    conn: psycopg.Connection, number: str, *, limit: int, offset: int = 0, after: int | None = None
) -> dict[str, Any]:
    """One page of the history of one number, newest first, from the newest or before the change
    ``after`` (an id: the ``next`` of the page before)."""
    check_page(limit, offset, after)
    where, params = _id_after(after, newest_first=True)
    query = pgsql.SQL(sql("view/number_history")).format(where=where)
    rows = _rows(conn, query, {**params, "number": number, "limit": limit + 1, "offset": offset})
    return _page(rows, limit, offset, _row_id, after, number=number)


def recent_changes(
    conn: psycopg.Connection, *, limit: int, offset: int = 0, after: int | None = None
) -> dict[str, Any]:
    """One page of the whole history, newest first, from the newest or before the change ``after``."""
    check_page(limit, offset, after)
    where, params = _id_after(after, newest_first=True)
    query = pgsql.SQL(sql("view/recent_changes")).format(where=where)
    rows = _rows(conn, query, {**params, "limit": limit + 1, "offset": offset})
    return _page(rows, limit, offset, _row_id, after)


# --- audit and connections ----------------------------------------------------------------------


def latest_audit(
    conn: psycopg.Connection, *, limit: int, offset: int = 0, after: int | None = None
) -> dict[str, Any]:
    """The daily run of the latest run day (its summary counts every finding by check), what it found
    about whole connections (``connection_findings``: stale reads, unconfigured connections, releases
    withheld; at most :data:`CONNECTION_FINDINGS`) and one page of its findings about numbers, from the
    first or after the finding ``after`` (an id: the ``next`` of the page before); and what the action
    ``canonicalise_numbers`` left for an operator (``canonical_findings``: the spellings it would not
    merge, by connection; at most :data:`CONNECTION_FINDINGS`)."""
    check_page(limit, offset, after)
    canonical = _rows(conn, sql("view/canonical_findings"), {"limit": CONNECTION_FINDINGS})
    daily = _rows(conn, sql("view/last_daily_run"))
    if not daily:
        return {
            "run": None,
            "connection_findings": [],
            "canonical_findings": canonical,
            **_page([], limit, offset, _row_id, after),
        }
    run = daily[0]
    by_connection = _rows(
        conn,
        sql("view/audit_connection_findings"),
        {"run_day": run["run_day"], "run_id": run["run_id"], "limit": CONNECTION_FINDINGS},
    )
    where, params = _id_after(after, newest_first=False)
    query = pgsql.SQL(sql("view/audit_findings")).format(where=where)
    rows = _rows(
        conn,
        query,
        {**params, "run_day": run["run_day"], "run_id": run["run_id"], "limit": limit + 1, "offset": offset},
    )
    return {
        "run": run,
        "connection_findings": by_connection,
        "canonical_findings": canonical,
        **_page(rows, limit, offset, _row_id, after),
    }


def connections(
    conn: psycopg.Connection,
    configured: Sequence[str],
    limit: int = 1000,
    *,
    now: dt.datetime | None = None,
    max_read_age: dt.timedelta = dt.timedelta(hours=settings.DEFAULT_READ_AGE_HOURS),
) -> list[dict]:
    """Each connection with its state (``ok``, ``failing``, ``reading``, ``never read``), its kept
    read (time, age in hours at ``now``, bindings, numbers), its latest failure and why, and whether
    it is ``stale`` as the daily audit's ``stale_read`` check sees it: configured, and its kept read
    older than ``max_read_age`` or missing."""
    rows = _rows(conn, sql("view/connections"), {"configured": list(configured), "limit": limit, "now": now})
    for row in rows:
        # Errors stored before the scrubber existed may hold an echoed Authorization header.
        for key in ("latest_error", "failed_error"):
            row[key] = None if row[key] is None else scrub(row[key])
        row["state"] = {
            None: "never read",
            "complete": "ok",
            "failed": "failing",
            "running": "reading",
        }[row["latest_state"]]
        age = row.pop("kept_read_age")
        row["kept_read_age_hours"] = None if age is None else round(age / dt.timedelta(hours=1), 1)
        row["stale"] = bool(row["configured"]) and (age is None or age > max_read_age)
    return rows
