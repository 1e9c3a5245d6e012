"""Every DAG file imports cleanly, carries docs, tags, owner and retries, and reads no Variable,
touches no database and imports no pandas while it is parsed."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import ROOT

EXPECTED = {
    "audiocodes_number_sync",
    "number_inventory_daily",
    "audiocodes_connection_purge",
    "number_inventory_action",
}


def test_every_dag_imports(dagbag):
    assert not dagbag.import_errors
    assert set(dagbag.dag_ids) == EXPECTED


@pytest.mark.parametrize("dag_id", sorted(EXPECTED))
def test_dag_has_docs_tags_owner_and_retries(dagbag, dag_id):
    dag = dagbag.get_dag(dag_id)
    assert dag.tags and dag.doc_md and dag.doc_md.strip().startswith("# ")
    assert dag.catchup is False
    assert dag.max_active_runs == 1
    for task in dag.tasks:
        assert task.owner == "voice-platform", task.task_id
        # TaskFlow turns a task's docstring into its docs; a mapped task keeps it on its callable.
        doc = task.doc_md or getattr(task.python_callable, "__doc__", None)
        assert doc and doc.strip(), f"{task.task_id} has no docstring"
    retried = [t for t in dag.tasks if t.retries >= 1]
    assert retried, "no task retries"
    assert dag.default_args["retries"] >= 1


@pytest.mark.parametrize("dag_id", sorted(EXPECTED))
def test_every_task_and_run_is_bounded_in_time(dagbag, dag_id):
    from number_inventory.airflow_glue import dag_defaults

    dag = dagbag.get_dag(dag_id)
    assert dag.dagrun_timeout == dag_defaults.DAGRUN_TIMEOUT
    for task in dag.tasks:
        assert task.execution_timeout is not None, f"{task.task_id} has no execution_timeout"
        assert task.execution_timeout <= dag.dagrun_timeout, task.task_id
    reads = [t for t in dag.tasks if t.task_id == "read_connection"]
    for read in reads:
        assert read.execution_timeout == dag_defaults.READ_TIMEOUT
    others = [t for t in dag.tasks if t.task_id != "read_connection"]
    assert all(t.execution_timeout == dag_defaults.TASK_TIMEOUT for t in others)


def test_a_read_may_outlast_its_pages_retries_but_not_the_run(dagbag):
    from number_inventory.airflow_glue import dag_defaults
    from number_inventory.device_apis.contract import Contract

    # A page of the default contract that keeps timing out gives up after (retries + 1) timeouts;
    # the read's budget holds several of those, the run's holds a read and the tasks around it.
    contract = Contract()
    one_page = dt.timedelta(seconds=contract.timeout_seconds * (contract.retries + 1))
    assert 5 * one_page <= dag_defaults.READ_TIMEOUT
    assert dag_defaults.DAGRUN_TIMEOUT >= dag_defaults.READ_TIMEOUT + 3 * dag_defaults.TASK_TIMEOUT


def test_sync_reads_are_mapped_per_connection(dagbag):
    dag = dagbag.get_dag("audiocodes_number_sync")
    read = dag.get_task("read_connection")
    assert read.is_mapped if hasattr(read, "is_mapped") else type(read).__name__ == "MappedOperator"
    assert dag.get_task("reconcile").trigger_rule == "all_done_min_one_success"
    assert dag.params["allow_mass_removal"] is False
    assert dagbag.get_dag("number_inventory_daily").params["dry_run"] is False


PARSE_WITHOUT_RESOURCES = textwrap.dedent(
    """
    import socket, sys
    # Anything that reaches for a Variable, a connection or the network while parsing fails loudly.
    def refuse(*args, **kwargs):
        raise RuntimeError("resource used at parse time")
    socket.create_connection = refuse
    socket.socket.connect = refuse
    import airflow.sdk
    airflow.sdk.Variable.get = staticmethod(refuse)
    airflow.sdk.Connection.get = staticmethod(refuse)
    from airflow.dag_processing.dagbag import DagBag
    bag = DagBag(dag_folder=sys.argv[1])
    assert not bag.import_errors, bag.import_errors
    assert len(bag.dag_ids) == 4, bag.dag_ids
    heavy = [m for m in ("pandas", "psycopg", "requests") if m in sys.modules]
    assert not heavy, f"imported at parse time: {heavy}"
    print("parsed", sorted(bag.dag_ids))
    """
)


def test_parsing_reads_no_variable_database_or_heavy_import(airflow_home):
    env = dict(os.environ)
    env.pop("AIRFLOW_CONN_NUMBER_INVENTORY_DB", None)
    result = subprocess.run(
        [sys.executable, "-c", PARSE_WITHOUT_RESOURCES, str(ROOT / "dags")],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    assert "parsed" in result.stdout


def test_the_tasks_that_write_declare_what_they_write_as_assets(dagbag):
    """Lineage (issue 23): Airflow's Assets view lists the runs that wrote the inventory or the report."""
    from number_inventory.airflow_glue import assets

    writers = {
        ("audiocodes_number_sync", "reconcile"): [assets.INVENTORY],
        ("number_inventory_daily", "release_and_audit"): [assets.INVENTORY],
        ("number_inventory_daily", "report"): [assets.DAILY_REPORT],
        ("audiocodes_connection_purge", "purge"): [assets.INVENTORY],
        ("number_inventory_action", "act"): [assets.INVENTORY],
    }
    for dag_id in sorted(EXPECTED):
        for task in dagbag.get_dag(dag_id).tasks:
            assert list(task.outlets) == writers.get((dag_id, task.task_id), []), (dag_id, task.task_id)
    assert assets.INVENTORY.uri == "number-inventory://number_inventory_db/number_inventory"
