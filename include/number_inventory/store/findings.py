"""The audit's findings: by number (``audit_finding``) and by connection (``audit_connection_finding``)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

import psycopg

from number_inventory.columns import BEFORE, FIELDS
from number_inventory.store.runs import RunInfo
from number_inventory.store.sql_files import sql

if TYPE_CHECKING:  # pandas is imported where a frame is built: reads and schema checks do without it
    import pandas as pd


def record_findings(conn: psycopg.Connection, findings: pd.DataFrame, run: RunInfo) -> None:
    """Inside the caller's transaction: store the audit's findings."""
    if findings.empty:
        return
    rows = [
        (
            run.dag_id,
            run.run_id,
            run.run_day,
            r["number"],
            r["check"],
            bool(r["repaired"]),
            json.dumps({f: r[b] for f, b in zip(FIELDS, BEFORE, strict=True)}),
            json.dumps({f: r[f] for f in FIELDS}),
        )
        for r in findings.fillna("").to_dict("records")
    ]
    with conn.cursor().copy(sql("daily/copy_audit_findings")) as copy:
        for row in rows:
            copy.write_row(row)


def record_connection_findings(
    conn: psycopg.Connection, check: str, findings: Sequence[tuple[str, int, str]], run: RunInfo
) -> None:
    """Inside the caller's transaction: store audit findings about whole connections
    (``(connection_id, numbers, message)``), which ``audit_finding`` cannot hold: it is by number."""
    for connection_id, numbers, message in findings:
        conn.execute(
            sql("daily/record_connection_finding"),
            {
                **run.params(),
                "connection_id": connection_id,
                "check": check,
                "numbers": numbers,
                "message": message,
            },
        )
