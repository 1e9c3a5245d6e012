"""The demo (``python -m scripts.demo``), development tooling: not installed into Airflow."""
