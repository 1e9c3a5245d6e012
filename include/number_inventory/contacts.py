"""The contacts of the kept registrations: what a number's page in the view shows of where and how it
is registered.

A read stages each binding's contact as the device reported it (``<sip:1000@10.8.5.71:5060>;expires=180;
Active status:1``), cut to :data:`CONTACT_CHARS`; keeping the read stores up to :data:`MAX_CONTACTS` of
them per number and connection (``collect_contacts.sql``). The view parses them with :func:`parse`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from number_inventory import numbers as nums

#: Characters of a contact kept: a SIP contact with its parameters fits; a hostile one is cut.
CONTACT_CHARS = 200
#: Contacts kept per number and connection (an AudioCodes AOR has at most 5).
MAX_CONTACTS = 5

_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_URI = re.compile(r"<([^>]*)>|^\s*([^;\s]+)")
_EXPIRES = re.compile(r"expires\s*=\s*(\d+)", re.IGNORECASE)


def compact(contacts: Sequence[str]) -> list[str]:
    """Each contact cut to :data:`CONTACT_CHARS` and escaped for COPY's text format."""
    cut = [contact[:CONTACT_CHARS] for contact in contacts]
    joined = "".join(cut)
    if any(special in joined for special in "\\\t\n\r"):
        return [contact.translate(_COPY_ESCAPES) for contact in cut]
    return cut


def parse(contact: str) -> dict[str, Any]:
    """``{"uri", "expires", "active", "contact"}`` of a kept contact: the URI between ``<>`` (or its
    first word), ``expires=N`` in seconds (``None`` when absent), and whether it is active
    (``status:1`` or no status) or pending (``status:0``)."""
    uri = _URI.search(contact)
    expires = _EXPIRES.search(contact)
    return {
        "uri": (uri.group(1) or uri.group(2)) if uri else None,
        "expires": int(expires.group(1)) if expires else None,
        "active": nums.contacts_active([contact])[0],
        "contact": contact,
    }
