"""The device APIs a connection may name in its extra ``api``: one line each.

Everything that depends on which APIs exist derives from :data:`APIS`: the connection form's choices
and fields (``number_inventory.provider``), the validation of a connection's extras
(:func:`contract_from_extras`) and the dispatch of a read and a probe (``device_client``). Adding a
device API is one module declaring its :class:`~number_inventory.device_apis.contract.DeviceApi`, one
line here, its simulator in ``devtools/device_server.py`` and its tests (docs: *Development*).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from number_inventory import dial_plan
from number_inventory.device_apis import cursor, json_list, mediant_cli
from number_inventory.device_apis.contract import (
    DIAL_PLAN_EXTRAS,
    PLACEMENT_EXTRAS,
    Contract,
    DeviceApi,
    Extra,
)
from number_inventory.settings import SettingError

#: Every device API, the first the default of a connection without an ``api`` extra.
APIS: dict[str, DeviceApi] = {api.name: api for api in (json_list.API, mediant_cli.API, cursor.API)}
DEFAULT_API = next(iter(APIS))

#: Extras the http provider's ``HttpHook`` itself reads from a connection (TLS, proxies, ...); every
#: other extra that is no device API's would be sent to the device as an HTTP header.
HTTP_HOOK_EXTRAS = frozenset(
    {
        "stream",
        "cert",
        "proxies",
        "proxy",
        "timeout",
        "verify",
        "verify_ssl",
        "allow_redirects",
        "max_redirects",
        "trust_env",
        "check_response",
        "srv_lookup",
    }
)


def get(name: str) -> DeviceApi:
    """The device API called ``name``; ``KeyError`` names the ones there are."""
    try:
        return APIS[name]
    except KeyError:
        raise KeyError(f"no device api {name!r}: one of {', '.join(APIS)}") from None


def extra_names() -> frozenset[str]:
    """Every extra of any device API and of the transport, and ``api`` itself."""
    return frozenset({"api"}.union(*(api.all_extras() for api in APIS.values())))


def form_extras() -> dict[str, tuple[Extra, list[str]]]:
    """The extras shown on the connection form (those with a ``label``), each with the APIs that
    take it: the placement's (tenant, site) first, then the APIs' own in the order they declare them,
    then the dial plan's (every API's)."""
    shown: dict[str, tuple[Extra, list[str]]] = {
        extra.name: (extra, list(APIS)) for extra in PLACEMENT_EXTRAS
    }
    for api in APIS.values():
        for extra in api.extras:
            if extra.label:
                shown.setdefault(extra.name, (extra, []))[1].append(api.name)
    for extra in DIAL_PLAN_EXTRAS:
        shown[extra.name] = (extra, list(APIS))
    return shown


def contract_from_extras(extras: Mapping[str, Any], connection_id: str) -> Contract:
    """The contract a connection's extras describe, each value checked (:class:`Extra.value`).

    An extra that no device API, the transport or the ``HttpHook`` knows is sent to the device as an
    HTTP header by the hook (``"X-Tenant": "acme"``). It is refused, naming it and what it may have
    meant, when it cannot be one: its value is not text (``"page_sise": 500``), or its name is a
    near miss of a known extra (``"page_sise": "500"``), which would otherwise be silently ignored.
    An extra of another device API is refused too, naming the APIs that take it (``count_check`` on a
    ``json`` connection would promise a check that never runs), except a field of the connection form
    (``page_size``), which the form may save whatever the API: it is not used."""
    raw_api = extras.get("api", DEFAULT_API)
    if raw_api not in APIS:
        raise SettingError(
            f"Connection {connection_id!r}: extra 'api' must be one of {', '.join(APIS)}, got {raw_api!r}"
        )
    api = get(raw_api)
    known = sorted(extra_names() | HTTP_HOOK_EXTRAS)
    refused = []
    for name in sorted(set(extras) - set(known)):
        close = difflib.get_close_matches(name, known, 1, cutoff=0.8)
        if close or not isinstance(extras[name], str):
            refused.append(f"{name!r} (did you mean {close[0]!r}?)" if close else f"{name!r}")
    form = set(form_extras())
    others = sorted(set(extras) & (extra_names() - set(api.all_extras()) - form - {"api"}))
    if others:
        takers = {name: [a.name for a in APIS.values() if name in a.all_extras()] for name in others}
        raise SettingError(
            f"Connection {connection_id!r}: "
            + "; ".join(f"extra {n!r} is for api {', '.join(takers[n])}" for n in others)
            + f", not for {api.name}: remove it, or set 'api' to the device's API"
        )
    if refused:
        raise SettingError(
            f"Connection {connection_id!r}: unknown extra {', '.join(refused)}: the {api.name} device api "
            f"takes {', '.join(sorted(api.all_extras()))}; any other extra is sent to the device as an "
            "HTTP header, and must have a text value"
        )
    values = {
        name: extra.value(extras[name], connection_id)
        for name, extra in api.all_extras().items()
        if name in extras
    }
    dial_plan.from_values(values, connection_id)  # its extras are checked together
    return Contract(api.name, **values)
