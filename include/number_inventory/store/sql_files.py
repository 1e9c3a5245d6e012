"""The SQL loader: every statement the project runs lives in a file under ``include/sql/``, one
statement per file, named for what it does (``include/sql/view/`` holds the UI's queries)."""

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
