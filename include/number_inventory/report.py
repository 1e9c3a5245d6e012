"""The daily report (issue 23): the inventory at the end of a day, from the history.

Every daily run writes its run day's report into ``number_inventory_daily_report`` (migration
``0018``; what each row means is written there): counts by status, usage and vendor, the numbers
that went to cooling, came back, were released or were changed by hand that day, the history's rows
by reason, and the cooling backlog by release date. It is computed set-based in SQL as of the end of
the day in ``number_inventory_timezone``, the same inventory :func:`history.replay_as_of` gives for
that moment, so a report is the same whenever and in whatever order it is written: a backfill over a
year fills a year of trend. Writing a day again replaces its rows. Nothing here imports Airflow.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from psycopg.rows import dict_row

from number_inventory.statuses import STATUSES
from number_inventory.store.runs import RunInfo
from number_inventory.store.sql_files import sql

#: The report's events, in the order the view shows them (see migration 0018).
EVENTS = ("to_cooling", "back_online", "released", "by_action", "by_hand")
#: How many numbers of each event a report keeps as examples.
SAMPLE = 10
#: pg_advisory_xact_lock keys of the reports: this plus the day's ordinal, one lock per day, so that
#: two runs writing one day's report take turns; other days (and the inventory lock) never wait.
REPORT_LOCK_BASE = 7_301_100_000_000


def day_bounds(day: dt.date, timezone: str) -> tuple[dt.datetime, dt.datetime]:
    """``(start, end)`` of ``day`` in ``timezone``: its first moment and the next day's (a day of a
    daylight-saving change is 23 or 25 hours long)."""
    zone = ZoneInfo(timezone)
    start = dt.datetime.combine(day, dt.time(), tzinfo=zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    return start, end


def write(
    conn: psycopg.Connection,
    day: dt.date,
    timezone: str,
    run: RunInfo | None = None,
    *,
    dry_run: bool = False,
) -> dict[str, Any]:
    """Write the report of ``day`` (replacing any), in a transaction of its own (or a savepoint of the
    caller's), and return it as :func:`summarise` shows it; ``dry_run`` rolls the write back."""
    start, end = day_bounds(day, timezone)
    from number_inventory.store.inventory import tune_transaction

    with conn.transaction() as transaction:
        conn.execute(sql("runs/advisory_lock"), {"key": REPORT_LOCK_BASE + day.toordinal()})
        tune_transaction(conn)  # the history's sorts in memory, and no JIT
        conn.execute(sql("report/report_daily_delete"), {"day": day})
        conn.execute(
            sql("report/report_daily"),
            {
                "day": day,
                "start": start,
                "end": end,
                "timezone": timezone,
                "statuses": list(STATUSES),
                "events": list(EVENTS),
                "sample": SAMPLE,
                "dag_id": run.dag_id if run else None,
                "run_id": run.run_id if run else None,
            },
        )
        written = summarise(read(conn, day, day)).get(day, {})
        if dry_run:
            raise psycopg.Rollback(transaction)
    return written


def read(conn: psycopg.Connection, first: dt.date, last: dt.date) -> list[dict[str, Any]]:
    """The report rows of the days from ``first`` to ``last``, by day, measure and key."""
    with conn.cursor(row_factory=dict_row) as cursor:
        return cursor.execute(sql("report/report_days"), {"first": first, "last": last}).fetchall()


def summarise(rows: Iterable[dict[str, Any]]) -> dict[dt.date, dict[str, Any]]:
    """Report rows as one dict per day: ``total``, ``status``, ``usage``, ``vendor``, ``reason`` and
    ``cooling_release`` as ``{key: numbers}``, ``event`` as ``{event: numbers}`` with ``samples``
    ``{event: [numbers]}``, and ``as_of`` / ``computed_at``."""
    days: dict[dt.date, dict[str, Any]] = {}
    for row in rows:
        day = days.setdefault(
            row["day"],
            {
                "day": row["day"].isoformat(),
                "as_of": row["as_of"],
                "computed_at": row["computed_at"],
                "total": 0,
                **{m: {} for m in ("status", "usage", "vendor", "event", "reason", "cooling_release")},
                "samples": {},
            },
        )
        if row["measure"] == "total":
            day["total"] = row["numbers"]
            continue
        day[row["measure"]][row["key"]] = row["numbers"]
        if row["measure"] == "event":
            day["samples"][row["key"]] = list(row["sample"] or [])
    return days


def from_inventory(replayed: Iterable[tuple]) -> dict[str, Any]:
    """The counts of a report, worked out in Python from an inventory as :func:`history.replay_as_of`
    gives it (``number, status, usage, vendor, tag, release_date``): what a report's ``total``,
    ``status``, ``usage``, ``vendor`` and ``cooling_release`` must be. For tests and checks."""
    status: dict[str, int] = dict.fromkeys(STATUSES, 0)
    usage: dict[str, int] = {}
    vendor: dict[str, int] = {}
    cooling: dict[str, int] = {}
    total = 0
    for _, s, u, v, _tag, release in replayed:
        total += 1
        status[s] = status.get(s, 0) + 1
        usage[u or ""] = usage.get(u or "", 0) + 1
        vendor[v or ""] = vendor.get(v or "", 0) + 1
        if s == "Cooling":
            key = release.isoformat() if release else ""
            cooling[key] = cooling.get(key, 0) + 1
    return {"total": total, "status": status, "usage": usage, "vendor": vendor, "cooling_release": cooling}


def brief(report: dict[str, Any]) -> dict[str, Any]:
    """What a run's summary says of a report: its day, total, counts by status, events and the cooling
    backlog's size, without samples or the long lists."""
    if not report:
        return {}
    return {
        "day": report["day"],
        "total": report["total"],
        "status": report["status"],
        "events": report["event"],
        "cooling_release_dates": len(report["cooling_release"]),
    }
