"""A connection's dial plan: how the numbers its device prints become the inventory's canonical form.

Without a dial plan a number is kept as the device spells it (digits with an optional leading ``+``,
:mod:`number_inventory.numbers`), so ``0301234567`` and ``+49301234567`` are two rows. A dial plan
(connection extras :data:`EXTRAS`) says what the device's spellings mean, and every number read
through the connection becomes one canonical form:

- a **DID** becomes E.164 with ``+`` (``+49301234567``), checked with ``phonenumbers`` (Google's
  libphonenumber): a number that is not a valid number of its country is not a number, and is
  skipped and counted as today's ``alice`` is;
- an **extension** (at most ``extension_digits`` digits, no prefix) stays the bare extension
  (``1000``), or becomes the DID ``extension_did_prefix`` + extension (``+4930123`` + ``45``);
- a ``tel:`` URI's ``;ext=`` keeps its extension: ``+12065551000;ext=524``
  (:data:`EXTENSION_SEPARATOR`).

The rules, in order, for a number (already stripped of scheme, host, parameters and separators):
``+`` → international; at most ``extension_digits`` digits → extension; starting with the
international prefix → international; starting with the national prefix → national (the country
code replaces it); otherwise a national significant number without its prefix. Each distinct input
is worked out once (a cache), so a read's repeated AORs cost a look-up.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from number_inventory.settings import SettingError

#: How the canonical form keeps a DID's extension: ``+12065551000;ext=524`` (RFC 3966's spelling).
EXTENSION_SEPARATOR = ";ext="
#: An extension's digits when ``extension_digits`` is not set: numbers up to 6 digits long are
#: internal extensions, longer ones are telephone numbers.
DEFAULT_EXTENSION_DIGITS = 6
#: Extras that need ``country_code``: a dial plan is switched on by its country code.
EXTRAS = (
    "country_code",
    "national_prefix",
    "international_prefix",
    "extension_digits",
    "extension_did_prefix",
)
#: ``national_prefix`` / ``international_prefix`` value saying the country has none.
NONE = "none"
#: The name of the action that moves an inventory to a connection's (new) dial plan.
CANONICALISE_ACTION = "canonicalise_numbers"


@dataclass(frozen=True)
class DialPlan:
    """One connection's dial plan (see the module docstring); build it with :func:`from_values`."""

    country_code: str
    national_prefix: str = ""
    international_prefix: str = ""
    extension_digits: int = DEFAULT_EXTENSION_DIGITS
    extension_did_prefix: str = ""

    def describe(self) -> str:
        """One line that names every rule, stored with a kept read to notice a changed plan."""
        return (
            f"country_code={self.country_code} national_prefix={self.national_prefix or NONE} "
            f"international_prefix={self.international_prefix or NONE} "
            f"extension_digits={self.extension_digits} "
            f"extensions={self.extension_did_prefix + '<ext>' if self.extension_did_prefix else 'kept'}"
        )

    def canonical(self, number: str, extension: str | None = None) -> str | None:
        """The canonical form of ``number`` (digits with an optional ``+``, as
        :func:`numbers.aor_numbers` gives) with ``extension`` (the digits of a ``;ext=``), or
        ``None`` when it is not a valid number under this plan."""
        return _canonical(self, number, extension or None)

    def _did(self, number: str) -> str | None:
        """``number`` as a DID in E.164 (valid, else ``None``), or as a bare extension."""
        if number[:1] == "+":
            e164 = number
        elif len(number) <= self.extension_digits:
            if not self.extension_did_prefix:
                return number
            e164 = self.extension_did_prefix + number
        elif self.international_prefix and number.startswith(self.international_prefix):
            e164 = "+" + number[len(self.international_prefix) :]
        elif self.national_prefix and number.startswith(self.national_prefix):
            e164 = "+" + self.country_code + number[len(self.national_prefix) :]
        else:
            e164 = "+" + self.country_code + number
        return e164 if valid_e164(e164, self.country_code) else None


@functools.lru_cache(maxsize=1 << 18)
def _canonical(plan: DialPlan, number: str, extension: str | None) -> str | None:
    did = plan._did(number)
    if did is None or extension is None:
        return did
    if did[:1] != "+":  # an extension of an extension is not a number
        return None
    return did + EXTENSION_SEPARATOR + extension


@functools.lru_cache(maxsize=1 << 18)
def valid_e164(e164: str, country_code: str = "") -> bool:
    """Whether ``+`` digits is a valid telephone number (libphonenumber's ``is_valid_number``).
    A number in ``country_code`` (the plan's: most of a device's numbers) is checked without parsing,
    against its country's patterns compiled once (:func:`_validator`): country codes are a prefix
    code, so ``+49...`` is country code 49."""
    import phonenumbers

    if not (e164[:1] == "+" and e164[1:].isascii() and e164[1:].isdigit() and len(e164) <= 18):
        return False
    national = e164[1 + len(country_code) :] if country_code and e164.startswith("+" + country_code) else ""
    if national[:1] not in ("", "0"):  # a leading zero (Italy's) is kept apart: parsing knows how
        valid = _validator(int(country_code))
        if valid is not None:
            return valid(national)
        number = phonenumbers.PhoneNumber(country_code=int(country_code), national_number=int(national))
        return phonenumbers.is_valid_number(number)
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return False
    # Parsing forgives (``+1 1 415...`` drops the second 1): only a number already in E.164 is one.
    formatted = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return formatted == e164 and phonenumbers.is_valid_number(number)


#: libphonenumber's number types: a number is valid when it matches its region's general pattern and
#: one of these (``phonenumberutil._number_type_helper``).
_TYPES = (
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
    "fixed_line",
    "mobile",
)


@functools.cache
def _validator(country_code: int) -> Callable[[str], bool] | None:
    """``is_valid_number`` of a national significant number (no leading zero) of ``country_code``,
    from libphonenumber's metadata: per region, one compiled pattern per length (the general
    pattern and any type's, each where its possible lengths allow); a code shared by several regions
    (``1``: US, CA, …) picks the region as libphonenumber does (leading digits, else the first
    region the number is valid in). ``None`` for a code without regions of its own (``800``). The
    same answers as libphonenumber, several times faster (``tests/number_inventory/test_dial_plan.py``)."""
    from phonenumbers.phonemetadata import PhoneMetadata
    from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE

    regions = []
    for region in COUNTRY_CODE_TO_REGION_CODE.get(country_code, ()):
        metadata = PhoneMetadata.metadata_for_region(region, None)
        if metadata is None:
            return None
        leading = re.compile(metadata.leading_digits) if metadata.leading_digits else None
        regions.append((leading, _patterns(metadata)))
    if not regions:
        return None
    if len(regions) == 1:
        patterns = regions[0][1]
        return lambda national: _matches(patterns, national)

    def valid(national: str) -> bool:
        for leading, patterns in regions:
            if leading is not None:
                if leading.match(national):
                    return _matches(patterns, national)
            elif _matches(patterns, national):
                return True
        return False

    return valid


def _patterns(metadata: Any) -> dict[int, re.Pattern[str]]:
    general = metadata.general_desc
    if general is None or general.national_number_pattern is None:
        return {}
    found = {}
    for length in general.possible_length or range(1, 18):
        alternatives = []
        for name in _TYPES:
            desc = getattr(metadata, name)
            if desc is None or desc.national_number_pattern is None:
                continue
            if len(desc.possible_length) > 0 and length not in desc.possible_length:
                continue
            alternatives.append(desc.national_number_pattern)
        if alternatives:
            found[length] = re.compile(
                f"(?=(?:{general.national_number_pattern})$)(?:{'|'.join(alternatives)})$"
            )
    return found


def _matches(patterns: dict[int, re.Pattern[str]], national: str) -> bool:
    pattern = patterns.get(len(national))
    return pattern is not None and pattern.match(national) is not None


_DIGITS = re.compile(r"[0-9]+")


def from_values(values: Mapping[str, Any], connection_id: str) -> DialPlan | None:
    """The dial plan of a connection's extras (``None`` when ``country_code`` is not set: numbers
    are kept as the device spells them, as without a plan). Every value is checked;
    :class:`SettingError` names the connection, the extra and what it allows. The prefixes default
    to the country's (libphonenumber's metadata: ``0`` and ``00`` for 49, ``1`` and ``011`` for 1)."""
    given = {name: values.get(name) for name in EXTRAS if values.get(name) not in (None, "")}
    if "country_code" not in given:
        if given:
            raise SettingError(
                f"Connection {connection_id!r}: extra {sorted(given)[0]!r} is part of a dial plan, "
                "which needs the extra 'country_code' (e.g. '49'): set it, or remove "
                + ", ".join(repr(n) for n in sorted(given))
            )
        return None
    from phonenumbers.phonemetadata import PhoneMetadata
    from phonenumbers.phonenumberutil import region_code_for_country_code

    def fail(name: str, allowed: str) -> SettingError:
        return SettingError(
            f"Connection {connection_id!r}: extra {name!r} must be {allowed}, got {given[name]!r}"
        )

    code = given["country_code"]
    code = code.removeprefix("+") if isinstance(code, str) else code
    if not isinstance(code, str) or not _DIGITS.fullmatch(code) or len(code) > 3:
        raise fail("country_code", "a country calling code as text, 1 to 3 digits (e.g. '49')")
    region = region_code_for_country_code(int(code))
    if region == "ZZ":
        raise fail("country_code", "a country calling code that exists (e.g. '49', '1', '44')")
    metadata = PhoneMetadata.metadata_for_region(region)
    prefixes = {}
    for name, default in (
        ("national_prefix", metadata.national_prefix),
        ("international_prefix", metadata.preferred_international_prefix or metadata.international_prefix),
    ):
        value = given.get(name)
        if value is None:
            prefixes[name] = default if default and _DIGITS.fullmatch(default) else ""
        elif value == NONE:
            prefixes[name] = ""
        elif isinstance(value, str) and _DIGITS.fullmatch(value) and len(value) <= 4:
            prefixes[name] = value
        else:
            raise fail(name, f"1 to 4 digits as text (e.g. '0', '00'), or {NONE!r}")
    digits = DEFAULT_EXTENSION_DIGITS
    if "extension_digits" in given:
        raw = given["extension_digits"]
        if isinstance(raw, bool) or not _DIGITS.fullmatch(str(raw).strip()) or not 0 <= int(raw) <= 12:
            raise fail("extension_digits", "a whole number from 0 (no extensions) to 12")
        digits = int(raw)
    did_prefix = given.get("extension_did_prefix", "")
    if did_prefix:
        if not (isinstance(did_prefix, str) and did_prefix[:1] == "+" and _DIGITS.fullmatch(did_prefix[1:])):
            raise fail(
                "extension_did_prefix",
                "'+' and digits, the DID an extension is appended to (e.g. '+4930123')",
            )
        if not did_prefix.startswith("+" + code):
            raise fail("extension_did_prefix", f"a prefix in country code {code} (starting with '+{code}')")
        if not digits:
            raise SettingError(
                f"Connection {connection_id!r}: extra 'extension_did_prefix' needs extensions: "
                "'extension_digits' is 0"
            )
    return DialPlan(
        country_code=code,
        national_prefix=prefixes["national_prefix"],
        international_prefix=prefixes["international_prefix"],
        extension_digits=digits,
        extension_did_prefix=did_prefix,
    )
