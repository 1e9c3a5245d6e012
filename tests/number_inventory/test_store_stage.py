"""``store.stage_bindings`` writes COPY's text format itself: device text with the characters that
format escapes, NUL and empty values must arrive as sent."""

from __future__ import annotations

import datetime as dt

from include.number_inventory import store
from include.number_inventory.store import RunInfo

RUN = RunInfo("test", "run-1", dt.date(2026, 11, 2))


def test_staged_bindings_arrive_as_sent(db) -> None:
    read = store.StagedRead(store.begin_read(db, "sbc", RUN))
    read_id = read.read_id
    items = [
        ("1000@10.8.5.71", "<sip:1000@10.8.5.71:5060>;expires=180; Active status:1"),
        ("tab\there@h", "back\\slash; status:0"),
        ("line\nbreak", "carriage\rreturn\\N"),
        ("", ""),
        ("nul\x00@h", "<sip:x>\x00; status:1"),
        ("sip:+1-415-555-0100;user=phone@h", "\\."),
    ]
    skipped = store.stage_bindings(db, read, items)
    rows = db.execute(
        "SELECT aor, contact, number, active FROM audiocodes_binding_stage WHERE read_id = %s ORDER BY aor",
        (read_id,),
    ).fetchall()
    assert skipped == 4
    assert sorted(rows) == sorted(
        [
            ("1000@10.8.5.71", "<sip:1000@10.8.5.71:5060>;expires=180; Active status:1", "1000", True),
            ("tab\there@h", "back\\slash; status:0", None, False),
            ("line\nbreak", "carriage\rreturn\\N", None, True),
            ("", "", None, True),
            ("nul@h", "<sip:x>; status:1", None, True),
            ("sip:+1-415-555-0100;user=phone@h", "\\.", "+14155550100", True),
        ]
    )


def test_a_staged_read_counts_distinct_bindings_across_pages(db) -> None:
    read = store.StagedRead(store.begin_read(db, "sbc", RUN))
    store.stage_bindings(db, read, [("1000@h", "status:1"), ("1001@h", "status:0"), ("bob@h", "status:1")])
    # The next page repeats two bindings (the device's list moved while it was paged) and adds two.
    store.stage_bindings(db, read, [("1001@h", "status:0"), ("bob@h", "status:1"), ("1000@h", "c2")])
    store.stage_bindings(db, read, [("bob@h", "other contact")])
    assert (read.bindings, read.active_bindings, len(read.skipped_aors)) == (5, 4, 1)
    staged = db.execute(
        "SELECT count(*), count(DISTINCT (aor, contact)) FROM audiocodes_binding_stage WHERE read_id = %s",
        (read.read_id,),
    ).fetchone()
    assert staged == (7, read.bindings)

    store.reset_read(db, read)
    assert (read.bindings, read.active_bindings, read.skipped_aors) == (0, 0, set())
    assert db.execute("SELECT count(*) FROM audiocodes_binding_stage").fetchone()[0] == 0
