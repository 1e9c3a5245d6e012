"""Unit tests of the pure transition engine (``number_inventory.transitions``).

One test per row of the SPEC's transition table, then release, audit, purge and ``apply_to_frame``.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from number_inventory.transitions import (
    CHANGE_COLUMNS,
    FIELDS,
    FINDING_COLUMNS,
    INVENTORY_COLUMNS,
    apply_to_frame,
    cooling_tag,
    plan_audit,
    plan_purge,
    plan_release,
    plan_sync,
)
from tests.number_inventory.frames import empty_inventory

RUN_DAY = dt.date(2026, 11, 27)
DAYS = 2
NUMBER = "+14155550100"

# Bystanders in every inventory: each must produce no change row.
BYSTANDERS = [
    ("9000", "Used", "Device", "AudioCodes", "", ""),  # registered, already right
    ("9001", "Available", "", "", "", ""),  # not registered
    ("9002", "Reserved", "", "", "", ""),  # not registered
    ("9003", "Used", "Teams", "Microsoft", "", ""),  # not registered
]
BYSTANDERS_REGISTERED = ["9000"]

USED_BY_DEVICE = ("Used", "Device", "AudioCodes", "", "")


def frame(rows: list[tuple[str, ...]]) -> pd.DataFrame:
    """An inventory frame from ``(number, status, usage, vendor, tag, release_date)`` tuples."""
    if not rows:
        return empty_inventory()
    return pd.DataFrame(rows, columns=list(INVENTORY_COLUMNS)).astype("string")


def as_rows(df: pd.DataFrame, columns: tuple[str, ...] = INVENTORY_COLUMNS) -> set[tuple]:
    return {tuple(r) for r in df[list(columns)].itertuples(index=False, name=None)}


def change_dict(changes: pd.DataFrame, number: str) -> dict:
    rows = changes[changes["number"] == number]
    assert len(rows) == 1, f"expected one change row for {number}, got {len(rows)}"
    return rows.iloc[0].to_dict()


# (inventory row of NUMBER without the number, or None for missing; registered; after values or None for
#  no change; reason; is a conflict)
TABLE = [
    pytest.param(None, True, USED_BY_DEVICE, "registered", False, id="missing+registered->inserted"),
    pytest.param(
        ("Available", "", "", "", ""),
        True,
        USED_BY_DEVICE,
        "registered",
        False,
        id="available+registered->used",
    ),
    pytest.param(
        ("Cooling", "Device", "AudioCodes", "Cooling: 1 day(s) until release on 2026-11-28", "2026-11-28"),
        True,
        USED_BY_DEVICE,
        "back_online",
        False,
        id="cooling+registered->back-online",
    ),
    pytest.param(
        ("Used", "Device", "AudioCodes", "", ""),
        True,
        None,
        None,
        False,
        id="used-device-audiocodes+registered->no-write",
    ),
    # Another vendor's cooling number is theirs (e.g. the general 30-day cooling): reported, never taken.
    pytest.param(
        ("Cooling", "Teams", "Microsoft", "30 days", "2026-12-20"),
        True,
        None,
        None,
        True,
        id="cooling-of-microsoft+registered->conflict",
    ),
    pytest.param(
        ("Cooling", "Device", "", "", "2026-12-20"),
        True,
        None,
        None,
        True,
        id="cooling-of-cisco-empty-vendor+registered->conflict",
    ),
    pytest.param(
        ("Used", "Teams", "Microsoft", "", ""),
        True,
        None,
        None,
        True,
        id="used-by-microsoft+registered->conflict",
    ),
    pytest.param(
        ("Used", "Device", "", "", ""),
        True,
        None,
        None,
        True,
        id="used-by-cisco-empty-vendor+registered->conflict",
    ),
    pytest.param(
        ("Used-Utility", "Fax", "", "lobby fax", ""),
        True,
        None,
        None,
        True,
        id="used-utility+registered->conflict",
    ),
    pytest.param(("Reserved", "", "", "CEO", ""), True, None, None, True, id="reserved+registered->conflict"),
    pytest.param(
        ("Reserved", "", "AudioCodes", "", ""),
        True,
        None,
        None,
        True,
        id="reserved-audiocodes+registered->conflict",
    ),
    pytest.param(
        ("Used", "Fax", "AudioCodes", "", ""),
        True,
        USED_BY_DEVICE,
        "wrong_usage",
        False,
        id="used-audiocodes-other-usage+registered->wrong-usage",
    ),
    pytest.param(
        ("Used", "Device", "AudioCodes", "", ""),
        False,
        ("Cooling", "Device", "AudioCodes", "Cooling: 2 day(s) until release on 2026-11-29", "2026-11-29"),
        "registration_gone",
        False,
        id="used-audiocodes+not-registered->cooling",
    ),
    pytest.param(
        ("Used", "Fax", "AudioCodes", "old tag", ""),
        False,
        ("Cooling", "Fax", "AudioCodes", "Cooling: 2 day(s) until release on 2026-11-29", "2026-11-29"),
        "registration_gone",
        False,
        id="used-audiocodes-other-usage+not-registered->cooling",
    ),
    pytest.param(None, False, None, None, False, id="missing+not-registered->nothing"),
    pytest.param(
        ("Available", "", "", "", ""), False, None, None, False, id="available+not-registered->unchanged"
    ),
    pytest.param(
        ("Cooling", "Device", "AudioCodes", "Cooling: 1 day(s) until release on 2026-11-28", "2026-11-28"),
        False,
        None,
        None,
        False,
        id="cooling+not-registered->unchanged",
    ),
    pytest.param(
        ("Used", "Teams", "Microsoft", "", ""),
        False,
        None,
        None,
        False,
        id="used-by-microsoft+not-registered->unchanged",
    ),
    pytest.param(
        ("Used-Utility", "", "", "", ""),
        False,
        None,
        None,
        False,
        id="used-utility+not-registered->unchanged",
    ),
    pytest.param(
        ("Reserved", "", "", "", ""), False, None, None, False, id="reserved+not-registered->unchanged"
    ),
]


@pytest.mark.parametrize(("before", "registered", "after", "reason", "conflict"), TABLE)
def test_transition_table_row(
    before: tuple[str, ...] | None,
    registered: bool,
    after: tuple[str, ...] | None,
    reason: str | None,
    conflict: bool,
) -> None:
    rows = list(BYSTANDERS) + ([(NUMBER, *before)] if before else [])
    inventory = frame(rows)
    numbers = BYSTANDERS_REGISTERED + ([NUMBER] if registered else [])

    plan = plan_sync(inventory, numbers, RUN_DAY, DAYS)

    assert list(plan.changes.columns) == list(CHANGE_COLUMNS)
    assert plan.withheld.empty
    if after is None:
        assert plan.changes.empty, plan.changes.to_dict("records")
    else:
        assert plan.changes["number"].tolist() == [NUMBER]  # bystanders produce no change row
        change = change_dict(plan.changes, NUMBER)
        assert change["reason"] == reason
        assert change["is_new"] is (before is None)
        assert tuple(change[f"before_{f}"] for f in FIELDS) == (before or ("",) * 5)
        assert tuple(change[f] for f in FIELDS) == after
    assert plan.conflicts["number"].tolist() == ([NUMBER] if conflict else [])
    if conflict:
        assert as_rows(plan.conflicts) == {(NUMBER, *before)}


def test_can_cool_false_withholds_instead_of_cooling() -> None:
    inventory = frame(
        [*BYSTANDERS, (NUMBER, "Used", "Device", "AudioCodes", "", ""), ("5000", "Available", "", "", "", "")]
    )
    plan = plan_sync(inventory, ["9000", "5000"], RUN_DAY, DAYS, can_cool=False)
    # Registrations are still taken; only cooling is held back.
    assert plan.changes["number"].tolist() == ["5000"]
    assert change_dict(plan.changes, "5000")["reason"] == "registered"
    assert as_rows(plan.withheld) == {(NUMBER, "Used", "Device", "AudioCodes", "", "")}
    assert plan.counts() == {"registered": 1, "conflict": 0, "withheld": 1}


def test_cooling_duration_zero_releases_on_the_run_day() -> None:
    inventory = frame([(NUMBER, "Used", "Device", "AudioCodes", "", "")])
    plan = plan_sync(inventory, [], RUN_DAY, 0)
    change = change_dict(plan.changes, NUMBER)
    assert change["status"] == "Cooling"
    assert change["release_date"] == "2026-11-27"
    assert change["tag"] == "Cooling: 0 day(s) until release on 2026-11-27"
    # The same day's release frees it.
    released = plan_release(apply_to_frame(inventory, plan.changes), RUN_DAY)
    assert as_rows(released, ("number", "reason", *FIELDS)) == {
        (NUMBER, "released", "Available", "", "", "", "")
    }


def test_cooling_duration_long_crosses_year() -> None:
    plan = plan_sync(
        frame([(NUMBER, "Used", "Device", "AudioCodes", "", "")]), [], dt.date(2026, 12, 30), 999
    )
    change = change_dict(plan.changes, NUMBER)
    assert change["release_date"] == "2029-09-24"
    assert change["tag"] == "Cooling: 999 day(s) until release on 2029-09-24"


def test_plan_sync_on_empty_inventory_inserts_each_registered_number_once() -> None:
    plan = plan_sync(empty_inventory(), ["2000", "1000", "2000", "+49301"], RUN_DAY, DAYS)
    assert sorted(plan.changes["number"]) == ["+49301", "1000", "2000"]
    assert plan.changes["is_new"].tolist() == [True, True, True]
    assert set(plan.changes["reason"]) == {"registered"}
    assert as_rows(plan.changes, FIELDS) == {USED_BY_DEVICE}
    assert plan.counts() == {"registered": 3, "conflict": 0, "withheld": 0}


def test_plan_sync_nothing_registered_nothing_in_inventory() -> None:
    plan = plan_sync(empty_inventory(), [], RUN_DAY, DAYS)
    assert plan.changes.empty
    assert list(plan.changes.columns) == list(CHANGE_COLUMNS)
    assert plan.counts() == {"conflict": 0, "withheld": 0}


def test_plan_sync_mixed_counts() -> None:
    inventory = frame(
        [
            ("1", "Available", "", "", "", ""),
            ("2", "Cooling", "Device", "AudioCodes", "t", "2026-11-28"),
            ("3", "Used", "Device", "AudioCodes", "", ""),
            ("4", "Used", "Device", "AudioCodes", "", ""),
            ("5", "Reserved", "", "", "", ""),
            ("6", "Used", "Other", "AudioCodes", "", ""),
        ]
    )
    plan = plan_sync(inventory, ["1", "2", "3", "5", "6", "7"], RUN_DAY, DAYS)
    assert dict(zip(plan.changes["number"], plan.changes["reason"], strict=True)) == {
        "7": "registered",
        "1": "registered",
        "2": "back_online",
        "6": "wrong_usage",
        "4": "registration_gone",
    }
    assert plan.counts() == {
        "back_online": 1,
        "registered": 2,
        "registration_gone": 1,
        "wrong_usage": 1,
        "conflict": 1,
        "withheld": 0,
    }


# --- cooling_tag -----------------------------------------------------------------------------------


def test_cooling_tag() -> None:
    tags = cooling_tag(pd.Series(["2026-11-29", "2026-11-27", "2027-01-01"], dtype="string"), RUN_DAY)
    assert tags.tolist() == [
        "Cooling: 2 day(s) until release on 2026-11-29",
        "Cooling: 0 day(s) until release on 2026-11-27",
        "Cooling: 35 day(s) until release on 2027-01-01",
    ]


# --- plan_release ----------------------------------------------------------------------------------

FREED = ("Available", "", "", "", "")


def cooling_row(number: str, release: str, run_day: dt.date = RUN_DAY, vendor: str = "AudioCodes") -> tuple:
    days = (dt.date.fromisoformat(release) - run_day).days
    return (
        number,
        "Cooling",
        "Device",
        vendor,
        f"Cooling: {days} day(s) until release on {release}",
        release,
    )


@pytest.mark.parametrize(
    "release",
    [
        pytest.param("2026-11-27", id="due-today"),
        pytest.param("2026-11-26", id="one-day-overdue"),
        pytest.param("2026-11-07", id="20-days-overdue"),
        pytest.param("2026-11-06", id="21-days-overdue"),
        pytest.param("2026-10-18", id="40-days-overdue-backlog"),
        pytest.param("2025-11-27", id="a-year-overdue"),
    ],
)
def test_plan_release_frees_due_and_whole_backlog(release: str) -> None:
    inventory = frame([cooling_row(NUMBER, release, dt.date.fromisoformat(release) - dt.timedelta(days=2))])
    changes = plan_release(inventory, RUN_DAY)
    assert changes["number"].tolist() == [NUMBER]
    change = change_dict(changes, NUMBER)
    assert change["reason"] == "released"
    assert change["is_new"] is False
    assert tuple(change[f] for f in FIELDS) == FREED
    assert change["before_release_date"] == release


def test_plan_release_recounts_future_tags_only_when_stale() -> None:
    stale = cooling_row("1", "2026-11-29", run_day=dt.date(2026, 11, 26))  # "3 day(s)" written yesterday
    fresh = cooling_row("2", "2026-11-30")  # already "3 day(s)" against today
    tomorrow = cooling_row("3", "2026-11-28", run_day=dt.date(2026, 11, 26))
    due = cooling_row("4", "2026-11-27", run_day=dt.date(2026, 11, 25))
    changes = plan_release(frame([stale, fresh, tomorrow, due]), RUN_DAY)
    assert as_rows(changes, ("number", "reason", *FIELDS)) == {
        (
            "1",
            "tag_recount",
            "Cooling",
            "Device",
            "AudioCodes",
            "Cooling: 2 day(s) until release on 2026-11-29",
            "2026-11-29",
        ),
        (
            "3",
            "tag_recount",
            "Cooling",
            "Device",
            "AudioCodes",
            "Cooling: 1 day(s) until release on 2026-11-28",
            "2026-11-28",
        ),
        ("4", "released", *FREED),
    }
    assert change_dict(changes, "1")["before_tag"] == "Cooling: 3 day(s) until release on 2026-11-29"


def test_plan_release_without_recount_leaves_tags() -> None:
    stale = cooling_row("1", "2026-11-29", run_day=dt.date(2026, 11, 20))
    due = cooling_row("2", "2026-11-20", run_day=dt.date(2026, 11, 18))
    changes = plan_release(frame([stale, due]), RUN_DAY, recount=False)
    assert as_rows(changes, ("number", "reason", *FIELDS)) == {("2", "released", *FREED)}


def test_plan_release_leaves_other_vendors_and_other_statuses() -> None:
    inventory = frame(
        [
            cooling_row("1", "2026-10-01", vendor="Microsoft"),
            cooling_row("2", "2026-10-01", vendor=""),
            ("3", "Used", "Device", "AudioCodes", "", "2026-10-01"),
            ("4", "Available", "", "", "", ""),
            ("5", "Cooling", "Device", "AudioCodes", "lost its date", ""),  # the audit's business
            (
                "6",
                "Cooling",
                "Teams",
                "Microsoft",
                "Cooling: 9 day(s) until release on 2026-12-20",
                "2026-12-20",
            ),
        ]
    )
    assert plan_release(inventory, RUN_DAY).empty


def test_plan_release_empty_inventory() -> None:
    changes = plan_release(empty_inventory(), RUN_DAY)
    assert changes.empty
    assert list(changes.columns) == list(CHANGE_COLUMNS)


# --- plan_audit ------------------------------------------------------------------------------------


def test_plan_audit_repairs_and_reports() -> None:
    inventory = frame(
        [
            ("1", "Used", "Device", "AudioCodes", "", ""),  # ok
            ("2", "Available", "", "", "", ""),  # registered -> repaired
            ("3", "Used", "Device", "AudioCodes", "", ""),  # gone -> cooled
            ("4", "Cooling", "Device", "AudioCodes", "?", ""),  # cooling without release date
            ("5", "Reserved", "", "", "", ""),  # registered -> conflict, not repaired
            ("6", "Cooling", "Device", "AudioCodes", "", ""),  # undated but registered -> back online
            (
                "7",
                "Cooling",
                "Device",
                "AudioCodes",
                "Cooling: 1 day(s) until release on 2026-11-28",
                "2026-11-28",
            ),
        ]
    )
    changes, findings = plan_audit(inventory, ["1", "2", "5", "6"], RUN_DAY, DAYS)
    cooled = (
        "Cooling",
        "Device",
        "AudioCodes",
        "Cooling: 2 day(s) until release on 2026-11-29",
        "2026-11-29",
    )
    assert as_rows(changes, ("number", "reason", *FIELDS)) == {
        ("2", "registered", *USED_BY_DEVICE),
        ("3", "registration_gone", *cooled),
        ("4", "cooling_without_release_date", *cooled),
        ("6", "back_online", *USED_BY_DEVICE),
    }
    assert list(findings.columns) == list(FINDING_COLUMNS)
    assert {(r["number"], r["check"], r["repaired"]) for r in findings.to_dict("records")} == {
        ("2", "registered", True),
        ("3", "registration_gone", True),
        ("4", "cooling_without_release_date", True),
        ("6", "back_online", True),
        ("5", "conflict", False),
    }
    conflict = findings[findings["check"] == "conflict"].iloc[0]
    assert tuple(conflict[f] for f in FIELDS) == ("Reserved", "", "", "", "")
    assert tuple(conflict[f"before_{f}"] for f in FIELDS) == ("Reserved", "", "", "", "")


def test_plan_audit_withheld_is_reported_not_repaired() -> None:
    inventory = frame(
        [("3", "Used", "Device", "AudioCodes", "", ""), ("4", "Cooling", "Device", "AudioCodes", "", "")]
    )
    changes, findings = plan_audit(inventory, [], RUN_DAY, 3, can_cool=False)
    assert as_rows(changes, ("number", "reason", *FIELDS)) == {
        (
            "4",
            "cooling_without_release_date",
            "Cooling",
            "Device",
            "AudioCodes",
            "Cooling: 3 day(s) until release on 2026-11-30",
            "2026-11-30",
        )
    }
    assert {(r["number"], r["check"], r["repaired"]) for r in findings.to_dict("records")} == {
        ("4", "cooling_without_release_date", True),
        ("3", "registration_gone", False),
    }
    withheld = findings[findings["number"] == "3"].iloc[0]
    assert withheld["status"] == "Used"


def test_plan_audit_consistent_inventory_finds_nothing() -> None:
    inventory = frame(
        [
            ("1", "Used", "Device", "AudioCodes", "", ""),
            cooling_row("2", "2026-11-28"),
            ("3", "Available", "", "", "", ""),
            ("4", "Used", "Teams", "Microsoft", "", ""),
        ]
    )
    changes, findings = plan_audit(inventory, ["1"], RUN_DAY, DAYS)
    assert changes.empty
    assert findings.empty


def findings_of(findings: pd.DataFrame) -> set[tuple[str, str, bool]]:
    return {(r["number"], r["check"], r["repaired"]) for r in findings.to_dict("records")}


def test_plan_audit_repairs_the_vendor_spelling_then_audits_the_row() -> None:
    inventory = frame(
        [
            ("1", "Used", "Device", "audiocodes", "", ""),  # registered: only the spelling is wrong
            ("2", "Used", "Device", "AudioCodes ", "", ""),  # not registered: spelling, then cooled
            ("3", "Available", "", " AUDIOCODES", "", ""),  # neither Used nor Cooling: reported
            ("4", "Used", "Device", "Audio Codes", "", ""),  # another spelling we do not guess
        ]
    )
    changes, findings = plan_audit(inventory, ["1", "4"], RUN_DAY, DAYS)
    cooled = (
        "Cooling",
        "Device",
        "AudioCodes",
        "Cooling: 2 day(s) until release on 2026-11-29",
        "2026-11-29",
    )
    assert as_rows(changes, ("number", "reason", "before_vendor", *FIELDS)) == {
        ("1", "vendor_spelling", "audiocodes", *USED_BY_DEVICE),
        # One change per number, its before-values as the database holds them (compare and set).
        ("2", "registration_gone", "AudioCodes ", *cooled),
        ("3", "vendor_spelling", " AUDIOCODES", "Available", "", "AudioCodes", "", ""),
    }
    assert changes["number"].is_unique
    assert findings_of(findings) == {
        ("1", "vendor_spelling", True),
        ("2", "vendor_spelling", True),
        ("2", "registration_gone", True),
        ("3", "vendor_spelling", True),
        ("3", "not_used_or_cooling", False),
        ("4", "conflict", False),  # "Audio Codes" is another vendor's name as far as we know
    }


def test_plan_audit_reports_audiocodes_numbers_neither_used_nor_cooling() -> None:
    inventory = frame(
        [
            ("1", "Reserved", "", "AudioCodes", "", ""),
            ("2", "Used-Utility", "Fax", "AudioCodes", "", ""),
            ("3", "Available", "", "AudioCodes", "", ""),
            ("4", "Available", "", "AudioCodes", "", ""),  # registered: repaired, not reported twice
        ]
    )
    changes, findings = plan_audit(inventory, ["4"], RUN_DAY, DAYS)
    assert as_rows(changes, ("number", "reason")) == {("4", "registered")}
    assert findings_of(findings) == {
        ("1", "not_used_or_cooling", False),
        ("2", "not_used_or_cooling", False),
        ("3", "not_used_or_cooling", False),
        ("4", "registered", True),
    }


def test_plan_audit_reports_one_number_in_two_spellings_and_never_merges() -> None:
    inventory = frame(
        [
            ("14155550100", "Used", "Teams", "Microsoft", "", ""),
            ("4930100", "Available", "", "", "", ""),
            ("+4930100", "Used", "Device", "AudioCodes", "", ""),
            ("777", "Available", "", "", "", ""),
        ]
    )
    changes, findings = plan_audit(inventory, ["+14155550100", "+4930100"], RUN_DAY, DAYS)
    # The registered spelling is inserted as its own number; nothing is merged or deleted.
    assert as_rows(changes, ("number", "reason")) == {("+14155550100", "registered")}
    assert findings_of(findings) == {
        ("+14155550100", "registered", True),
        ("14155550100", "possible_duplicate", False),
        ("4930100", "possible_duplicate", False),
        ("+4930100", "possible_duplicate", False),
    }


def test_plan_sync_keeps_an_operators_tag_and_clears_only_the_cooling_tag() -> None:
    inventory = frame(
        [
            ("1", "Available", "", "", "ordered for Berlin", ""),
            ("2", "Available", "", "", "Cooling: 1 day(s) until release on 2026-11-28", ""),
            ("3", "Cooling", "Device", "AudioCodes", "lost its date", ""),
        ]
    )
    plan = plan_sync(inventory, ["1", "2", "3"], RUN_DAY, DAYS)
    assert as_rows(plan.changes, ("number", "reason", *FIELDS)) == {
        ("1", "registered", "Used", "Device", "AudioCodes", "ordered for Berlin", ""),
        ("2", "registered", *USED_BY_DEVICE),
        ("3", "back_online", *USED_BY_DEVICE),
    }


# --- plan_purge ------------------------------------------------------------------------------------


def test_plan_purge_cools_only_numbers_no_other_connection_registers() -> None:
    inventory = frame(
        [
            ("1", "Used", "Device", "AudioCodes", "", ""),  # purged, nowhere else -> cools
            ("2", "Used", "Device", "AudioCodes", "", ""),  # purged, registered elsewhere -> stays
            ("3", "Reserved", "", "", "", ""),  # purged, not ours -> stays
            cooling_row("4", "2026-11-28"),  # purged, already cooling -> stays
            ("5", "Used", "Device", "AudioCodes", "", ""),  # not purged, not registered elsewhere -> stays
            ("6", "Available", "", "", "", ""),  # purged, registered elsewhere but not ours -> stays
        ]
    )
    changes = plan_purge(inventory, ["1", "2", "3", "4", "6", "8"], ["2", "6", "99"], RUN_DAY, DAYS)
    assert list(changes.columns) == list(CHANGE_COLUMNS)
    assert changes["number"].tolist() == ["1"]
    change = change_dict(changes, "1")
    assert change["reason"] == "connection_purged"
    assert change["is_new"] is False
    assert tuple(change[f] for f in FIELDS) == (
        "Cooling",
        "Device",
        "AudioCodes",
        "Cooling: 2 day(s) until release on 2026-11-29",
        "2026-11-29",
    )


def test_plan_purge_nothing_purged() -> None:
    inventory = frame([("1", "Used", "Device", "AudioCodes", "", "")])
    assert plan_purge(inventory, [], [], RUN_DAY, DAYS).empty


# --- apply_to_frame --------------------------------------------------------------------------------


def test_apply_to_frame_updates_and_inserts() -> None:
    inventory = frame(
        [
            ("1", "Available", "", "", "", ""),
            ("2", "Used", "Device", "AudioCodes", "", ""),
            ("3", "Reserved", "", "", "note", ""),
        ]
    )
    original = inventory.copy()
    plan = plan_sync(inventory, ["1", "3", "4"], RUN_DAY, DAYS)
    result = apply_to_frame(inventory, plan.changes)
    assert list(result.columns) == list(INVENTORY_COLUMNS)
    assert len(result) == 4
    assert as_rows(result) == {
        ("1", *USED_BY_DEVICE),
        (
            "2",
            "Cooling",
            "Device",
            "AudioCodes",
            "Cooling: 2 day(s) until release on 2026-11-29",
            "2026-11-29",
        ),
        ("3", "Reserved", "", "", "note", ""),
        ("4", *USED_BY_DEVICE),
    }
    pd.testing.assert_frame_equal(inventory, original)  # the input is not modified


def test_apply_to_frame_no_changes_is_identity() -> None:
    inventory = frame([("1", "Available", "", "", "", "")])
    result = apply_to_frame(inventory, plan_sync(inventory, [], RUN_DAY, DAYS).changes)
    pd.testing.assert_frame_equal(result, inventory)


def test_apply_to_frame_inserts_into_empty_inventory() -> None:
    plan = plan_sync(empty_inventory(), ["7", "8"], RUN_DAY, DAYS)
    result = apply_to_frame(empty_inventory(), plan.changes)
    assert as_rows(result) == {("7", *USED_BY_DEVICE), ("8", *USED_BY_DEVICE)}
    assert plan_sync(result, ["7", "8"], RUN_DAY, DAYS).changes.empty
