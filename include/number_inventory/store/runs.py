"""Which run wrote what: the ``RunInfo`` recorded with every change, and the record of processed run
days (``inventory_run``)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import psycopg

from number_inventory.store.sql_files import sql


@dataclass(frozen=True)
class RunInfo:
    """Which Airflow run is writing, and for which run day; recorded with every change. A manual
    action also records who triggered it (``actor``) and the reason they gave (``note``)."""

    dag_id: str
    run_id: str
    run_day: dt.date
    actor: str | None = None
    note: str | None = None

    def params(self) -> dict[str, Any]:
        return {
            "dag_id": self.dag_id,
            "run_id": self.run_id,
            "run_day": self.run_day,
            "actor": self.actor,
            "note": self.note,
        }


def latest_run_day(conn: psycopg.Connection, kind: str) -> dt.date | None:
    """The latest run day a run of ``kind`` has processed."""
    return conn.execute(sql("runs/latest_run_day"), {"kind": kind}).fetchone()[0]


def record_run(conn: psycopg.Connection, kind: str, run: RunInfo, summary: dict[str, Any]) -> None:
    """Inside the caller's transaction: note that ``run`` processed its run day."""
    conn.execute(sql("runs/record_run"), {"kind": kind, **run.params(), "summary": json.dumps(summary)})
