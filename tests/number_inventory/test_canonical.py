"""Planning ``canonicalise_numbers`` (``number_inventory.canonical``): a lone spelling is renamed,
spellings that agree are merged into one row, and every case where merging would choose between
them is a finding for an operator, never merged."""

from __future__ import annotations

import datetime as dt

import pytest

from number_inventory import canonical, dial_plan

GERMANY = dial_plan.from_values({"country_code": "49"}, "sbc_de")
USED = {"status": "Used", "usage": "Device", "vendor": "AudioCodes", "tag": None, "release_date": None}
AVAILABLE = {"status": "Available", "usage": None, "vendor": None, "tag": None, "release_date": None}


def row(values: dict, site: str | None = None, label: str | None = None) -> dict:
    return {**values, "site": site, "label": label}


def cooling(day: int) -> dict:
    release = dt.date(2026, 11, day)
    return {
        "status": "Cooling",
        "usage": "Device",
        "vendor": "AudioCodes",
        "tag": f"Cooling: 2 day(s) until release on {release}",
        "release_date": release,
    }


def plan(rows: dict[str, dict], registered: tuple[str, ...] = ()) -> canonical.CanonicalPlan:
    found = canonical.candidates(GERMANY, dict.fromkeys([*rows, *registered]))
    return canonical.plan_canonical(found, rows, registered)


def test_a_lone_spelling_is_renamed_with_its_values():
    result = plan({"0301234567": row(USED, site="berlin", label="HQ")}, registered=("0301234567",))
    assert result.moves == [("0301234567", "+49301234567", "renamed to +49301234567")]
    assert result.targets == [
        {
            "number": "+49301234567",
            **row(USED, site="berlin", label="HQ"),
            "detail": "renamed from 0301234567",
        }
    ]
    assert result.registrations == [("0301234567", "+49301234567")]
    assert result.accepted and not result.findings


@pytest.mark.parametrize(
    ("old", "canonical_row", "merged"),
    [
        (row(AVAILABLE), row(USED), USED),  # the Available spelling goes
        (row(USED), row(AVAILABLE), USED),  # the Used spelling's values, under the canonical number
        (row(USED), row(USED), USED),  # two devices, two spellings, one number
        (row(cooling(5)), row(cooling(5)), cooling(5)),
        (row(AVAILABLE, label="block 2"), row(AVAILABLE), AVAILABLE | {"label": "block 2"}),
        (row(AVAILABLE, site="berlin"), row(USED, site="berlin"), USED | {"site": "berlin"}),
    ],
    ids=["available-used", "used-available", "both-used", "both-cooling-same-day", "label-kept", "same-site"],
)
def test_spellings_that_agree_are_merged(old, canonical_row, merged):
    result = plan({"0301234567": old, "+49301234567": canonical_row})
    assert result.moves == [("0301234567", "+49301234567", "merged into +49301234567")]
    [target] = result.targets
    assert {k: target[k] for k in canonical.VALUES} == {"site": None, "label": None, **merged}
    assert target["detail"] == "merged from 0301234567"
    assert result.accepted


@pytest.mark.parametrize(
    ("old", "canonical_row", "why"),
    [
        (row(USED), row(USED | {"vendor": "Microsoft"}), "different states"),
        (row(cooling(5)), row(cooling(6)), "different states"),
        (row(USED), row(AVAILABLE | {"status": "Reserved"}), "different states"),
        (row(AVAILABLE, site="berlin"), row(AVAILABLE, site="hamburg"), "different sites"),
        (row(USED, label="a"), row(USED, label="b"), "different labels"),
    ],
    ids=["used-by-two-vendors", "cooling-different-days", "used-and-reserved", "two-sites", "two-labels"],
)
def test_spellings_that_disagree_are_findings_never_merged(old, canonical_row, why):
    result = plan({"0301234567": old, "+49301234567": canonical_row}, registered=("0301234567",))
    assert result.moves == [] and result.targets == [] and result.registrations == []
    assert [(f["number"], f["check"]) for f in result.findings] == [
        ("+49301234567", canonical.AMBIGUOUS),
        ("0301234567", canonical.AMBIGUOUS),
    ]
    assert all(
        why in f["why"] and "+49301234567, 0301234567 are one number" in f["why"] for f in result.findings
    )
    assert not result.accepted


def test_three_spellings_of_one_number():
    rows = {"0301234567": row(USED), "0049301234567": row(AVAILABLE), "+49301234567": row(AVAILABLE)}
    result = plan(rows)
    assert sorted(m[0] for m in result.moves) == ["0049301234567", "0301234567"]
    assert [t["status"] for t in result.targets] == ["Used"]


def test_a_registered_number_the_plan_does_not_read_is_a_finding():
    result = plan({"0000000000": row(USED), "0000000001": row(AVAILABLE)}, registered=("0000000000",))
    assert [(f["number"], f["check"]) for f in result.findings] == [("0000000000", canonical.NOT_VALID)]
    assert result.left_alone == ["0000000001"]  # no read touches it: left as it is
    assert not result.accepted


def test_a_spelling_only_the_kept_read_has_renames_the_registration():
    result = plan({"+49301234567": row(USED)}, registered=("0301234567",))
    assert result.moves == [] and result.targets == []
    assert result.registrations == [("0301234567", "+49301234567")]


def test_canonical_numbers_and_extensions_are_left_as_they_are():
    result = plan({"+49301234567": row(USED), "1000": row(USED)}, registered=("1000", "+49301234567"))
    assert result.counts() == {
        "renamed_or_merged": 0,
        "canonical_numbers": 0,
        "registrations_renamed": 0,
        "findings": 0,
        "left_alone": 0,
    }
