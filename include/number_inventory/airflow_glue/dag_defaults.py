"""What every DAG of the project shares: ``@dag(dag_id=..., schedule=..., **DAG_DEFAULTS)``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from number_inventory.airflow_glue import alerts

#: How long a task other than a read may run: ``prepare`` (migrations included), ``reconcile`` and the
#: daily step take seconds at a million numbers (docs: Performance); a task still running
#: after this waits on a lock or a database that does not answer.
TASK_TIMEOUT = dt.timedelta(minutes=15)
#: How long one device's read may run (``read_connection``): a million bindings take well under a
#: minute on a LAN; the rest is room for slow links and retried pages. A device that trickles or
#: hangs cannot hold the one active sync run for longer than this.
READ_TIMEOUT = dt.timedelta(minutes=30)
#: How long a whole run may take: reads of many connections may wait for worker slots.
DAGRUN_TIMEOUT = dt.timedelta(hours=2)

DEFAULT_ARGS: dict[str, Any] = {
    "owner": "voice-platform",
    "retries": 2,
    "retry_delay": dt.timedelta(minutes=2),
    "execution_timeout": TASK_TIMEOUT,
    # A failed task alerts through the notifier the operator configured (include/number_inventory/airflow_glue/alerts.py).
    "on_failure_callback": alerts.on_failure,
}
TAGS = ["number-inventory", "audiocodes"]
#: What every DAG of the project shares: ``@dag(dag_id=..., schedule=..., **DAG_DEFAULTS)``.
DAG_DEFAULTS: dict[str, Any] = {
    "start_date": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    "catchup": False,
    "max_active_runs": 1,
    "dagrun_timeout": DAGRUN_TIMEOUT,
    "default_args": DEFAULT_ARGS,
    "tags": TAGS,
}
