"""``store.apply_changes`` writes new numbers with plain inserts and falls back to ON CONFLICT when
someone inserts one of them concurrently; either way a row it did not write is left alone."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from include.number_inventory import store, transitions
from include.number_inventory.store import RunInfo

RUN = RunInfo("test", "run-1", dt.date(2026, 11, 2))


def plan_new(numbers: list[str]) -> pd.DataFrame:
    return transitions.plan_sync(transitions.empty_inventory(), numbers, RUN.run_day, 2).changes


def inventory(db) -> dict[str, tuple]:
    return {r[0]: r[1:] for r in db.execute("SELECT number, status, vendor FROM number_inventory")}


def history(db) -> list[str]:
    return [r[0] for r in db.execute("SELECT number FROM number_inventory_history ORDER BY number")]


def test_new_numbers_inserted_since_the_plan_are_left_alone(db) -> None:
    changes = plan_new(["1000", "1001", "1002"])
    db.execute("INSERT INTO number_inventory (number, status) VALUES ('1001', 'Reserved')")
    with db.transaction():
        written = store.apply_changes(db, changes, RUN)
    assert written == 2
    assert inventory(db) == {
        "1000": ("Used", "AudioCodes"),
        "1001": ("Reserved", None),
        "1002": ("Used", "AudioCodes"),
    }
    assert history(db) == ["1000", "1002"]


def test_a_concurrent_insert_falls_back_to_on_conflict(db, monkeypatch) -> None:
    changes = plan_new(["1000", "1001", "1002"])
    db.execute("INSERT INTO number_inventory (number, status) VALUES ('1001', 'Reserved')")
    # As if the row arrived between the check and the insert: skip the check, so the insert collides.
    fast = store.statements("apply_inserts")
    monkeypatch.setattr(store, "statements", lambda name: fast[1:] if name == "apply_inserts" else [])
    with db.transaction():
        written = store.apply_changes(db, changes, RUN)
    assert written == 2
    assert inventory(db)["1001"] == ("Reserved", None)
    assert history(db) == ["1000", "1002"]
