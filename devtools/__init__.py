"""Development tooling: what the tests, the demo, the benchmark and the local stack use and Airflow
never imports. Not part of the installed package (``pip install .`` installs ``include`` only).

- ``device_server``: AudioCodes-like devices over real HTTP (the json, mediant-cli and cursor APIs).
- ``local_db``: a PostgreSQL database for tests, the demo and benchmarks (the server on
  127.0.0.1:5432, else the embedded one), a connect helper and the list of the project's tables.
"""
