"""Every answer of the hostile-CLI corpus (``tests/data/hostile_cli``) through the parser: a failed
read, quoting what is wrong, for each answer that is not proven to be a whole listing; the users,
each of them registered, for each documented shape. The same corpus runs through the real sync DAG
in ``tests/dags/test_hostile_cli.py``."""

from __future__ import annotations

import pytest

from number_inventory.device_apis.cli_listing import parse
from number_inventory.device_apis.transport import DeviceReadError
from number_inventory.numbers import aor_numbers, contacts_active
from tests.hostile_cli import NUMBERS, cases

COMMAND = "show voip register db sbc list"
CASES = cases()


@pytest.mark.parametrize("case", [c for c in CASES if c.failed], ids=lambda c: c.name)
def test_a_hostile_answer_is_a_failed_read_quoting_the_fault(case):
    handed: list = []
    with pytest.raises(DeviceReadError) as caught:
        parse(case.text, COMMAND, handed.extend)
    assert case.expect["message"] in str(caught.value)
    with pytest.raises(DeviceReadError):  # a connection test sees the same verdict
        parse(case.text, COMMAND, handed.extend, count_registered=True)


@pytest.mark.parametrize("case", [c for c in CASES if not c.failed], ids=lambda c: c.name)
def test_a_documented_shape_is_read_whole(case):
    handed: list[tuple[str, str]] = []
    listing = parse(case.text, COMMAND, handed.extend, count_registered=True)
    expect = case.expect
    assert (listing.aors, listing.bindings, listing.registered) == (
        expect["aors"],
        expect["bindings"],
        expect["registered"],
    )
    active = contacts_active([contact for _, contact in handed])
    registered = {n for n, on in zip(aor_numbers([aor for aor, _ in handed]), active, strict=True) if on}
    assert registered - {None} == set(NUMBERS)
    fast: list = []
    assert parse(case.text, COMMAND, fast.extend).bindings == listing.bindings and fast == handed
