"""A cursor-paged JSON collection, as the Mediant REST API pages its collections (``api`` = ``cursor``).

::

    GET {base}{path}?limit=1000                 then   GET {base}{path}?limit=1000&after=<after>
    200 {"items": [{"addressOfRecord": ..., "contact": ...}, ...],
         "cursor": {"start": "0", "before": "-1", "after": "999", "end": "999"}}
    204 No Content, or 400 (which the Mediant REST API documents for a resource with no content)

``after`` = ``"-1"`` means there is nothing more. There is no total, so the read is complete when
every page arrived and parsed and the cursor ran to its end; the bindings received are its total.
A cursor that repeats or goes backwards (compared as whole numbers when both are) is a failed read,
never an endless loop, and ``max_pages`` bounds the rest.

**Emptiness is proven, never assumed.** A ``204``, a ``400`` or a page without items after a page
that announced more (``after`` not ``"-1"``) is a failed read: the walk stopped before its end. On
the first page, any of them says the collection is empty, and that is believed only when the
device's own counter of registered users (:mod:`counter`, extra ``count_check`` ``required``) says
0; otherwise it is a failed read naming what the device answered and what the counter said (or that
``count_check`` is ``off``, so nothing can prove the emptiness). With ``count_check`` ``required``
a walk that ends is also checked against the counter, as a ``mediant-cli`` listing is.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from number_inventory.device_apis import counter as device_counter
from number_inventory.device_apis import json_list
from number_inventory.device_apis.contract import DeviceApi, Extra
from number_inventory.device_apis.counter import Counter
from number_inventory.device_apis.json_list import bindings
from number_inventory.device_apis.transport import (
    Binding,
    DeviceReadError,
    ProbeResult,
    ReadResult,
    Transport,
    registered_users,
)

#: The ``after`` of the last page.
END = "-1"
#: What a first page without content means in the Mediant REST API.
_NO_CONTENT = {204: "answered 204", 400: "answered 400"}
#: How the first page's "no content" is told, in a message.
_MEANING = {
    "answered 204": "answered 204 (No Content)",
    "answered 400": "answered 400 (the Mediant REST API's answer for a resource with no content)",
}


def read(
    transport: Transport,
    *,
    on_page: Callable[[Sequence[Binding]], None],
    on_restart: Callable[[], None] | None = None,
) -> ReadResult:
    """Follow the cursor to its end, handing each page to ``on_page`` (a walk never starts over);
    with ``count_check`` ``required``, the device's counter read before and after the walk must
    agree with it."""
    contract = transport.contract
    counter = Counter.of(transport)
    before = counter.read() if counter is not None else None
    after: str | None = None
    seen: set[str] = set()
    items = pages = active = 0
    while True:
        if pages >= contract.max_pages:
            raise DeviceReadError(f"{transport.where}: more than max_pages={contract.max_pages} pages")
        page, next_after, said = _page(transport, after)
        pages += 1
        if not page:
            if after is not None:
                raise DeviceReadError(
                    f"{transport.where} after {after!r}: page {pages} {said} after page {pages - 1} "
                    f"announced more (after {after!r}): the collection stopped before its end, so the "
                    "read is not complete"
                )
            if next_after is not None:
                raise DeviceReadError(
                    f"{transport.where} first page: it held no items yet announced more (after "
                    f"{next_after!r}): not a collection's first page"
                )
            return empty(transport, counter, before, said)
        on_page(page)
        items += len(page)
        if counter is not None:
            active += _active(page)
        if next_after is None:
            if counter is not None and before is not None:
                counter.check(before, counter.read(), active, "active contacts")
            return ReadResult(total=items, items=items, pages=pages, restarts=0)
        _check_advances(transport, after, next_after, seen)
        seen.add(next_after)
        after = next_after


def probe(transport: Transport) -> ProbeResult:
    """The first page and whether it is the whole collection; with ``count_check`` ``required`` the
    device's counter too. A first page without content is an empty collection as a read would take it
    (the counter says 0), else the read's error."""
    counter = Counter.of(transport)
    count = counter.read() if counter is not None else None
    page, after, said = _page(transport, None)
    whole = after is None
    if not page and whole:
        empty(transport, counter, count, said)
    total = len(page) if whole else None
    return ProbeResult(API.name, len(page), registered_users(page), total, whole, count)


def empty(transport: Transport, counter: Counter | None, before: int | None, said: str) -> ReadResult:
    """The first page had no content: an empty read when the device's counter says 0, else failed."""
    where = f"{transport.where} first page"
    said = _MEANING.get(said, said)
    if counter is None or before is None:
        raise DeviceReadError(
            f"{where}: the device {said}; that alone does not prove the collection is empty, and "
            "count_check is off, so the device's counter of registered users cannot prove it: set the "
            'extra count_check to "required" (the counter at count_path) to read an empty device'
        )
    now = counter.read()
    if min(before, now) == 0:
        return ReadResult(total=0, items=0, pages=1, restarts=0)
    counted = f"{before:,}" if before == now else f"{before:,} before the first page and {now:,} after it"
    raise DeviceReadError(
        f"{where}: the device {said}, yet its counter says {counted} registered users: the read is "
        "not complete"
    )


def _active(page: Sequence[Binding]) -> int:
    """Active contacts of a page, by the pipeline's one rule of activeness."""
    from number_inventory.numbers import contacts_active  # pandas: only with the counter

    return sum(contacts_active([contact for _, contact in page]))


def _check_advances(transport: Transport, after: str | None, next_after: str, seen: set[str]) -> None:
    where = f"{transport.where} after {after!r}"
    if next_after in seen or next_after == after:
        raise DeviceReadError(
            f"{where}: the cursor repeats ({next_after!r} came before); the read would never end"
        )
    before, now = _whole(after) if after is not None else None, _whole(next_after)
    if before is not None and now is not None and now < before:
        raise DeviceReadError(f"{where}: the cursor went backwards to {next_after!r}")


def _whole(text: str) -> int | None:
    # A cursor too long for int() (Python's int_max_str_digits, 4300) is compared as text only.
    digits = text.lstrip("-")
    return int(text) if text.isascii() and digits.isdigit() and len(digits) <= 4000 else None


def _page(transport: Transport, after: str | None) -> tuple[list[Binding], str | None, str]:
    """One page, the cursor to continue after (``None`` at the end), and what the device answered
    when the page had no content (``204``, ``400`` or no items)."""
    contract = transport.contract
    params = {contract.limit_param: contract.page_size}
    if after is not None:
        params[contract.after_param] = after
    where = f"{transport.where} after {after!r}" if after is not None else f"{transport.where} first page"
    try:
        answer = transport.request(
            "GET", where=where, params=params, max_bytes=contract.max_page_bytes, bound="max_page_bytes"
        )
    except DeviceReadError as exc:
        if exc.status == 400:
            return [], None, _NO_CONTENT[400]
        raise
    if answer.status == 204:
        return [], None, _NO_CONTENT[204]
    try:
        data = json.loads(answer.body)
    except RecursionError:
        raise DeviceReadError(f"{where}: malformed page: JSON nested too deeply") from None
    except ValueError:  # not JSON, not UTF-8, or a number too long for Python
        raise DeviceReadError(f"{where}: the answer is not JSON ({len(answer.body)} bytes)") from None
    if not isinstance(data, dict):
        raise DeviceReadError(f"{where}: malformed page: expected a JSON object")
    items, cursor = data.get(contract.items_field), data.get(contract.cursor_field)
    if not isinstance(items, list):
        raise DeviceReadError(f"{where}: malformed page: {contract.items_field!r} is not a list")
    next_after = cursor.get("after") if isinstance(cursor, dict) else None
    if isinstance(next_after, int) and not isinstance(next_after, bool):
        next_after = str(next_after)
    if not isinstance(next_after, str) or not next_after:
        raise DeviceReadError(
            f"{where}: malformed page: {contract.cursor_field!r} must be an object with a text 'after'"
        )
    page = bindings(items, contract.aor_field, contract.contact_field, where)
    return page, None if next_after == END else next_after, "answered a page without items"


API = DeviceApi(
    name="cursor",
    summary="cursor: a cursor-paged REST collection",
    extras=(
        json_list.path_extra("/api/v1/registeredUsers"),
        json_list.page_size_extra("json and cursor APIs"),
        Extra("items_field", "items", "the page's field holding the list of items"),
        Extra("cursor_field", "cursor", "the page's field holding the cursor object"),
        Extra("limit_param", "limit", "the query parameter of the page size"),
        Extra("after_param", "after", "the query parameter of the cursor to continue after"),
        json_list.AOR_FIELD,
        json_list.CONTACT_FIELD,
        json_list.MAX_PAGES,
        json_list.MAX_PAGE_BYTES,
        *device_counter.extras(check="off"),
    ),
    read=read,
    probe=probe,
)
