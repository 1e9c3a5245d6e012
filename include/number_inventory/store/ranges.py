"""Number ranges that split a reconcile (the sync, the daily run) into batches of bounded size (see
``number_inventory.batches``)."""

from __future__ import annotations

import psycopg

from number_inventory import batches
from number_inventory.batches import NumberRange
from number_inventory.store.sql_files import sql

#: About how many numbers :func:`number_ranges` samples to place its range boundaries.
SAMPLE_ROWS = 100_000


def number_ranges(conn: psycopg.Connection, batch_rows: int | None = None) -> list[NumberRange]:
    """Number ranges that split a reconcile into batches of about ``batch_rows`` rows (inventory rows
    plus active kept registrations; ``batches.BATCH_ROWS`` by default), cut at quantiles of a sample
    of the numbers. One range, everything, when it all fits in one batch."""
    batch_rows = batch_rows or batches.BATCH_ROWS
    total = conn.execute(sql("sync/reconcile_rows")).fetchone()[0]
    if total <= batch_rows:
        return [NumberRange()]
    percent = min(100.0, max(0.01, 100.0 * SAMPLE_ROWS / total))
    sample = [row[0] for row in conn.execute(sql("sync/sample_numbers"), {"percent": percent})]
    return batches.ranges_from_sample(sample, total, batch_rows)
