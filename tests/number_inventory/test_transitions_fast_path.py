"""``apply_to_frame`` by positions (unique numbers, as from the database) gives what it gives by
labels."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from number_inventory.transitions import (
    CHANGE_COLUMNS,
    FIELDS,
    INVENTORY_COLUMNS,
    _apply_by_labels,
    apply_to_frame,
)

NUMBERS = [f"10{i:02d}" for i in range(12)]
VALUE = st.sampled_from(["", "Used", "Cooling", "Device", "AudioCodes", "x"])


@st.composite
def inventory_and_changes(draw):
    numbers = draw(st.lists(st.sampled_from(NUMBERS), unique=True, max_size=8))
    rows = [(n, *(draw(VALUE) for _ in FIELDS)) for n in numbers]
    inventory = pd.DataFrame(rows, columns=list(INVENTORY_COLUMNS)).astype("string")
    inventory.index = draw(st.sampled_from([inventory.index, inventory.index + 5]))
    changed = draw(st.lists(st.sampled_from(NUMBERS), unique=True, min_size=1, max_size=6))
    changes = pd.DataFrame(
        {
            "number": changed,
            "reason": "r",
            "is_new": [n not in numbers for n in changed],
            **{f"before_{f}": "" for f in FIELDS},
            **{f: [draw(VALUE) for _ in changed] for f in FIELDS},
        }
    )[list(CHANGE_COLUMNS)]
    return inventory, changes.astype({c: "string" for c in CHANGE_COLUMNS if c != "is_new"})


@settings(max_examples=200, deadline=None)
@given(inventory_and_changes())
def test_apply_to_frame_by_positions_matches_by_labels(case) -> None:
    inventory, changes = case
    pd.testing.assert_frame_equal(apply_to_frame(inventory, changes), _apply_by_labels(inventory, changes))
