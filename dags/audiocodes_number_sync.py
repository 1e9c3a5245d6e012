"""
# AudioCodes number sync

Reads the registered users of every AudioCodes connection listed in the Variable
`audiocodes_connections` and keeps the number inventory (`number_inventory_db`) in step:

- a number registered on any connection becomes **Used / Device / AudioCodes**;
- an AudioCodes number no connection registers any more goes to **Cooling** for
  `audiocodes_cooling_duration` days (Tag and Release Date set);
- a cooling number that registers again comes **back online**.

One mapped `read_connection` task per connection stages its complete read in PostgreSQL; a read that
fails, is cut short or does not add up is kept out, and that connection's numbers stay as they were.
`reconcile` then applies the whole transition table in one transaction, once per tenant (a
connection's extra `tenant`; docs: *Tenants and sites*) with that tenant's connections alone: a number
is never cooled because another tenant's device stopped registering it. The run fails at
`check_reads` when any connection was not read, naming it and why.

The devices are read as they are now, so only a manual run or the latest scheduled interval reads
them: a backfill, a catchup run for a past interval, a run after a gap, or a run for a day earlier
than the latest sync reads nothing and changes nothing, and says so. A run for a day after today
fails at `prepare` before any write.
Trigger with **allow_mass_removal** to accept a read that drops more than the guard allows
(Variable `audiocodes_mass_removal_guard`).
"""

from __future__ import annotations

import os

from airflow.sdk import Param, dag, task

from number_inventory.airflow_glue import assets, dag_defaults, tasks


@dag(
    dag_id="audiocodes_number_sync",
    schedule=os.environ.get("AUDIOCODES_SYNC_SCHEDULE", "@hourly"),
    doc_md=__doc__,
    **dag_defaults.DAG_DEFAULTS,
    params={
        "allow_mass_removal": Param(
            False,
            type="boolean",
            title="Allow mass removal",
            description="Accept reads that drop more numbers at once than the guard allows.",
        ),
    },
)
def audiocodes_number_sync():
    @task
    def prepare(dag_run=None, dag=None, ti=None) -> dict:
        """Validate the Variables, bring the schema up to date and fix the run day."""
        return tasks.prepare("sync", dag_run=dag_run, dag=dag, ti=ti)

    @task
    def connections_to_read(prepared: dict) -> list[str]:
        """The connections to read: all configured ones; none for a run that is not for now."""
        return tasks.connections_to_read(prepared)

    # The client retries transient errors itself; a failed read keeps the previous one until the next run.
    # Each mapped read is named after its connection in the UI and in its alerts.
    @task(
        retries=0,
        execution_timeout=dag_defaults.READ_TIMEOUT,
        map_index_template="{{ task.op_kwargs['connection_id'] }}",
    )
    def read_connection(connection_id: str, prepared: dict, params=None, dag_run=None) -> dict:
        """Read all pages of one connection's registered users and keep the read if it is complete."""
        return tasks.read_connection(connection_id, prepared, params=params, dag_run=dag_run)

    @task(trigger_rule="all_done_min_one_success", outlets=[assets.INVENTORY])
    def reconcile(prepared: dict, dag_run=None, outlet_events=None) -> dict:
        """Apply the transition table to the inventory from the kept reads, in one transaction."""
        return tasks.reconcile(prepared, dag_run=dag_run, outlet_events=outlet_events)

    @task(trigger_rule="all_done_min_one_success")
    def check_reads(prepared: dict, dag_run=None, ti=None) -> None:
        """Fail the run, naming each connection whose read is missing or incomplete."""
        tasks.check_reads(prepared, dag_run=dag_run, ti=ti)

    prepared = prepare()
    reads = read_connection.partial(prepared=prepared).expand(connection_id=connections_to_read(prepared))
    summary = reconcile(prepared)
    reads >> summary >> check_reads(prepared)


audiocodes_number_sync()
