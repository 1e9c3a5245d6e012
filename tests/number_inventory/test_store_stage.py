"""``store.stage_bindings`` counts each page into its read and stages the numbered bindings: device
text with the characters COPY escapes, NUL and empty values must neither break the COPY nor be
miscounted."""

from __future__ import annotations

import datetime as dt

from include.number_inventory import store
from include.number_inventory.store import RunInfo

RUN = RunInfo("test", "run-1", dt.date(2026, 11, 2))


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
    rows = db.execute(
        "SELECT number, active FROM audiocodes_binding_stage WHERE read_id = %s ORDER BY number",
        (read.read_id,),
    ).fetchall()
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
    staged = db.execute(
        "SELECT count(*) FROM audiocodes_binding_stage WHERE read_id = %s", (read.read_id,)
    ).fetchone()[0]
    assert staged == 4  # every binding with a number, repeats included; collect_read.sql merges them

    store.reset_read(db, read)
    assert (read.bindings, read.active_bindings, read.skipped_aors, read.skipped_samples) == (0, 0, 0, [])
    assert db.execute("SELECT count(*) FROM audiocodes_binding_stage").fetchone()[0] == 0


def test_a_read_keeps_a_count_and_a_few_short_samples_of_skipped_aors_not_their_text(db) -> None:
    read = store.StagedRead(store.begin_read(db, "sbc", RUN))
    long_aors = [f"{i}-" + "x" * 8000 for i in range(50)]
    store.stage_bindings(db, read, [(aor, "status:1") for aor in long_aors])
    store.stage_bindings(db, read, [(aor, "another contact") for aor in long_aors])  # the same AORs again
    assert read.skipped_aors == 50
    assert len(read.skipped_samples) == store.SKIPPED_SAMPLES
    assert all(len(sample) < 120 and "8002 characters" in sample for sample in read.skipped_samples)
    assert read.skipped_samples[0].startswith("0-xxx")
