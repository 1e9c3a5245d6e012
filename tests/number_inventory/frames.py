"""Frames the tests build (see ``number_inventory.transitions`` for their columns)."""

from __future__ import annotations

import pandas as pd

from number_inventory.transitions import INVENTORY_COLUMNS


def empty_inventory() -> pd.DataFrame:
    """An inventory frame with no rows."""
    return pd.DataFrame({c: pd.Series(dtype="string") for c in INVENTORY_COLUMNS})


def kept_read(db, connection_id: str, day) -> int:
    """A complete read of ``connection_id`` recorded as its kept read (no bindings): its id."""
    read_id = db.execute(
        "INSERT INTO audiocodes_read (connection_id, run_id, run_day, state) "
        "VALUES (%s, 'r', %s, 'complete') RETURNING read_id",
        (connection_id, day),
    ).fetchone()[0]
    db.execute(
        "INSERT INTO audiocodes_connection (connection_id, read_id, read_at) VALUES (%s, %s, now())",
        (connection_id, read_id),
    )
    return read_id
