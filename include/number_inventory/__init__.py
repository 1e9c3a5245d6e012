"""Number inventory kept in step with AudioCodes device registrations.

The package holds the whole logic and imports nothing from Airflow, so it can be tested and
benchmarked on its own; the DAG files in ``dags/`` only wire it to Airflow.

- ``numbers``: normalising address-of-record user parts to inventory numbers.
- ``registrations``: turning binding items read from a device into number rows.
- ``transitions``: the SPEC's transition table, release and audit as pure DataFrame functions.
- ``actions`` (and ``action_form``): operators' manual actions on numbers, checked number by number.
- ``settings``: validation of operator settings (Variables, trigger parameters, connection extras).
- ``device_client``: the read of one device's registered users over HTTP, whichever API it speaks;
  ``device_apis`` holds the shared transport and one adapter per API (json, mediant-cli, cursor).
- ``store``: the PostgreSQL side: schema migrations, staging, set-based writes, history.
"""
