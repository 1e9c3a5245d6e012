"""The read of one device's registered users over HTTP, whichever API the device speaks.

The caller passes a configured ``requests.Session`` (in the DAGs, the connection's hook's
``get_conn()``, which carries its Basic auth and TLS settings), the base URL and the contract read
from the connection's extras; the extra ``api`` picks the adapter from
:data:`number_inventory.device_apis.registry.APIS`. Bindings
arrive through ``on_page`` as ``(aor, contact)`` pairs, so a read of a million bindings is
streamed, never held whole. Retries, bounds, redirects and the messages of HTTP errors are the
shared transport's; each adapter checks that its answer is a complete listing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from number_inventory.device_apis import registry
from number_inventory.device_apis.contract import Contract
from number_inventory.device_apis.transport import (
    Binding,
    DeviceReadError,
    ProbeResult,
    ReadResult,
    Transport,
    redact,
)

if TYPE_CHECKING:
    import requests

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
    return registry.get(contract.api).read(transport, on_page=on_page, on_restart=on_restart)


def probe(
    session: requests.Session,
    base_url: str,
    contract: Contract,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> ProbeResult:
    """A first look at the device, for a connection test (the first page, or one run of the CLI
    command), with the same auth, bounds and errors as a read."""
    transport = Transport(session, base_url, contract, sleep=sleep)
    return registry.get(contract.api).probe(transport)
