"""The SPEC's device contract (extra ``api`` = ``json``): an offset/limit JSON list with a total.

::

    GET {base}{path}?offset=0&limit=1000
    200 {"registeredUsers": [{"addressOfRecord": "1000@10.8.5.71", "contact": "<sip:...>"}, ...],
         "total": 2345}

Paging advances by the number of items received, since a device may return fewer than asked. When
the announced ``total`` changes during the read, the read starts over (``max_restarts``). A read
that ends with fewer items than ``total`` is cut short.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence

from number_inventory.device_apis.contract import Contract, DeviceApi, Extra
from number_inventory.device_apis.transport import (
    Binding,
    DeviceReadError,
    ProbeResult,
    ReadResult,
    Transport,
    registered_users,
)

log = logging.getLogger(__name__)


def read(
    transport: Transport, *, on_page: Callable[[Sequence[Binding]], None], on_restart: Callable[[], None]
) -> ReadResult:
    """Read every page, handing each to ``on_page``; start over when ``total`` changes."""
    contract = transport.contract
    for restart in range(contract.max_restarts + 1):
        if restart:
            on_restart()
        result = _read_once(transport, on_page)
        if result is not None:
            return ReadResult(*result, restarts=restart)
    raise DeviceReadError(
        f"{transport.where}: the device's total kept changing during the read "
        f"({contract.max_restarts} restarts); try again later",
        retryable=True,
    )


def probe(transport: Transport) -> ProbeResult:
    """The first page and the announced total."""
    page, total = _page(transport, 0)
    return ProbeResult(API.name, len(page), registered_users(page), total, len(page) >= total)


def _read_once(
    transport: Transport, on_page: Callable[[Sequence[Binding]], None]
) -> tuple[int, int, int] | None:
    """One pass over the pages: ``(total, items, pages)``, or ``None`` when ``total`` changed."""
    contract = transport.contract
    offset = items = pages = 0
    total: int | None = None
    while total is None or offset < total:
        if pages >= contract.max_pages:
            raise DeviceReadError(f"{transport.where}: more than max_pages={contract.max_pages} pages")
        page, page_total = _page(transport, offset)
        if total is not None and page_total != total:
            log.warning("total changed from %s to %s during the read; starting over", total, page_total)
            return None
        total, pages = page_total, pages + 1
        if not page:
            break
        on_page(page)
        items += len(page)
        offset += len(page)
    if items < total:
        raise DeviceReadError(
            f"{transport.where}: read cut short: {items} items received, the device announced {total}"
        )
    return total, items, pages


def _page(transport: Transport, offset: int) -> tuple[list[Binding], int]:
    contract = transport.contract
    answer = transport.request(
        "GET",
        where=f"{transport.where} at offset {offset}",
        params={contract.offset_param: offset, contract.limit_param: contract.page_size},
        max_bytes=contract.max_page_bytes,
        bound="max_page_bytes",
    )
    return parse_page(answer.body, contract, offset)


def parse_page(body: bytes | bytearray, contract: Contract, offset: int) -> tuple[list[Binding], int]:
    """The bindings and the total of one page; a page of another shape is a failed read."""
    where = f"page at offset {offset}"
    items_field, total_field = contract.items_field, contract.total_field
    try:
        data = json.loads(body)
    except RecursionError:
        raise DeviceReadError(f"{where}: malformed page: JSON nested too deeply") from None
    except ValueError:  # not JSON, not UTF-8, or a number too long for Python
        raise DeviceReadError(f"{where}: the answer is not JSON ({len(body)} bytes)") from None
    if not isinstance(data, dict):
        raise DeviceReadError(f"{where}: malformed page: expected a JSON object")
    items, total = data.get(items_field), data.get(total_field)
    if not isinstance(items, list):
        raise DeviceReadError(f"{where}: malformed page: {items_field!r} is not a list")
    if isinstance(total, bool) or not isinstance(total, int) or total < 0:
        raise DeviceReadError(f"{where}: malformed page: {total_field!r} is not a whole number")
    return bindings(items, contract.aor_field, contract.contact_field, where), total


def bindings(items: list, aor_field: str, contact_field: str, where: str) -> list[Binding]:
    """``(aor, contact)`` of each item; an item that is not an object with both text fields is a
    failed read."""
    try:
        page = [(item[aor_field], item[contact_field]) for item in items]
    except (KeyError, TypeError):  # an item that is not an object, or lacks a field
        page = None
    if page is None or not all(isinstance(aor, str) and isinstance(contact, str) for aor, contact in page):
        raise DeviceReadError(
            f"{where}: malformed item: needs text fields {aor_field!r} and {contact_field!r}"
        )
    return page


#: The fields of a JSON item, shared with the ``cursor`` API.
AOR_FIELD = Extra("aor_field", "addressOfRecord", "the item's field holding the address of record")
CONTACT_FIELD = Extra("contact_field", "contact", "the item's field holding the contact")
MAX_PAGES = Extra("max_pages", 100_000, "the most pages one read may take", minimum=1)
MAX_PAGE_BYTES = Extra("max_page_bytes", 64 * 1024 * 1024, "the largest page, in bytes", minimum=1)


def page_size_extra(apis: str) -> Extra:
    return Extra(
        "page_size",
        1000,
        f"registered users asked for per request ({apis}); default 1000",
        minimum=1,
        label="Page size",
    )


def path_extra(default: str) -> Extra:
    return Extra("path", default, "the resource's path on the device", prefix="/", label="API path")


API = DeviceApi(
    name="json",
    summary="json: the paged JSON list (default)",
    extras=(
        path_extra("/api/v1/registeredUsers"),
        page_size_extra("json and cursor APIs"),
        Extra("items_field", "registeredUsers", "the page's field holding the list of items"),
        Extra("total_field", "total", "the page's field holding the total of items"),
        AOR_FIELD,
        CONTACT_FIELD,
        Extra("offset_param", "offset", "the query parameter of the first item asked for"),
        Extra("limit_param", "limit", "the query parameter of the page size"),
        Extra("max_restarts", 3, "how often a read starts over when the total changes meanwhile"),
        MAX_PAGES,
        MAX_PAGE_BYTES,
    ),
    read=read,
    probe=probe,
)
