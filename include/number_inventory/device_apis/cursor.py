"""A cursor-paged JSON collection, as the Mediant REST API pages its collections (``api`` = ``cursor``).

::

    GET {base}{path}?limit=1000                 then   GET {base}{path}?limit=1000&after=<after>
    200 {"items": [{"addressOfRecord": ..., "contact": ...}, ...],
         "cursor": {"start": "0", "before": "-1", "after": "999", "end": "999"}}
    204 No Content                              (an empty collection)

``after`` = ``"-1"`` means there is nothing more. There is no total, so the read is complete when
every page arrived and parsed and the cursor ran to its end; the bindings received are its total.
A cursor that repeats or goes backwards (compared as whole numbers when both are) is a failed read,
never an endless loop, and ``max_pages`` bounds the rest.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from include.number_inventory.device_apis.json_list import bindings
from include.number_inventory.device_apis.transport import Binding, DeviceReadError, ReadResult, Transport

#: The ``after`` of the last page.
END = "-1"


def read(transport: Transport, *, on_page: Callable[[Sequence[Binding]], None]) -> ReadResult:
    """Follow the cursor to its end, handing each page to ``on_page``."""
    contract = transport.contract
    after: str | None = None
    seen: set[str] = set()
    items = pages = 0
    while True:
        if pages >= contract.max_pages:
            raise DeviceReadError(f"{transport.where}: more than max_pages={contract.max_pages} pages")
        page, next_after = _page(transport, after)
        pages += 1
        if page:
            on_page(page)
            items += len(page)
        if next_after is None:
            return ReadResult(total=items, items=items, pages=pages, restarts=0)
        _check_advances(transport, after, next_after, seen)
        seen.add(next_after)
        after = next_after


def first_page(transport: Transport) -> tuple[list[Binding], bool]:
    """The first page and whether it is the whole collection, for a probe."""
    page, after = _page(transport, None)
    return page, after is None


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


def _page(transport: Transport, after: str | None) -> tuple[list[Binding], str | None]:
    """One page and the cursor to continue after (``None`` at the end)."""
    contract = transport.contract
    params = {contract.limit_param: contract.page_size}
    if after is not None:
        params[contract.after_param] = after
    where = f"{transport.where} after {after!r}" if after is not None else f"{transport.where} first page"
    answer = transport.request(
        "GET", where=where, params=params, max_bytes=contract.max_page_bytes, bound="max_page_bytes"
    )
    if answer.status == 204:
        return [], None
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
    return page, None if next_after == END else next_after
