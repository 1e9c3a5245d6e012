"""Reading the inventory back in DAG tests."""

from __future__ import annotations

import datetime as dt

D = dt.date


def rows(db) -> dict[str, tuple]:
    """``number -> (status, usage, vendor, tag, release_date)`` with ``None`` for empty."""
    cursor = db.execute(
        "SELECT number, status, nullif(usage, ''), nullif(vendor, ''), nullif(tag, ''), release_date "
        "FROM number_inventory"
    )
    return {r[0]: tuple(r[1:]) for r in cursor}


def row(db, number: str) -> tuple:
    return rows(db)[number]


def history_count(db) -> int:
    return db.execute("SELECT count(*) FROM number_inventory_history").fetchone()[0]


def by_status(db) -> dict[str, int]:
    return dict(db.execute("SELECT status, count(*) FROM number_inventory GROUP BY 1").fetchall())


USED = ("Used", "Device", "AudioCodes", None, None)


def cooling(release: dt.date, run_day: dt.date) -> tuple:
    days = (release - run_day).days
    return ("Cooling", "Device", "AudioCodes", f"Cooling: {days} day(s) until release on {release}", release)
