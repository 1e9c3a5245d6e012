"""Read-only queries behind the Number Inventory view in the Airflow UI.

The view (``plugins/number_inventory_view.py``) opens a connection per request and calls these
functions inside :func:`reading`: one read-only, repeatable-read transaction with a statement
timeout, so nothing here can write and every figure of one answer comes from one snapshot. Every
query is bounded: pages with a limit, aggregates over indexed ranges (see the migration
``0002_inventory_view_indexes``). Results are plain dicts and lists, ready to be sent as JSON.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from psycopg import sql as pgsql
from psycopg.rows import dict_row

from include.number_inventory import contacts, settings
from include.number_inventory import numbers as nums
from include.number_inventory.store import sql
from include.number_inventory.transitions import AUDIOCODES, AVAILABLE, COOLING, STATUSES, USED

MAX_LIMIT = 500
#: Days shown by the charts: releases ahead, and the Used / Cooling / Available counts back.
CHART_DAYS = 30
TREND_STATUSES = (USED, COOLING, AVAILABLE)
COOLING_SORTS = {
    "release_date": 'release_date {direction}, number COLLATE "C" {direction}',
    "number": 'number COLLATE "C" {direction}',
}


class BadQuery(ValueError):
    """A parameter of a request the view cannot answer; the message says what is allowed."""


@contextmanager
def reading(conn: psycopg.Connection, timeout_ms: int = 10_000) -> Iterator[psycopg.Connection]:
    """A read-only, repeatable-read transaction on ``conn`` (autocommit) that no statement may hold
    for longer than ``timeout_ms``. PostgreSQL refuses any write inside it."""
    with conn.transaction():
        conn.execute(sql("ui_queries/read_only_transaction"))
        conn.execute(sql("ui_queries/statement_timeout"), {"timeout": f"{int(timeout_ms)}ms"})
        yield conn


def _rows(conn: psycopg.Connection, query: Any, params: dict[str, Any] | None = None) -> list[dict]:
    with conn.cursor(row_factory=dict_row) as cursor:
        return cursor.execute(query, params).fetchall()


def _page(rows: list[dict], limit: int, offset: int, **extra: Any) -> dict[str, Any]:
    """A page answer from ``limit + 1`` fetched rows: the rows and whether there are more."""
    return {"items": rows[:limit], "limit": limit, "offset": offset, "has_more": len(rows) > limit, **extra}


def check_page(limit: int, offset: int) -> None:
    """Refuse pages that are not bounded."""
    if not 1 <= limit <= MAX_LIMIT:
        raise BadQuery(f"limit must be between 1 and {MAX_LIMIT}, got {limit}")
    if offset < 0:
        raise BadQuery(f"offset must be 0 or more, got {offset}")


def number_or_none(text: str) -> str | None:
    """The inventory number typed in ``text`` (``+1 415-555 0100``, ``tel:+14155550100`` ...), or
    ``None`` when it is not one."""
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


# --- summary ------------------------------------------------------------------------------------


def summary(conn: psycopg.Connection, today: dt.date, timezone: str) -> dict[str, Any]:
    """Counts by status and vendor, the AudioCodes share, releases per day ahead, the Used / Cooling /
    Available counts of recent days, and the latest daily run."""
    by_status = dict.fromkeys(STATUSES, 0)
    by_vendor: dict[str, int] = {}
    for row in _rows(conn, sql("ui_queries/status_counts")):
        by_status[row["status"]] = by_status.get(row["status"], 0) + row["numbers"]
        by_vendor[row["vendor"]] = by_vendor.get(row["vendor"], 0) + row["numbers"]
    total = sum(by_status.values())
    audiocodes = by_vendor.get(AUDIOCODES, 0)
    daily = _rows(conn, sql("ui_queries/last_daily_run"))
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
    for row in _rows(conn, sql("ui_queries/releases_by_day"), {"until": until}):
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
    back from the counts ``now`` through the history (changes made outside the DAGs included, since
    migration 0012; rows loaded by hand before it count as if they had always been so)."""
    first = today - dt.timedelta(days=days - 1)
    since = dt.datetime.combine(first, dt.time(), tzinfo=ZoneInfo(timezone))
    deltas: dict[tuple[dt.date, str], int] = {}
    for row in _rows(conn, sql("ui_queries/status_changes_by_day"), {"since": since, "timezone": timezone}):
        deltas[(row["day"], row["status"])] = row["delta"]
    counts = {status: now.get(status, 0) for status in TREND_STATUSES}
    trend = []
    for offset in range(days):
        day = today - dt.timedelta(days=offset)
        trend.append({"day": day, **counts})
        counts = {status: counts[status] - deltas.get((day, status), 0) for status in TREND_STATUSES}
    return trend[::-1]


# --- numbers ------------------------------------------------------------------------------------


def numbers_page(
    conn: psycopg.Connection, *, status: str | None, prefix: str | None, limit: int, offset: int
) -> dict[str, Any]:
    """One page of inventory rows in number order, by status and number prefix."""
    check_page(limit, offset)
    if status is not None and status not in STATUSES:
        raise BadQuery(f"status must be one of {', '.join(STATUSES)}, got {status!r}")
    where, params = _number_filter(prefix)
    if status is not None:
        where = pgsql.SQL("status = %(status)s AND ") + where
        params["status"] = status
    query = pgsql.SQL(sql("ui_queries/numbers_page")).format(where=where)
    rows = _rows(conn, query, {**params, "limit": limit + 1, "offset": offset})
    return _page(rows, limit, offset, status=status, prefix=prefix)


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
) -> dict[str, Any]:
    """One page of the cooling numbers with release date, days left (from ``today``), when and why
    each went into Cooling and the connection it was last seen on (see ``ui_queries/cooling_queue.sql``).
    ``number`` picks one number instead of a prefix."""
    check_page(limit, offset)
    if sort not in COOLING_SORTS:
        raise BadQuery(f"sort must be one of {', '.join(COOLING_SORTS)}, got {sort!r}")
    order = pgsql.SQL(COOLING_SORTS[sort].format(direction="DESC" if descending else "ASC"))
    where, params = _number_filter(prefix, exact=number)
    query = pgsql.SQL(sql("ui_queries/cooling_queue")).format(where=where, order=order)
    rows = _rows(conn, query, {**params, "today": today, "limit": limit + 1, "offset": offset})
    return _page(rows, limit, offset, prefix=prefix, sort=sort, descending=descending)


def number_detail(conn: psycopg.Connection, number: str, today: dt.date) -> dict[str, Any]:
    """One number: its inventory row (``None`` when it is not in the inventory), the connections
    whose kept read registers it with the contacts of each (URI, expiry in seconds, active or
    pending), and its cooling details while it cools."""
    found = _rows(conn, sql("ui_queries/number_row"), {"number": number})
    row = found[0] if found else None
    cooling = None
    if row is not None and row["status"] == COOLING:
        cooling = cooling_queue(conn, today, number=number, limit=1)["items"][0]
    registrations = _rows(conn, sql("ui_queries/number_registrations"), {"number": number})
    for registration in registrations:
        registration["contacts"] = [contacts.parse(c) for c in registration["contacts"]]
    return {"number": number, "row": row, "registrations": registrations, "cooling": cooling}


def number_history(conn: psycopg.Connection, number: str, *, limit: int, offset: int) -> dict[str, Any]:
    """One page of the history of one number, newest first."""
    check_page(limit, offset)
    rows = _rows(
        conn, sql("ui_queries/number_history"), {"number": number, "limit": limit + 1, "offset": offset}
    )
    return _page(rows, limit, offset, number=number)


def recent_changes(conn: psycopg.Connection, *, limit: int, offset: int) -> dict[str, Any]:
    """One page of the whole history, newest first."""
    check_page(limit, offset)
    rows = _rows(conn, sql("ui_queries/recent_changes"), {"limit": limit + 1, "offset": offset})
    return _page(rows, limit, offset)


# --- audit and connections ----------------------------------------------------------------------


def latest_audit(conn: psycopg.Connection, *, limit: int, offset: int) -> dict[str, Any]:
    """The latest daily run (its summary counts every finding by check) and one page of its findings."""
    check_page(limit, offset)
    daily = _rows(conn, sql("ui_queries/last_daily_run"))
    if not daily:
        return {"run": None, **_page([], limit, offset)}
    run = daily[0]
    rows = _rows(
        conn,
        sql("ui_queries/audit_findings"),
        {"run_day": run["run_day"], "run_id": run["run_id"], "limit": limit + 1, "offset": offset},
    )
    return {"run": run, **_page(rows, limit, offset)}


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
    rows = _rows(
        conn, sql("ui_queries/connections"), {"configured": list(configured), "limit": limit, "now": now}
    )
    for row in rows:
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
