"""Number inventory kept in step with AudioCodes device registrations.

The package holds the whole logic and imports nothing from Airflow, so it can be tested and
benchmarked on its own; ``number_inventory.airflow_glue`` wires it to Airflow for the DAG files in ``dags/``.

- ``numbers``: normalising address-of-record user parts to inventory numbers.
- ``statuses`` and ``transitions``: the SPEC's statuses and transition table, release and audit as
  pure DataFrame functions.
- ``actions`` (and ``action_form``): operators' manual actions on numbers, checked number by number.
- ``settings``: validation of operator settings (Variables, trigger parameters, connection extras).
- ``clock``: today, for the checks that bound a run day by the wall clock.
- ``device_client``: the read of one device's registered users over HTTP, whichever API it speaks;
  ``device_apis`` holds the shared transport and one adapter per API (json, mediant-cli, cursor).
- ``store`` (with ``schema``): the PostgreSQL side: migrations, staged reads, set-based writes,
  history; its SQL is in ``include/sql/``.
- ``pipeline``: the DAGs' steps, as functions of a connection and validated settings.
- ``views``: the read-only queries of the Number Inventory view in the UI.
"""
