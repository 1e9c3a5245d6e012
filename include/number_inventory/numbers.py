"""Normalising address-of-record (AOR) user parts to inventory numbers.

AudioCodes devices report AORs in many spellings (``1000@10.8.5.71``, ``+14155550100``,
``sip:+1-415-555-0100;user=phone@host``, ``tel:+14155550100``) and also AORs that are not numbers
at all (``alice``, ``conf-room-3``). The inventory keys on the normalised form: digits with an
optional leading ``+``. A connection with a dial plan (:mod:`number_inventory.dial_plan`) turns that
form into the canonical one: E.164 for DIDs, with a ``tel:`` URI's extension kept
(``+12065551000;ext=524``), and bare extensions. Everything here works on whole columns because a device can hold hundreds
of thousands of registrations: pandas Series, or plain sequences for the pages of a read.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas is imported where a Series is built: most pages of a read need none
    import pandas as pd

    from number_inventory.dial_plan import DialPlan

#: The normalised form of an inventory number (also enforced by a CHECK in the schema, migration
#: 0022): digits with an optional leading ``+``, and for a DID read under a dial plan its extension.
NUMBER_PATTERN = r"^(?:\+[0-9]{1,32}(?:;ext=[0-9]{1,16})?|[0-9]{1,32})$"
# What a user part must be, once cleaned, to be a number (the extension is read apart).
_USER_NUMBER = r"^\+?[0-9]{1,32}$"
# A ``;ext=`` parameter of the user part (RFC 3966), with the separators its digits may carry.
_EXTENSION = re.compile(r";\s*ext\s*=\s*([^;@>]*)", re.IGNORECASE)
_ANY_EXTENSION = re.compile(r";\s*ext\s*=", re.IGNORECASE)
#: The most digits of a ``;ext=`` extension (the schema's check, migration 0022).
MAX_EXTENSION_DIGITS = 16

_SCHEME = r"^\s*<?\s*(?:(?:sips?|tel):)?"
# Visual separators that dial plans and tel URIs allow inside a number (RFC 3966).
_SEPARATORS = r"[\s\-.()]"
# A user part that is already a number, followed by the host or nothing (``\Z``: not even a newline).
_PLAIN = re.compile(r"(\+?[0-9]{1,32})(?:@|\Z)")
_STATUS = re.compile(r"status\s*:\s*(\d+)", re.IGNORECASE)
# For ASCII text, the same search on the lower-cased text: a literal prefix, so several times faster.
_STATUS_LOWER = re.compile(r"status\s*:\s*(\d+)")


def normalise_aors(aors: pd.Series) -> pd.Series:
    """Return the inventory number for each AOR, missing (``isna()``) where the AOR is not a number.

    The user part is what stands before ``@`` with its URI parameters (``;user=phone``) and visual
    separators removed; ``%2B`` is read as ``+``.
    """
    values = aors.astype("string").to_numpy(dtype=object, na_value=None)
    import pandas as pd

    return pd.Series(aor_numbers(values), index=aors.index, dtype="string")


def aor_numbers(aors: Sequence[str | None], plan: DialPlan | None = None) -> list[str | None]:
    """:func:`normalise_aors` over a plain sequence, for a read's pages: the number of each AOR, or
    ``None``; under ``plan``, its canonical form (:func:`planned_numbers`)."""
    if plan is not None:
        return planned_numbers(aors, plan)
    match = _PLAIN.match
    # An AOR spelled the way devices almost always spell it (``1000@10.8.5.71``, ``+14155550100``)
    # is already in normal form: the general rules would give the same number, at many times the cost.
    numbers = [None if aor is None else (found[1] if (found := match(aor)) else None) for aor in aors]
    others = [i for i, (aor, number) in enumerate(zip(aors, numbers, strict=True)) if number is None and aor]
    if others:
        import pandas as pd

        spelled = _normalise_spellings(pd.Series([aors[i] for i in others], dtype="string"))
        for i, number in zip(others, spelled.to_numpy(dtype=object, na_value=None), strict=True):
            numbers[i] = number
    return numbers


def planned_numbers(aors: Sequence[str | None], plan: DialPlan) -> list[str | None]:
    """The canonical form of each AOR's number under a connection's dial plan, or ``None`` where
    the AOR is not a number or not a valid one under the plan (skipped and counted, as ``alice``).
    The numbers are read as without a plan, then each distinct one is mapped once (the plan caches)."""
    canonical = plan.canonical
    numbers = aor_numbers(aors)
    extensions = _extensions(aors)
    if extensions is None:
        return [None if number is None else canonical(number) for number in numbers]
    return [
        None if number is None or extension == "" else canonical(number, extension)
        for number, extension in zip(numbers, extensions, strict=True)
    ]


def _extensions(aors: Sequence[str | None]) -> list[str | None] | None:
    """The digits of each AOR's ``;ext=`` (``None``: it has none; ``""``: it has one that is not
    1 to 16 digits), or ``None`` for a page where no AOR has one (the usual page)."""
    try:
        joined = "\x00".join(aors)
    except TypeError:  # a missing AOR
        joined = "\x00".join(aor or "" for aor in aors)
    if _ANY_EXTENSION.search(joined) is None:  # one pass over the page, at C speed
        return None
    found = []
    for aor in aors:
        match = _EXTENSION.search(aor.split("@", 1)[0]) if aor else None
        if match is None:
            found.append(None)
            continue
        digits = re.sub(_SEPARATORS, "", match[1])
        found.append(
            digits if digits.isascii() and digits.isdigit() and len(digits) <= MAX_EXTENSION_DIGITS else ""
        )
    return found


def _normalise_spellings(aors: pd.Series) -> pd.Series:
    """The general rules, for every other spelling (schemes, separators, parameters, ``%2B``)."""
    user = (
        aors.str.replace(_SCHEME, "", regex=True, case=False)
        .str.split("@", n=1)
        .str[0]
        .str.split(";", n=1)
        .str[0]
        .str.replace("%2B", "+", case=False, regex=False)
        .str.replace(_SEPARATORS, "", regex=True)
        .str.rstrip(">")
    )
    return user.where(user.str.fullmatch(_USER_NUMBER).fillna(False).astype(bool))


def normalise_number(text: str, plan: DialPlan | None = None) -> str | None:
    """Normalise one AOR or number (under ``plan``, to its canonical form); ``None`` when it is not
    a number."""
    return aor_numbers([text], plan)[0]


def binding_active(contacts: pd.Series) -> pd.Series:
    """Whether each binding's contact is active.

    ``status:1`` is registered and ``status:0`` a REGISTER not yet confirmed. A contact that
    carries no status at all is a plain binding and counts as active.
    """
    values = contacts.astype("string").to_numpy(dtype=object, na_value=None)
    import pandas as pd

    return pd.Series(contacts_active(values), index=contacts.index, dtype=bool)


def contacts_active(contacts: Sequence[str | None]) -> list[bool]:
    """:func:`binding_active` over a plain sequence, for a read's pages."""
    try:
        joined = "\x00".join(contacts)
    except TypeError:  # a missing contact
        joined = None
    if joined is not None and joined.isascii() and joined.count("\x00") == len(contacts) - 1:
        # The usual case, at C speed: one lower() for all, then the search of each.
        lowered = joined.lower().split("\x00")
        return [match is None or match[1] == "1" for match in map(_STATUS_LOWER.search, lowered)]
    return [_active(contact) for contact in contacts]


def _active(contact: str | None) -> bool:
    """The first ``status:N`` of a contact is ``1``, or there is none."""
    if contact is None:
        return True
    match = _STATUS_LOWER.search(contact.lower()) if contact.isascii() else _STATUS.search(contact)
    return match is None or match.group(1) == "1"
