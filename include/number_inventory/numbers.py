"""Normalising address-of-record (AOR) user parts to inventory numbers.

AudioCodes devices report AORs in many spellings (``1000@10.8.5.71``, ``+14155550100``,
``sip:+1-415-555-0100;user=phone@host``, ``tel:+14155550100``) and also AORs that are not numbers
at all (``alice``, ``conf-room-3``). The inventory keys on the normalised form: digits with an
optional leading ``+``. Everything here is vectorised over pandas Series because a device can hold
hundreds of thousands of registrations.
"""

from __future__ import annotations

import re

import pandas as pd

#: The normalised form of an inventory number (also enforced by a CHECK in the schema).
NUMBER_PATTERN = r"^\+?[0-9]{1,32}$"

_SCHEME = r"^\s*<?\s*(?:(?:sips?|tel):)?"
# Visual separators that dial plans and tel URIs allow inside a number (RFC 3966).
_SEPARATORS = r"[\s\-.()]"
_NUMBER_RE = re.compile(NUMBER_PATTERN)


def normalise_aors(aors: pd.Series) -> pd.Series:
    """Return the inventory number for each AOR, missing (``isna()``) where the AOR is not a number.

    The user part is what stands before ``@`` with its URI parameters (``;user=phone``) and visual
    separators removed; ``%2B`` is read as ``+``.
    """
    user = (
        aors.astype("string")
        .str.replace(_SCHEME, "", regex=True, case=False)
        .str.split("@", n=1)
        .str[0]
        .str.split(";", n=1)
        .str[0]
        .str.replace("%2B", "+", case=False, regex=False)
        .str.replace(_SEPARATORS, "", regex=True)
        .str.rstrip(">")
    )
    return user.where(user.str.fullmatch(NUMBER_PATTERN).fillna(False).astype(bool))


def normalise_number(text: str) -> str | None:
    """Normalise one AOR or number; ``None`` when it is not a number."""
    result = normalise_aors(pd.Series([text], dtype="string")).iloc[0]
    return None if pd.isna(result) else str(result)


def is_number(text: str) -> bool:
    """Whether ``text`` is already a normalised inventory number."""
    return bool(_NUMBER_RE.fullmatch(text))


def binding_active(contacts: pd.Series) -> pd.Series:
    """Whether each binding's contact is active.

    ``status:1`` is registered and ``status:0`` a REGISTER not yet confirmed. A contact that
    carries no status at all is a plain binding and counts as active.
    """
    status = contacts.astype("string").str.extract(r"status\s*:\s*(\d+)", flags=re.IGNORECASE)[0]
    return (status.isna() | (status == "1")).astype(bool)
