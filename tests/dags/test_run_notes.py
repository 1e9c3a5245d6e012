"""A run that reads nothing says why in its DAG run's note (``number_inventory.airflow_glue.run_notes`` and the
listener in ``plugins/number_inventory_run_notes.py``), not only in ``prepare``'s log (issue 23, item 5)."""

from __future__ import annotations

import pytest

from tests.dags.helpers import D

pytestmark = pytest.mark.dag

SYNC = "audiocodes_number_sync"


def notes(dag_id: str) -> dict[str, str | None]:
    """Each run of ``dag_id`` by logical day, with its note, from the metadata database."""
    from airflow.models import DagRun
    from airflow.utils.session import create_session

    with create_session() as session:
        runs = session.query(DagRun).filter(DagRun.dag_id == dag_id).all()
        return {run.logical_date.date(): run.note for run in runs if run.logical_date is not None}


def test_a_sync_backfill_run_says_why_it_read_nothing_in_its_note(db, devices, run_dag):
    devices["audiocodes_a"].register_numbers(range(1000, 1005))
    assert run_dag(SYNC, D(2026, 11, 10))[0] == "success"
    state, tasks = run_dag(SYNC, D(2026, 11, 8), run_type="backfill")
    assert state == "success" and tasks["reconcile"] == ["skipped"]

    found = notes(SYNC)
    assert found[D(2026, 11, 10)] is None  # a run that read the devices leaves no note
    note = found[D(2026, 11, 8)]
    assert note is not None, "the skipped backfill run has no note: the reason is only in prepare's log"
    assert note.startswith("Read nothing and changed nothing: run day 2026-11-08: a backfill run"), note
    assert "reads the devices as they are now" in note
