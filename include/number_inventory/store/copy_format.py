"""Bulk data in and out of PostgreSQL as text: ``COPY ... FROM STDIN`` in COPY's text format, and
whole columns fetched as NUL-joined aggregates."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import sql as pgsql

from number_inventory.store.sql_files import sql

if TYPE_CHECKING:  # pandas is imported where a frame is built: reads and schema checks do without it
    import pandas as pd


def fetch_columns(
    conn: psycopg.Connection, query: str, columns: Sequence[str], params: Any = None
) -> pd.DataFrame:
    """The result of ``query`` as a frame of text columns. The query returns one NUL-joined
    ``bytea`` aggregate per column, in one or more rows (see ``include/sql/load_inventory.sql``);
    a row of NULLs is a part of the table without rows."""
    values: list[list[str]] = [[] for _ in columns]
    with conn.cursor(binary=True) as cursor:
        # Streamed: each row is split here while the server builds the next.
        for row in cursor.stream(query, params):
            if row[0] is None:
                continue
            for column, joined in zip(values, row, strict=True):
                column.extend(bytes(joined).decode().split("\x00"))
    import pandas as pd

    return pd.DataFrame(
        {name: pd.Series(column, dtype="string") for name, column in zip(columns, values, strict=True)}
    )


# COPY's text format: NULL, and the characters that must be escaped in a value.
NULL = "\\N"
_COPY_SPECIALS = "\\\t\n\r"
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_in(conn: psycopg.Connection, table: str, frame: pd.DataFrame) -> None:
    """COPY ``frame``, of text and boolean columns, into ``table``; missing and empty text arrives as
    NULL. A text column that is empty throughout is left to the table's default (NULL) instead of
    sent: the before-values of a first load, say. The data is COPY's text format built column by
    column and joined at C speed, several times faster than the ``csv`` module row by row."""
    if frame.empty:
        return
    columns: dict[str, list[str]] = {}
    for name in frame.columns:
        column = frame[name]
        if column.dtype == bool:
            columns[name] = ["t" if flag else "f" for flag in column.to_numpy()]
            continue
        if column.dtype != "string":
            raise TypeError(f"{table}.{name}: only text and boolean columns are copied, not {column.dtype}")
        values = column.to_numpy(dtype=object, na_value="")
        joined = "".join(values)
        if not joined:
            continue
        if any(special in joined for special in _COPY_SPECIALS):
            values = [value.translate(_COPY_ESCAPES) for value in values]
        columns[name] = [value or NULL for value in values]
    rows = map("\t".join, zip(*columns.values(), strict=True))
    statement = pgsql.SQL(sql("bulk_load/copy_into")).format(
        table=pgsql.Identifier(table), columns=pgsql.SQL(", ").join(map(pgsql.Identifier, columns))
    )
    with conn.cursor().copy(statement) as copy:
        copy.write("\n".join(rows) + "\n")
