"""The fast paths of ``numbers`` give exactly what the general, vectorised rules give."""

from __future__ import annotations

import re

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from number_inventory.numbers import _normalise_spellings, binding_active, normalise_aors

# Characters that matter to the rules, so that random text often looks like an AOR or a contact.
AOR_TEXT = st.text(alphabet="0123456789+@;:<>%2Bbsiptel -.()\n\t\u0663", max_size=40)
CONTACT_TEXT = st.text(alphabet="statusSTATUS :01239;<>@\n\u0661", max_size=40)
PLAIN = st.from_regex(r"\A\+?[0-9]{1,34}(@[a-z0-9.]{0,8})?\Z")


def plain(series: pd.Series) -> list[str | None]:
    return [None if pd.isna(value) else value for value in series]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(AOR_TEXT, PLAIN, st.none()), max_size=30))
def test_normalise_aors_matches_the_general_rules(aors: list[str | None]) -> None:
    series = pd.Series(aors, dtype="string")
    assert plain(normalise_aors(series)) == plain(_normalise_spellings(series))


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(CONTACT_TEXT, st.none()), max_size=30))
def test_binding_active_matches_the_vectorised_rule(contacts: list[str | None]) -> None:
    series = pd.Series(contacts, dtype="string")
    status = series.str.extract(r"status\s*:\s*(\d+)", flags=re.IGNORECASE)[0]
    assert binding_active(series).tolist() == (status.isna() | (status == "1")).astype(bool).tolist()
