"""``store.apply_changes`` writes new numbers with plain inserts and falls back to ON CONFLICT when
someone inserts one of them concurrently; either way a row it did not write is left alone."""

from __future__ import annotations

import contextlib
import datetime as dt

import pandas as pd
import psycopg
import pytest

from number_inventory import store, transitions
from number_inventory.store import RunInfo, bulk_load, copy_format
from number_inventory.store import inventory as inventory_module
from tests.number_inventory.frames import empty_inventory

RUN = RunInfo("test", "run-1", dt.date(2026, 11, 2))


def plan_new(numbers: list[str]) -> pd.DataFrame:
    return transitions.plan_sync(empty_inventory(), numbers, RUN.run_day, 2).changes


def inventory(db) -> dict[str, tuple]:
    return {r[0]: r[1:] for r in db.execute("SELECT number, status, vendor FROM number_inventory")}


def history(db) -> list[str]:
    """The numbers of the pipeline's history rows (the inserts the tests make by hand are recorded too)."""
    query = "SELECT number FROM number_inventory_history WHERE dag_id IS NOT NULL ORDER BY number"
    return [r[0] for r in db.execute(query)]


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


def apply_colliding(db, monkeypatch, numbers: list[str]) -> int:
    """Apply the plan of new ``numbers`` after someone inserted 1001, as if that row arrived between the
    check and the insert (the check is skipped, so the insert collides); return the rows written."""
    changes = plan_new(numbers)
    db.execute("INSERT INTO number_inventory (number, status) VALUES ('1001', 'Reserved')")
    monkeypatch.setattr(inventory_module, "APPLY_INSERTS", inventory_module.APPLY_INSERTS[1:])
    with db.transaction():
        return store.apply_changes(db, changes, RUN)


def test_a_concurrent_insert_falls_back_to_on_conflict(db, monkeypatch) -> None:
    written = apply_colliding(db, monkeypatch, ["1000", "1001", "1002"])
    assert written == 2
    assert inventory(db)["1001"] == ("Reserved", None)
    assert history(db) == ["1000", "1002"]


def test_updates_are_written_in_number_order_whatever_the_order_of_the_plan_and_the_table(db) -> None:
    """The updates take the plan in number order and look each row up in the primary key (see
    ``sync/apply_updates.sql``), so the new rows, index entries and history rows are written in key order:
    here the table holds its rows in reverse order and the plan lists them shuffled."""
    numbers = [str(1000 + i) for i in range(40)]
    for number in reversed(numbers):
        db.execute(
            "INSERT INTO number_inventory (number, status, usage, vendor) VALUES (%s, 'Used', 'Device', 'AudioCodes')",
            (number,),
        )
    db.execute("ANALYZE number_inventory")
    changes = transitions.plan_sync(store.load_inventory(db), [], RUN.run_day, 2).changes
    changes = changes.sample(frac=1, random_state=7)
    assert changes["number"].tolist() != sorted(numbers)
    db.execute("UPDATE number_inventory SET tag = 'by hand' WHERE number = '1017'")  # compare and set
    with db.transaction():
        assert store.apply_changes(db, changes, RUN) == len(numbers) - 1
    written = [
        r[0]
        for r in db.execute(
            "SELECT number FROM number_inventory_history WHERE dag_id IS NOT NULL ORDER BY id"
        )
    ]
    assert written == [n for n in numbers if n != "1017"]
    cooling = db.execute("SELECT count(*) FROM number_inventory WHERE status = 'Cooling'").fetchone()[0]
    assert cooling == len(numbers) - 1


# --- bulk loads: plain indexes dropped and built again ---------------------------------------------

INDEXES = (
    "SELECT indexname, indexdef FROM pg_indexes "
    "WHERE tablename IN ('number_inventory', 'number_inventory_history') ORDER BY 1"
)


def indexes(db) -> list[tuple[str, str]]:
    return db.execute(INDEXES).fetchall()


def test_a_bulk_insert_builds_the_indexes_again_and_they_serve_queries(db, monkeypatch, caplog) -> None:
    before = indexes(db)
    monkeypatch.setattr(bulk_load, "BULK_ROWS", 3)
    caplog.set_level("INFO", logger=bulk_load.log.name)
    dropped = []
    original = store.deferred_indexes

    def spy(conn, table, rows):
        with original(conn, table, rows) as did:
            dropped.append((table, did))
            yield did

    monkeypatch.setattr(inventory_module, "deferred_indexes", contextlib.contextmanager(spy))
    numbers = [f"+4930{i}" for i in range(10_000, 10_500)]
    with db.transaction():
        assert store.apply_changes(db, plan_new(numbers), RUN) == 500

    assert dropped == [("number_inventory", True), ("number_inventory_history", True)]
    assert "number_inventory: bulk insert of 500 rows, its 3 indexes built afterwards" in caplog.text
    assert indexes(db) == before
    assert len(inventory(db)) == 500
    assert len(history(db)) == 500
    # The rebuilt indexes are valid: the key, which serves the view's prefix ranges, finds exactly the
    # prefix's numbers.
    db.execute("SET enable_seqscan = off")
    plan = db.execute(
        "EXPLAIN SELECT number FROM number_inventory WHERE number COLLATE \"C\" >= '+4930102' "
        "AND number COLLATE \"C\" < '+4930103'"
    ).fetchall()
    assert "number_inventory_pkey" in " ".join(r[0] for r in plan)
    found = db.execute(
        "SELECT count(*) FROM number_inventory WHERE number COLLATE \"C\" >= '+4930102' "
        "AND number COLLATE \"C\" < '+4930103'"
    ).fetchone()[0]
    db.execute("RESET enable_seqscan")
    assert found == 100


def test_a_small_insert_or_one_into_a_larger_table_keeps_the_indexes(db, monkeypatch) -> None:
    monkeypatch.setattr(bulk_load, "BULK_ROWS", 3)
    before = indexes(db)
    with db.transaction(), store.deferred_indexes(db, "number_inventory", 2) as did:
        assert did is False  # below BULK_ROWS
        assert indexes(db) == before
    db.execute("INSERT INTO number_inventory (number) SELECT g::text FROM generate_series(1, 1000) AS g")
    db.execute("ANALYZE number_inventory")
    with db.transaction():
        with store.deferred_indexes(db, "number_inventory", 500) as did:
            assert did is False  # the table holds more than is inserted
            assert indexes(db) == before
        with store.deferred_indexes(db, "number_inventory", 1500) as did:
            assert did is True
            assert len(indexes(db)) < len(before)
    assert indexes(db) == before


def test_a_failed_bulk_insert_leaves_the_indexes_in_place(db, monkeypatch) -> None:
    before = indexes(db)
    monkeypatch.setattr(bulk_load, "BULK_ROWS", 3)
    with (
        pytest.raises(RuntimeError),
        db.transaction(),
        store.deferred_indexes(db, "number_inventory", 10) as did,
    ):
        assert did is True
        assert len(indexes(db)) < len(before)
        raise RuntimeError("the insert failed")
    assert indexes(db) == before


def test_a_bulk_insert_does_not_wait_long_for_readers_of_the_table(pg, db, monkeypatch) -> None:
    monkeypatch.setattr(bulk_load, "BULK_ROWS", 3)
    monkeypatch.setattr(bulk_load, "BULK_LOCK_WAIT", "200ms")
    before = indexes(db)
    with psycopg.connect(pg[1]) as reader:  # a view query in a transaction that stays open
        reader.execute("SELECT count(*) FROM number_inventory").fetchone()
        with db.transaction():
            written = store.apply_changes(db, plan_new([str(n) for n in range(1000, 1300)]), RUN)
            lock_timeout = db.execute("SHOW lock_timeout").fetchone()[0]
        reader.rollback()
    assert written == 300
    assert indexes(db) == before
    assert lock_timeout == "0"  # the short wait applied to the lock only


def test_a_concurrent_insert_during_a_bulk_load_falls_back_to_on_conflict(db, monkeypatch) -> None:
    monkeypatch.setattr(bulk_load, "BULK_ROWS", 200)
    before = indexes(db)
    written = apply_colliding(db, monkeypatch, [str(n) for n in range(1000, 1300)])
    assert written == 299
    assert inventory(db)["1001"] == ("Reserved", None)
    assert "1001" not in history(db) and len(history(db)) == 299
    assert indexes(db) == before


def test_keys_that_foreign_keys_refer_to_stay_in_place(db) -> None:
    def read_indexes() -> set[str]:
        rows = db.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'audiocodes_read'")
        return {r[0] for r in rows}

    before = read_indexes()
    with db.transaction(), store.deferred_indexes(db, "audiocodes_read", 10**6) as did:
        assert did is True
        # audiocodes_connection.read_id refers to the key: only the plain indexes went.
        assert read_indexes() == {"audiocodes_read_pkey"}
    assert read_indexes() == before


# --- COPY of the plan ----------------------------------------------------------------------------


def test_values_with_copy_special_characters_survive_the_copy(db) -> None:
    """The plan's before-values must reach PostgreSQL exactly, or compare-and-set skips the row."""
    tag = "a\tb\\c\nd\re\\N"
    db.execute(
        "INSERT INTO number_inventory (number, status, usage, vendor, tag) "
        "VALUES ('1000', 'Used', 'Device', 'AudioCodes', %s)",
        (tag,),
    )
    inventory_now = store.load_inventory(db)
    changes = transitions.plan_sync(inventory_now, [], RUN.run_day, 2).changes
    assert changes["before_tag"].tolist() == [tag]
    with db.transaction():
        assert store.apply_changes(db, changes, RUN) == 1
    row = db.execute("SELECT status, tag FROM number_inventory").fetchone()
    assert row[0] == "Cooling"
    query = "SELECT before_tag FROM number_inventory_history WHERE dag_id IS NOT NULL"
    assert db.execute(query).fetchone()[0] == tag


def test_the_copy_sends_empty_text_as_null_and_refuses_other_types(db) -> None:
    db.execute("CREATE TEMP TABLE copied (a text, b boolean, c text, d text DEFAULT 'default')")
    frame = pd.DataFrame(
        {
            "a": pd.Series(["x", "", None], dtype="string"),
            "b": [True, False, True],
            "c": pd.Series(["", "y", "z"], dtype="string"),
            "d": pd.Series(["", "", None], dtype="string"),  # empty throughout: not sent
        }
    )
    copy_format.copy_in(db, "copied", frame)
    assert db.execute("SELECT a, b, c, d FROM copied").fetchall() == [
        ("x", True, None, "default"),
        (None, False, "y", "default"),
        (None, True, "z", "default"),
    ]
    with pytest.raises(TypeError, match="only text and boolean"):
        copy_format.copy_in(db, "copied", pd.DataFrame({"a": [1, 2]}))
