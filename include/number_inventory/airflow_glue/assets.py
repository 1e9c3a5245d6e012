"""The data the DAGs write, as Airflow Assets (lineage): a task that writes one declares it as an
outlet, so Airflow's Assets view lists the runs that wrote it, and other DAGs may be scheduled on it.

Assets are named, not located: their URI names the Airflow connection (``number_inventory_db``) and
the table, never a host, so nothing is read to parse a DAG. A task emits an asset event only when it
succeeds; a task that is skipped (a sync that is not for now, a daily run for a past day, which only
reports) emits none. The event's ``extra`` says what the run wrote (``outlet_extra``).
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import Asset

from number_inventory.settings import INVENTORY_CONN_ID

GROUP = "number_inventory"


def _table(name: str) -> Asset:
    return Asset(name=name, uri=f"number-inventory://{INVENTORY_CONN_ID}/{name}", group=GROUP)


#: ``number_inventory`` and its history: written by the sync, the daily run, the purge and manual actions.
INVENTORY = _table("number_inventory")
#: ``number_inventory_daily_report``: written by every daily run, current or backfilled.
DAILY_REPORT = _table("number_inventory_daily_report")


def outlet_extra(outlet_events: Any, asset: Asset, **extra: Any) -> None:
    """Attach ``extra`` (JSON values: the run day, rows written, a dry run) to the event the running
    task emits for ``asset`` when it succeeds (``outlet_events``: the task's, from its context)."""
    outlet_events[asset].extra = extra
