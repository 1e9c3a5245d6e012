"""The read of one device's registered users over HTTP, whichever API the device speaks.

The caller passes a configured ``requests.Session`` (in the DAGs, the connection's hook's
``get_conn()``, which carries its Basic auth and TLS settings), the base URL and the contract read
from the connection's extras; the extra ``api`` picks the adapter in
:mod:`number_inventory.device_apis` (``json``, ``mediant-cli``, ``cursor``). Bindings
arrive through ``on_page`` as ``(aor, contact)`` pairs, so a read of a million bindings is
streamed, never held whole. Retries, bounds, redirects and the messages of HTTP errors are the
shared transport's; each adapter checks that its answer is a complete listing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import requests

from number_inventory.device_apis import cursor, json_list, mediant_cli
from number_inventory.device_apis.transport import (
    Binding,
    DeviceReadError,
    ProbeResult,
    ReadResult,
    Transport,
    redact,
)
from number_inventory.settings import Contract

__all__ = [
    "Binding",
    "DeviceReadError",
    "ProbeResult",
    "ReadResult",
    "probe",
    "read_registered_users",
    "redact",
]


def read_registered_users(
    session: requests.Session,
    base_url: str,
    contract: Contract,
    *,
    on_page: Callable[[Sequence[Binding]], None],
    on_restart: Callable[[], None],
    sleep: Callable[[float], None] = time.sleep,
) -> ReadResult:
    """Read every registered user of the device, handing the bindings to ``on_page``.

    ``on_restart`` is called when the read starts over (a ``json`` device whose total changed
    meanwhile): what ``on_page`` received so far is void. A read that is not complete raises
    :class:`DeviceReadError`.
    """
    transport = Transport(session, base_url, contract, sleep=sleep)
    if contract.api == "mediant-cli":
        return mediant_cli.read(transport, on_page=on_page)
    if contract.api == "cursor":
        return cursor.read(transport, on_page=on_page)
    if contract.api == "json":
        return json_list.read(transport, on_page=on_page, on_restart=on_restart)
    raise DeviceReadError(f"{transport.where}: unknown device api {contract.api!r}")


def probe(
    session: requests.Session,
    base_url: str,
    contract: Contract,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> ProbeResult:
    """A first look at the device, for a connection test: the first page (``json``, ``cursor``) or
    one run of the CLI command (``mediant-cli``), with the same auth, bounds and errors as a read."""
    transport = Transport(session, base_url, contract, sleep=sleep)
    if contract.api == "mediant-cli":
        listing = mediant_cli.run(transport, lambda batch: None, count_registered=True)
        registered = listing.registered or 0
        return ProbeResult(contract.api, listing.bindings, registered, listing.bindings, True)
    if contract.api == "cursor":
        page, whole = cursor.first_page(transport)
        total = len(page) if whole else None
        return ProbeResult(contract.api, len(page), _registered(page), total, whole)
    if contract.api == "json":
        page, total = json_list.first_page(transport)
        return ProbeResult(contract.api, len(page), _registered(page), total, len(page) >= total)
    raise DeviceReadError(f"{transport.where}: unknown device api {contract.api!r}")


def _registered(page: Sequence[Binding]) -> int:
    """Distinct AORs with an active contact, by the pipeline's one rule of activeness."""
    from number_inventory.numbers import contacts_active  # pandas: only when probing

    active = contacts_active([contact for _, contact in page])
    return len({aor for (aor, _), on in zip(page, active, strict=True) if on})
