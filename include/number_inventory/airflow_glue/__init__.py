"""The Airflow side of the project: what the DAG files and the UI plugin import.

``number_inventory`` holds the logic and imports nothing from Airflow; this package wires it
to Airflow. The DAG files import it at parse time, so its modules import only what is light at module
level; hooks, psycopg and pandas are imported inside the functions, which run inside tasks.

- ``dag_defaults``: what every DAG shares: owner, retries, time bounds, tags, the failure callback.
- ``variables``: the operator's Variables, read at run time and validated (``settings``).
- ``run_day``: the day a run stands for, and whether it is for now (latest-only, never in the future).
- ``connections``: the inventory database connection and the device hooks, and faults no retry fixes.
- ``tasks``: the task bodies the DAG files call.
"""
