"""The SQL loader: every statement the project runs lives in a file under ``include/sql/``, one
statement per file, named for what it does (``include/sql/ui_queries/`` holds the UI's queries)."""

from __future__ import annotations

import functools
from pathlib import Path

SQL_DIR = Path(__file__).resolve().parents[2] / "sql"


@functools.cache
def sql(name: str) -> str:
    """The text of ``include/sql/<name>.sql``."""
    return (SQL_DIR / f"{name}.sql").read_text()
