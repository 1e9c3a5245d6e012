"""Number inventory kept in step with AudioCodes device registrations: the project's one installed
package (its folder is ``include/number_inventory``; its SQL, ``include/sql``, installs as
``number_inventory/sql``).

Two subpackages are Airflow's side: ``airflow_glue`` wires the logic to Airflow for the DAG files in
``dags/`` (task bodies, settings from Variables, connections, alerts), and ``provider`` is the Airflow
provider (the ``audiocodes`` connection type and its hook). Everything else holds the logic and imports
nothing from Airflow (``tests/number_inventory/test_layering.py``), so it is tested and benchmarked on
its own:

- ``numbers``: normalising address-of-record user parts to inventory numbers.
- ``statuses`` and ``transitions``: the SPEC's statuses and transition table, release and audit as
  pure DataFrame functions.
- ``actions`` (and ``action_form``): operators' manual actions on numbers, checked number by number.
- ``settings``: validation of operator settings (Variables, trigger parameters, connection extras).
- ``clock``: today, for the checks that bound a run day by the wall clock.
- ``device_client``: the read of one device's registered users over HTTP, whichever API it speaks;
  ``device_apis`` holds the shared transport, one adapter per API (json, mediant-cli, cursor) and
  their registry.
- ``store`` (with ``schema``): the PostgreSQL side: migrations, staged reads, set-based writes,
  history; its SQL is in ``include/sql/``.
- ``pipeline``: the DAGs' steps, as functions of a connection and validated settings.
- ``views``: the read-only queries of the Number Inventory view in the UI.
"""
