"""The SQL loader: every statement the project runs lives in a file under ``include/sql/``, one
statement per file, named for what it does, in a folder for the step that runs it (as dbt projects
group their models): ``reads/`` (a device read staged and kept), ``sync/`` (the reconcile's selection
and writes, shared by every step that changes the inventory), ``daily/`` (the audit's connection
findings), ``report/`` (the daily report), ``purge/``, ``runs/`` (the run record and the inventory
lock), ``history/``, ``bulk_load/``, ``schema/``, ``migrations/`` (applied once, in order) and
``view/`` (the Number Inventory view's queries). A statement is named by its path without ``.sql``:
``sql("reads/begin_read")``."""

from __future__ import annotations

import functools
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[1]
#: ``include/sql`` in the source tree; ``number_inventory/sql`` in an installed wheel (pyproject.toml
#: maps the one onto the other).
SQL_DIR = next(d for d in (_PACKAGE / "sql", _PACKAGE.parent / "sql") if d.is_dir())


@functools.cache
def sql(name: str) -> str:
    """The text of ``include/sql/<name>.sql``, e.g. ``sql("reads/begin_read")``."""
    return (SQL_DIR / f"{name}.sql").read_text()
