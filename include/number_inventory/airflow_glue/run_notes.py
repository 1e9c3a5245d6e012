"""A DAG run's note, written from what its tasks found: why a run read nothing, where users look.

A task cannot set its own run's note: the Task SDK reads the note (``context["dag_run"].note``) but
the execution API has no call that writes it, and a task has no access to the metadata database.
So a task leaves the text as an XCom (:func:`leave`, key :data:`KEY`), and a listener
(``plugins/number_inventory_run_notes.py``) that runs where the run's state is decided (the
scheduler, or ``dag.test()``'s process) copies it into the run's note when the run ends. The note
shows with the run (click it in the grid: *Dag Run Note*) and in the REST API, so a sync backfill
run that was skipped says why without opening ``prepare``'s log. A note a user wrote is never
replaced.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)

#: The XCom key a task leaves its run's note under.
KEY = "number_inventory_run_note"
#: The longest note the metadata database keeps (``dag_run_note.content``).
MAX_LENGTH = 1000


def leave(ti: Any, text: str) -> None:
    """From the running task ``ti``: ask for ``text`` to become the run's note when the run ends."""
    if len(text) > MAX_LENGTH:
        text = text[: MAX_LENGTH - 1] + "…"
    ti.xcom_push(key=KEY, value=text)


def note_of(dag_run: Any, session: Any) -> str | None:
    """The note the run's tasks left (the first by task id and map index), or ``None``."""
    from airflow.models.xcom import XComModel
    from sqlalchemy import select

    row = session.execute(
        select(XComModel.value)
        .where(XComModel.dag_id == dag_run.dag_id, XComModel.run_id == dag_run.run_id, XComModel.key == KEY)
        .order_by(XComModel.task_id, XComModel.map_index)
        .limit(1)
    ).first()
    if row is None:
        return None
    value = XComModel.deserialize_value(row)
    return str(value) if value else None


def copy_to_note(dag_run: Any) -> None:
    """Set the run's note to what its tasks left, unless it has one; never raises.

    In the scheduler the run belongs to the session deciding its state, which holds its row locked and
    allows no commit but its own (and is the thread's scoped session: a ``create_session()`` here would
    commit and close it under the scheduler's feet). So the XCom is read and the note set in that
    session, without committing: the note is committed with the run's state. A run outside any
    session (``dag.test()`` hands the listener one) gets its note in a session of its own."""
    from sqlalchemy.orm import object_session

    try:
        session = object_session(dag_run)
        if session is not None:
            _copy(dag_run, session)
            return
        from airflow.models import DagRun
        from airflow.utils.session import create_session

        with create_session() as own:
            attached = own.query(DagRun).filter_by(dag_id=dag_run.dag_id, run_id=dag_run.run_id).one_or_none()
            if attached is not None:
                _copy(attached, own)
    except Exception:
        log.warning("Could not set the note of %s %s", dag_run.dag_id, dag_run.run_id, exc_info=True)


def _copy(dag_run: Any, session: Any) -> None:
    text = note_of(dag_run, session)
    if text and not dag_run.note:
        dag_run.note = text
