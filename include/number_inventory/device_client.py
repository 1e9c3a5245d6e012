"""The read of one device's registered users over HTTP: paged, retried, bounded, and checked.

The caller passes a configured ``requests.Session`` (in the DAGs, the http provider's
``HttpHook.get_conn()``, which carries the connection's Basic auth and TLS settings) and receives
each page through ``on_page``, so a read of a million bindings is streamed, never held whole.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import requests

from include.number_inventory.settings import Contract

log = logging.getLogger(__name__)

Binding = tuple[str, str]
_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


class DeviceReadError(RuntimeError):
    """A read that cannot be completed. ``retryable`` tells whether trying later may help (a device
    that is down) or not (a wrong password, a wrong path, a malformed answer)."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True)
class ReadResult:
    """What a complete read received."""

    total: int
    items: int
    pages: int
    restarts: int


def redact(url: str) -> str:
    """``url`` without any user or password in it, for messages."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def read_registered_users(
    session: requests.Session,
    base_url: str,
    contract: Contract,
    *,
    on_page: Callable[[Sequence[Binding]], None],
    on_restart: Callable[[], None],
    sleep: Callable[[float], None] = time.sleep,
) -> ReadResult:
    """Read every page of registered users, handing each to ``on_page``.

    Paging advances by the number of items received, since a device may return fewer than asked.
    When the announced ``total`` changes during the read, ``on_restart`` is called and the read starts
    over, at most ``contract.max_restarts`` times. A read that ends with fewer items than ``total``
    raises :class:`DeviceReadError`.
    """
    url = base_url.rstrip("/") + contract.path
    for restart in range(contract.max_restarts + 1):
        if restart:
            on_restart()
        result = _read_once(session, url, contract, on_page, sleep)
        if result is not None:
            return ReadResult(*result, restarts=restart)
    raise DeviceReadError(
        f"{redact(url)}: the device's total kept changing during the read "
        f"({contract.max_restarts} restarts); try again later",
        retryable=True,
    )


def _read_once(
    session: requests.Session,
    url: str,
    contract: Contract,
    on_page: Callable[[Sequence[Binding]], None],
    sleep: Callable[[float], None],
) -> tuple[int, int, int] | None:
    """One pass over the pages: ``(total, items, pages)``, or ``None`` when ``total`` changed."""
    offset = items = pages = 0
    total: int | None = None
    while total is None or offset < total:
        if pages >= contract.max_pages:
            raise DeviceReadError(f"{redact(url)}: more than max_pages={contract.max_pages} pages")
        page, page_total = _parse_page(_get_page(session, url, contract, offset, sleep), contract, offset)
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
            f"{redact(url)}: read cut short: {items} items received, the device announced {total}"
        )
    return total, items, pages


def _get_page(
    session: requests.Session, url: str, contract: Contract, offset: int, sleep: Callable[[float], None]
) -> bytes:
    params = {contract.offset_param: offset, contract.limit_param: contract.page_size}
    where = f"{redact(url)} at offset {offset}"
    deadline = time.monotonic() + contract.timeout_seconds * (contract.retries + 1)
    for attempt in range(contract.retries + 1):
        last = attempt == contract.retries or time.monotonic() >= deadline
        try:
            with session.get(url, params=params, timeout=contract.timeout_seconds, stream=True) as response:
                if response.status_code in _RETRY_STATUS:
                    problem = f"HTTP {response.status_code}"
                else:
                    _raise_for_status(response, where)
                    return _bounded_body(response, contract, where)
        except (requests.ConnectionError, requests.Timeout) as exc:
            problem = type(exc).__name__
        if last:
            raise DeviceReadError(
                f"{where}: {problem}, still failing after {attempt + 1} attempts", retryable=True
            )
        delay = contract.backoff_seconds * 2**attempt
        log.warning("%s: %s; retrying in %.1f s", where, problem, delay)
        sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


def _raise_for_status(response: requests.Response, where: str) -> None:
    status = response.status_code
    if status == 401:
        raise DeviceReadError(
            f"{where}: HTTP 401: the device refused the login; check the connection's login and password"
        )
    if status == 403:
        raise DeviceReadError(f"{where}: HTTP 403: the connection's user may not read registered users")
    if status == 404:
        raise DeviceReadError(
            f"{where}: HTTP 404: no such endpoint; check the connection's host and 'path' extra"
        )
    if not 200 <= status < 300:
        raise DeviceReadError(f"{where}: HTTP {status}", retryable=status >= 500)


def _bounded_body(response: requests.Response, contract: Contract, where: str) -> bytes:
    chunks, size = [], 0
    for chunk in response.iter_content(chunk_size=1 << 20):
        size += len(chunk)
        if size > contract.max_page_bytes:
            raise DeviceReadError(f"{where}: page larger than max_page_bytes={contract.max_page_bytes}")
        chunks.append(chunk)
    return b"".join(chunks)


def _parse_page(body: bytes, contract: Contract, offset: int) -> tuple[list[Binding], int]:
    where = f"page at offset {offset}"
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise DeviceReadError(f"{where}: the answer is not JSON ({len(body)} bytes)") from None
    if not isinstance(data, dict):
        raise DeviceReadError(f"{where}: malformed page: expected a JSON object")
    items, total = data.get(contract.items_field), data.get(contract.total_field)
    if not isinstance(items, list):
        raise DeviceReadError(f"{where}: malformed page: {contract.items_field!r} is not a list")
    if isinstance(total, bool) or not isinstance(total, int) or total < 0:
        raise DeviceReadError(f"{where}: malformed page: {contract.total_field!r} is not a whole number")
    try:
        page = [(item[contract.aor_field], item[contract.contact_field]) for item in items]
    except (KeyError, TypeError):  # an item that is not an object, or lacks a field
        page = None
    if page is None or not all(isinstance(aor, str) and isinstance(contact, str) for aor, contact in page):
        raise DeviceReadError(
            f"{where}: malformed item: needs text fields "
            f"{contract.aor_field!r} and {contract.contact_field!r}"
        )
    return page, total
