"""
# AudioCodes connection purge

Decommissions one AudioCodes connection — the counterpart of removing a device integration. It drops
the connection's kept read and, in the same transaction, sends to **Cooling** the numbers that no
other kept read registers, by the normal rules (same `audiocodes_cooling_duration`, same history).
Numbers another connection still registers stay Used. While a configured connection has never been
read completely, the purge cools nothing and says so (the numbers may be that connection's); the
next sync after its first complete read cools them.

This is the one way to decommission a device: dropping its id from `audiocodes_connections` alone
does not cool its numbers (its kept read keeps registering them, and the daily audit reports it).

It works within the connection's tenant (its extra `tenant`; for a connection Airflow no longer
defines, the **tenant** parameter): numbers other tenants' connections register are never touched.

Manual only. Type the connection id, and type it again to confirm. Afterwards remove the id from the
Variable `audiocodes_connections`, or the next sync reads the device again.
"""

from __future__ import annotations

from airflow.sdk import Param, dag, task

from number_inventory.airflow_glue import assets, dag_defaults, tasks


@dag(
    dag_id="audiocodes_connection_purge",
    schedule=None,
    doc_md=__doc__,
    **dag_defaults.DAG_DEFAULTS,
    params={
        "connection_id": Param(
            "",
            type="string",
            title="Connection id",
            description="The Airflow connection id of the AudioCodes device to decommission.",
            minLength=1,
        ),
        "confirm": Param(
            "",
            type="string",
            title="Confirm",
            description="Type the connection id again to confirm.",
        ),
        "tenant": Param(
            "",
            type=["null", "string"],
            title="Tenant",
            description="Only for a connection Airflow no longer defines: the tenant whose inventory "
            "holds its kept read (empty: the global tenant). A defined connection's own extra "
            "'tenant' decides; naming another tenant is refused.",
        ),
    },
)
def audiocodes_connection_purge():
    @task
    def prepare(dag_run=None, dag=None, ti=None) -> dict:
        """Validate the Variables and the form, bring the schema up to date and fix the run day."""
        return tasks.prepare("purge", dag_run=dag_run, dag=dag, ti=ti)

    @task(outlets=[assets.INVENTORY])
    def purge(prepared: dict, params=None, dag_run=None, outlet_events=None) -> dict:
        """Drop the connection's kept read and cool its numbers that no other connection registers."""
        return tasks.purge(prepared, params=params, dag_run=dag_run, outlet_events=outlet_events)

    purge(prepare())


audiocodes_connection_purge()
