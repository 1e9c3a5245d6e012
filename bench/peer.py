"""The idiomatic peer: the same sync as a data engineer would write it with Airflow's hooks and pandas.

This is the baseline a reviewer would hold the pipeline against, not a strawman: every device is read
page by page with the http provider's ``HttpHook.run`` (GET, Basic auth from the connection), the
registrations become a DataFrame, the inventory comes in with ``PostgresHook.get_df``, one pandas
``merge`` decides each number's transition (the SPEC's table, the same reasons and Tags as the
pipeline), and the changed rows and their history go out with the hook's batched
``insert_rows(..., replace=True, executemany=True)``. What it leaves out is what makes the product
safe (kept reads, the guard, compare-and-set, one transaction): it is a yardstick for speed only.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable
from typing import Any

#: Rows per ``insert_rows`` transaction: large batches, as one would choose for a bulk write.
COMMIT_EVERY = 5_000
PAGE_SIZE = 1_000
INVENTORY_FIELDS = ["number", "status", "usage", "vendor", "tag", "release_date", "updated_at"]
HISTORY_FIELDS = [
    "number",
    "dag_id",
    "run_id",
    "run_day",
    "reason",
    "before_status",
    "before_usage",
    "before_vendor",
    "before_tag",
    "before_release_date",
    "after_status",
    "after_usage",
    "after_vendor",
    "after_tag",
    "after_release_date",
]


def peer_sync(
    *,
    connection_ids: list[str],
    run: dict,
    cooling_days: int,
    airflow_env: dict[str, str],
    ready: Callable,
) -> dict[str, Any]:
    """One sync, the idiomatic way; returns ``wall``, ``seconds`` per phase and rows ``written``."""
    os.environ.update(airflow_env)
    import pandas as pd
    from airflow.providers.http.hooks.http import HttpHook
    from airflow.providers.postgres.hooks.postgres import PostgresHook

    from number_inventory import numbers

    db = PostgresHook(postgres_conn_id="number_inventory_db")
    day = dt.date.fromisoformat(run["run_day"])
    ready()

    start = time.perf_counter()
    frames = []
    for connection_id in connection_ids:
        http = HttpHook(method="GET", http_conn_id=connection_id)
        offset = 0
        while True:
            body = http.run("/api/v1/registeredUsers", data={"offset": offset, "limit": PAGE_SIZE}).json()
            page = body["registeredUsers"]
            frames.append(pd.DataFrame(page, columns=["addressOfRecord", "contact"]))
            offset += len(page)
            if not page or offset >= body["total"]:
                break
    users = pd.concat(frames, ignore_index=True)
    read_done = time.perf_counter()

    active = numbers.binding_active(users["contact"].astype("string"))
    found = numbers.normalise_aors(users["addressOfRecord"].astype("string"))[active]
    registered = pd.DataFrame({"number": found.dropna().unique()}).astype(str)
    inventory = db.get_df("SELECT number, status, usage, vendor, tag, release_date FROM number_inventory")
    merged = registered.assign(registered=True).merge(inventory, on="number", how="outer")
    merged["registered"] = merged["registered"].fillna(False).astype(bool)
    diff_done = time.perf_counter()

    status, vendor, usage = merged["status"], merged["vendor"], merged["usage"]
    ours_used = (status == "Used") & (vendor == "AudioCodes")
    new = merged["registered"] & status.isna()
    reclaim = merged["registered"] & (
        (status == "Available")
        | ((status == "Cooling") & (vendor == "AudioCodes"))
        | (ours_used & (usage != "Device"))
    )
    gone = ~merged["registered"] & ours_used
    release = day + dt.timedelta(days=cooling_days)
    tag = f"Cooling: {cooling_days} day(s) until release on {release.isoformat()}"

    changed = merged[new | reclaim | gone].copy()
    is_gone = gone[changed.index]
    changed["reason"] = "registered"
    changed.loc[reclaim[changed.index] & (changed["status"] == "Cooling"), "reason"] = "back_online"
    changed.loc[reclaim[changed.index] & (changed["status"] == "Used"), "reason"] = "wrong_usage"
    changed.loc[is_gone, "reason"] = "registration_gone"
    before = changed[["status", "usage", "vendor", "tag", "release_date"]].copy()
    after = pd.DataFrame(
        {
            "status": "Used",
            "usage": "Device",
            "vendor": "AudioCodes",
            "tag": None,
            "release_date": None,
        },
        index=changed.index,
    )
    after.loc[is_gone, ["status", "tag", "release_date"]] = ["Cooling", tag, release]
    after.loc[is_gone, "usage"] = before.loc[is_gone, "usage"]

    now = dt.datetime.now(dt.UTC)
    inventory_rows = [
        (number, *values, now) for number, values in zip(changed["number"], _cells(after), strict=True)
    ]
    db.insert_rows(
        "number_inventory",
        inventory_rows,
        target_fields=INVENTORY_FIELDS,
        commit_every=COMMIT_EVERY,
        replace=True,
        replace_index="number",
        executemany=True,
    )
    history_rows = [
        (number, run["dag_id"], run["run_id"], day, reason, *old, *new_values)
        for number, reason, old, new_values in zip(
            changed["number"], changed["reason"], _cells(before), _cells(after), strict=True
        )
    ]
    db.insert_rows(
        "number_inventory_history",
        history_rows,
        target_fields=HISTORY_FIELDS,
        commit_every=COMMIT_EVERY,
        executemany=True,
    )
    wall = time.perf_counter() - start
    return {
        "wall": wall,
        "seconds": {
            "read_http": read_done - start,
            "diff": diff_done - read_done,
            "write": wall - (diff_done - start),
        },
        "written": len(changed),
    }


def _cells(frame) -> list[tuple]:
    """The rows of ``frame`` as tuples, missing values as ``None`` (SQL NULL)."""
    values = frame.astype(object).where(frame.notna(), None)
    return list(values.itertuples(index=False, name=None))
