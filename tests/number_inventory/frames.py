"""Frames the tests build (see ``include.number_inventory.transitions`` for their columns)."""

from __future__ import annotations

import pandas as pd

from include.number_inventory.transitions import INVENTORY_COLUMNS


def empty_inventory() -> pd.DataFrame:
    """An inventory frame with no rows."""
    return pd.DataFrame({c: pd.Series(dtype="string") for c in INVENTORY_COLUMNS})
