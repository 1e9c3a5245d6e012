"""``store.stage_bindings`` counts each page into its read and stages the numbered bindings: device
text with the characters COPY escapes, NUL and empty values must neither break the COPY nor be
miscounted."""

from __future__ import annotations

import datetime as dt

import pytest

from number_inventory import store
from number_inventory.settings import MassRemovalGuard
from number_inventory.store import RunInfo
from tests.conftest import staged_rows

RUN = RunInfo("test", "run-1", dt.date(2026, 11, 2))
GUARD = MassRemovalGuard()


def test_the_stage_keeps_the_number_and_activity_of_numbered_bindings(db) -> None:
    read = store.StagedRead(store.begin_read(db, "sbc", RUN))
    items = [
        ("1000@10.8.5.71", "<sip:1000@10.8.5.71:5060>;expires=180; Active status:1"),
        ("tab\there@h", "back\\slash; status:0"),
        ("line\nbreak", "carriage\rreturn\\N"),
        ("", ""),
        ("nul\x00@h", "<sip:x>\x00; status:1"),
        ("10\x0001@h", "status:0"),  # NUL is dropped, as PostgreSQL cannot hold it
        ("sip:+1-415-555-0100;user=phone@h", "\\."),
    ]
    skipped = store.stage_bindings(db, read, items)
    rows = [(number, active) for number, active, _ in staged_rows(db, read.read_id)]
    assert skipped == 4
    assert rows == [("+14155550100", True), ("1000", True), ("1001", False)]
    assert (read.bindings, read.active_bindings) == (7, 5)
    assert read.skipped_aors == 4
    assert read.skipped_samples == ["tab\there@h", "line\nbreak", "", "nul@h"]


def test_a_staged_read_counts_distinct_bindings_across_pages(db) -> None:
    read = store.StagedRead(store.begin_read(db, "sbc", RUN))
    store.stage_bindings(db, read, [("1000@h", "status:1"), ("1001@h", "status:0"), ("bob@h", "status:1")])
    # The next page repeats two bindings (the device's list moved while it was paged) and adds two.
    store.stage_bindings(db, read, [("1001@h", "status:0"), ("bob@h", "status:1"), ("1000@h", "c2")])
    store.stage_bindings(db, read, [("bob@h", "other contact")])
    assert (read.bindings, read.active_bindings, read.skipped_aors) == (5, 4, 1)
    staged = len(staged_rows(db, read.read_id))
    assert staged == 4  # every binding with a number, repeats included; reads/collect_read.sql merges them

    store.reset_read(db, read)
    assert (read.bindings, read.active_bindings, read.skipped_aors, read.skipped_samples) == (0, 0, 0, [])
    assert staged_rows(db, read.read_id) == []


def test_a_read_keeps_a_count_and_a_few_short_samples_of_skipped_aors_not_their_text(db) -> None:
    read = store.StagedRead(store.begin_read(db, "sbc", RUN))
    long_aors = [f"{i}-" + "x" * 8000 for i in range(50)]
    store.stage_bindings(db, read, [(aor, "status:1") for aor in long_aors])
    store.stage_bindings(db, read, [(aor, "another contact") for aor in long_aors])  # the same AORs again
    assert read.skipped_aors == 50
    assert len(read.skipped_samples) == store.SKIPPED_SAMPLES
    assert all(len(sample) < 120 and "8002 characters" in sample for sample in read.skipped_samples)
    assert read.skipped_samples[0].startswith("0-xxx")


class _EveryNumberSeenBefore(store.StagedRead):
    """A read whose hashes collide on every number: each binding is staged as a repeat."""

    def repeats(self, numbers):
        super().repeats(numbers)
        return [True] * len(numbers)


def _keep(db, bindings_by_page, read_class=store.StagedRead) -> dict:
    read = read_class(store.begin_read(db, "sbc", RUN))
    for page in bindings_by_page:
        store.stage_bindings(db, read, page)
    total = len({binding for page in bindings_by_page for binding in page})
    return store.finish_read(db, read, "sbc", total=total, pages=len(bindings_by_page), guard=GUARD)


def _kept(db) -> dict[str, tuple]:
    rows = db.execute("SELECT number, active, contacts, xmin::text FROM audiocodes_registration").fetchall()
    return {number: (active, contacts, xmin) for number, active, contacts, xmin in rows}


FIRST_READ = [
    [("1000@h", "c1; status:1"), ("1001@h", "x; status:0"), ("1002@h", "only; status:1")],
    # 1000's and 1001's further bindings arrive in later pages, one of them twice.
    [("1000@h", "c0; status:0"), ("1000@h", "c2"), ("1001@h", "y; status:1"), ("1003@h", "d; status:0")],
    [("1000@h", "c5"), ("1000@h", "c3"), ("1000@h", "c4"), ("1001@h", "x; status:0")],
]


@pytest.mark.parametrize("read_class", [store.StagedRead, _EveryNumberSeenBefore])
def test_keeping_a_read_groups_each_numbers_bindings_across_pages(db, read_class) -> None:
    summary = _keep(db, FIRST_READ, read_class)
    assert (summary["numbers"], summary["bindings"]) == (3, 10)
    kept = _kept(db)
    assert {number: kept[number][:2] for number in kept} == {
        # Any active binding registers the number; its contacts distinct, in order, at most five.
        "1000": (True, ["c0; status:0", "c1; status:1", "c2", "c3", "c4"]),
        "1001": (True, ["x; status:0", "y; status:1"]),
        "1002": (True, ["only; status:1"]),
        "1003": (False, ["d; status:0"]),
    }

    # The next read: 1000 loses two contacts, 1002's contact changes, 1001 and 1003 stay as they were.
    _keep(
        db,
        [
            [("1001@h", "y; status:1"), ("1000@h", "c2"), ("1002@h", "moved; status:1")],
            [("1000@h", "c5"), ("1000@h", "c3"), ("1000@h", "c4"), ("1001@h", "x; status:0")],
            [("1003@h", "d; status:0"), ("1000@h", "c1; status:1")],
        ],
        read_class,
    )
    again = _kept(db)
    assert again["1000"][1] == ["c1; status:1", "c2", "c3", "c4", "c5"]
    assert again["1002"][1] == ["moved; status:1"]
    # What the read leaves as it was is not written at all.
    assert (again["1001"], again["1003"]) == (kept["1001"], kept["1003"])
    assert again["1000"][2] != kept["1000"][2]
