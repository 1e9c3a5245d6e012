"""The device's own count of registered users: the independent proof that a listing is complete.

A listing may stop cleanly between two users (a CLI cut at a line's end, a collection that ends
early) and nothing in its text tells it from a shorter listing. The Mediant SBC counts its
registered users itself, as a KPI of its REST API that a *Monitor* account may read::

    GET {base}/api/v1/kpi/current/sbc/otherStats/global/registeredUsers
    200 {"id": "registeredUsers", "value": "120"}
    GET {base}/api/v1/kpi/current/sbc/otherStats/global          (the scope, at ``count_path`` too)
    200 {"items": [{"id": "registeredUsers", "value": "120"}, ...]}

The value may be text or a number, and keys may carry stray spaces (``" value"``, ``"id "``) as
AudioCodes' own examples do. With the extra ``count_check`` ``required`` (the default of
``mediant-cli``), the counter is read before and after the listing, and the read is complete only
when the listing accounts for at least ``min(before, after) - count_tolerance`` registered users
(``count_tolerance`` defaults to 2 or 0.5% of the counter, whichever is larger: users who come and
go while the listing is written). AudioCodes does not say whether the KPI counts AORs or contacts,
so the listing's larger count (AORs with an active contact, or active contacts) is compared. A
counter that cannot be read fails the read and names the extra that turns the check off.
"""

from __future__ import annotations

import json
import math
from typing import Any

from number_inventory.device_apis.contract import Extra
from number_inventory.device_apis.transport import DeviceReadError, Transport

#: Where the Mediant REST API serves the counter.
KPI_PATH = "/api/v1/kpi/current/sbc/otherStats/global/registeredUsers"
#: ``count_check``: whether the device's own counter of registered users must prove a read complete.
COUNT_CHECKS = ("required", "off")
#: The KPI's id, in the answer of the KPI itself or among its scope's items.
KPI_ID = "registeredUsers"
#: The counter's answer is a few dozen bytes; a scope lists a few dozen KPIs.
MAX_BYTES = 1024 * 1024
#: The fix named when the counter cannot be had.
TURN_OFF = 'set the extra count_check to "off" to read without this proof'


def extras(*, check: str) -> tuple[Extra, ...]:
    """The counter's extras, for a device API whose listings it can prove; ``check`` is that API's
    default of ``count_check``."""
    return (
        Extra(
            "count_path",
            KPI_PATH,
            "the device's counter of registered users (a KPI, or its scope)",
            prefix="/",
        ),
        Extra(
            "count_check",
            check,
            "required: the counter must prove each read complete; off: read without that proof",
            choices=COUNT_CHECKS,
        ),
        Extra(
            "count_tolerance",
            None,
            "how many registered users a listing may lack against the counter (default: 2 or 0.5% "
            "of the counter, whichever is larger)",
            kind=float,
        ),
    )


class Counter:
    """The counter of one device, read through the listing's transport (auth, TLS, retries) at the
    counter's path."""

    def __init__(self, transport: Transport) -> None:
        self.contract = transport.contract
        self.transport = transport.at(self.contract.count_path)

    @classmethod
    def of(cls, transport: Transport) -> Counter | None:
        """The device's counter when the connection's ``count_check`` is ``required``, else ``None``."""
        return cls(transport) if transport.contract.count_check == "required" else None

    @property
    def where(self) -> str:
        return self.transport.where

    def read(self) -> int:
        """The device's count of registered users now; :class:`DeviceReadError` when it cannot be
        had, naming ``count_path`` and ``count_check``."""
        where = f"{self.where} (the device's counter of registered users)"
        try:
            answer = self.transport.request(
                "GET", where=where, max_bytes=MAX_BYTES, bound="the counter's limit"
            )
        except DeviceReadError as exc:
            # The transport's 404 hint names the listing's 'path'; here it is the counter's.
            message = str(exc).replace("'path' extra", "'count_path' extra")
            raise DeviceReadError(
                f"{message}; without the counter the read cannot be proven complete: check 'count_path' "
                f"and that the login may read it (a Monitor account may), or {TURN_OFF}",
                retryable=exc.retryable,
            ) from None
        if answer.status == 204:
            raise DeviceReadError(f"{where}: HTTP 204, no counter in the answer; {TURN_OFF}")
        return value(answer.body, where)

    def tolerance(self, count: int) -> float:
        """How many registered users the listing may lack against a counter of ``count``."""
        if self.contract.count_tolerance is not None:
            return self.contract.count_tolerance
        return max(2.0, 0.005 * count)

    def check(self, before: int, after: int, listed: int, what: str) -> None:
        """Fail unless a listing of ``listed`` registered users (``what`` says how they were counted)
        accounts for the counter read ``before`` and ``after`` it."""
        counted = min(before, after)
        tolerance = self.tolerance(counted)
        if listed >= counted - tolerance:
            return
        said = (
            "read before and after the listing"
            if before == after
            else f"said {before:,} before the listing and {after:,} after it"
        )
        raise DeviceReadError(
            f"the read is not complete: the device counts {counted:,} registered users (its counter, "
            f"{said}), the listing holds {listed:,} ({what}), more than count_tolerance="
            f"{tolerance:g} short: the listing was cut. If the counter is wrong for this device, raise "
            f"'count_tolerance', or {TURN_OFF}"
        )


def value(body: bytes | bytearray, where: str) -> int:
    """The counter's value in an answer of either shape; :class:`DeviceReadError` otherwise."""
    try:
        data = json.loads(bytes(body))
    except (ValueError, RecursionError):  # not JSON, not UTF-8, a number too long, nested too deeply
        raise DeviceReadError(
            f"{where}: the answer is not JSON ({len(body):,} bytes); check 'count_path', or {TURN_OFF}"
        ) from None
    kpi = _stripped(data)
    if kpi is None:
        raise DeviceReadError(f"{where}: the answer is not a KPI object; check 'count_path', or {TURN_OFF}")
    items = kpi.get("items")
    if isinstance(items, list):
        found = [k for k in map(_stripped, items) if k is not None and _text(k.get("id")) == KPI_ID]
        if len(found) != 1:
            raise DeviceReadError(
                f"{where}: the answer's items hold {len(found)} KPIs with the id {KPI_ID!r}, not one; "
                f"check 'count_path', or {TURN_OFF}"
            )
        kpi = found[0]
    ident = kpi.get("id")
    if ident is not None and _text(ident) != KPI_ID:
        raise DeviceReadError(
            f"{where}: the answer is the KPI {_text(ident)[:40]!r}, not {KPI_ID!r}; check 'count_path', "
            f"or {TURN_OFF}"
        )
    count = _count(kpi.get("value"))
    if count is None:
        shown = repr(kpi.get("value"))[:40]
        raise DeviceReadError(
            f"{where}: the counter's value {shown} is not a whole number of users; check 'count_path', "
            f"or {TURN_OFF}"
        )
    return count


def _stripped(item: Any) -> dict[str, Any] | None:
    """An object with its keys stripped of stray spaces (``" value"`` is ``value``)."""
    if not isinstance(item, dict):
        return None
    return {key.strip() if isinstance(key, str) else key: v for key, v in item.items()}


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else str(value)


def _count(raw: Any) -> int | None:
    """A whole number >= 0 written as a JSON number or as text (``"120"``, ``" 120 "``)."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if raw >= 0 else None
    if isinstance(raw, float):
        return int(raw) if math.isfinite(raw) and raw >= 0 and raw == int(raw) else None
    if isinstance(raw, str):
        text = raw.strip()
        if text.isascii() and text.isdigit() and len(text) <= 12:
            return int(text)
    return None
