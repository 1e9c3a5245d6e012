"""Copies the note a run's tasks leave (``number_inventory.airflow_glue.run_notes``) into the DAG run's note
when the run ends, so a skipped sync backfill run says why where users look (the run's *Dag Run Note*).

An Airflow listener: it runs where a run's end is decided (the scheduler; ``dag.test()``'s own
process), with the metadata database's session of that decision.
"""

from __future__ import annotations

from typing import Any, ClassVar

from airflow.listeners import hookimpl
from airflow.plugins_manager import AirflowPlugin


class RunNoteListener:
    @hookimpl
    def on_dag_run_success(self, dag_run: Any, msg: str) -> None:
        from number_inventory.airflow_glue import run_notes

        run_notes.copy_to_note(dag_run)

    @hookimpl
    def on_dag_run_failed(self, dag_run: Any, msg: str) -> None:
        from number_inventory.airflow_glue import run_notes

        run_notes.copy_to_note(dag_run)


class NumberInventoryRunNotesPlugin(AirflowPlugin):
    """Registers the listener."""

    name = "number_inventory_run_notes"
    listeners: ClassVar[list[Any]] = [RunNoteListener()]
