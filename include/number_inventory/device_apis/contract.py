"""What a device connection's extras say, declared once per device API.

Each device API is one module of this package that declares a :class:`DeviceApi`: its name (the
connection's extra ``api``), its own extras with their defaults and limits (:class:`Extra`), its
``read`` and its ``probe``. :mod:`number_inventory.device_apis.registry` lists them; the connection
form, the validation of a connection's extras and the dispatch of a read all derive from that list.
The shared transport's extras (:data:`TRANSPORT_EXTRAS`: timeouts, retries, backoff) and the dial
plan's (:data:`DIAL_PLAN_EXTRAS`: how the device's numbers become canonical) apply to every API.

A :class:`Contract` holds the value of every extra of one API, its defaults filled in, and nothing of
another API's: ``contract.page_size`` of a ``mediant-cli`` contract is an error, not a silent default.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from number_inventory.settings import SettingError

if TYPE_CHECKING:
    from number_inventory.device_apis.transport import ProbeResult, ReadResult, Transport


@dataclass(frozen=True)
class Extra:
    """One connection extra of a device API.

    Its type is its default's (or ``kind``, for an extra whose default ``None`` means "worked out
    when used"): a text must be non-empty (and one of ``choices`` when given, and start with
    ``prefix`` when given, and pass ``check`` when given); a number must be finite and at least
    ``minimum`` (whole for an ``int``; extras may hold numbers as text). ``label`` puts it on the
    connection form.

    ``check(text)`` is an extra's own rule: it returns the value to use (the text, or its one proper
    spelling) or raises :class:`ValueError` saying what is wrong. It runs wherever a contract is made
    (:meth:`value` for a connection's extras, :class:`Contract` for code), so a value it refuses never
    reaches an adapter, let alone a device."""

    name: str
    default: str | int | float | None
    description: str
    minimum: float = 0
    choices: tuple[str, ...] = ()
    prefix: str = ""
    label: str = ""
    kind: type | None = None
    check: Callable[[str], str] | None = None
    #: Taken as given and checked with the others of its kind (the dial plan's, by
    #: :func:`number_inventory.dial_plan.from_values`, which knows how they depend on each other).
    checked_apart: bool = False

    @property
    def type(self) -> type:
        """``str``, ``int`` or ``float``."""
        return self.kind or type(self.default)

    def value(self, raw: Any, connection_id: str) -> str | int | float:
        """``raw`` checked and converted; :class:`SettingError` names the connection, the extra and
        what it allows."""
        if self.checked_apart:
            return raw
        if self.type is str:
            if isinstance(raw, str) and raw and (not self.choices or raw in self.choices):
                if raw.startswith(self.prefix):
                    return self.checked(raw, f"Connection {connection_id!r}: ")
                raise SettingError(
                    f"Connection {connection_id!r}: extra {self.name!r} must start with {self.prefix!r}, "
                    f"got {raw!r}"
                )
            allowed = " or ".join(repr(c) for c in self.choices) if self.choices else "a non-empty text"
            raise SettingError(
                f"Connection {connection_id!r}: extra {self.name!r} must be {allowed}, got {raw!r}"
            )
        try:
            number = float(raw)
            if isinstance(raw, bool) or not math.isfinite(number) or number < self.minimum:
                raise ValueError
            if self.type is int and number != int(number):
                raise ValueError
        except (TypeError, ValueError, OverflowError):
            kind = "a whole number" if self.type is int else "a number"
            raise SettingError(
                f"Connection {connection_id!r}: extra {self.name!r} must be {kind} >= {self.minimum:g}, "
                f"got {raw!r}"
            ) from None
        return int(number) if self.type is int else number

    def checked(self, text: Any, subject: str = "") -> Any:
        """``text`` as :attr:`check` has it; :class:`SettingError` (``subject`` first) when refused."""
        if self.check is None:
            return text
        try:
            return self.check(text)
        except ValueError as exc:
            raise SettingError(f"{subject}{exc}") from None


#: The shared transport's extras, which every device API takes. ``deadline_seconds`` bounds the wall
#: clock of one request (a device trickling its answer a byte at a time defeats ``timeout_seconds``).
TRANSPORT_EXTRAS = (
    Extra("timeout_seconds", 30.0, "seconds to connect and between two received bytes"),
    Extra("retries", 4, "retries of a request that may pass (connection errors, 409, 429, 5xx)"),
    Extra("backoff_seconds", 0.5, "the first retry's delay, doubled for each retry after it"),
    Extra("deadline_seconds", 300.0, "the wall-clock bound of one request, headers and body", minimum=0.001),
)

#: A connection's dial plan, which every device API takes (:mod:`number_inventory.dial_plan`):
#: without ``country_code`` there is none, and numbers are kept as the device spells them.
DIAL_PLAN_EXTRAS = tuple(
    Extra(name, None, description, kind=str, label=label, checked_apart=True)
    for name, description, label in (
        (
            "country_code",
            "the country calling code of the device's numbers, e.g. 49",
            "Dial plan: country code",
        ),
        (
            "national_prefix",
            "the trunk prefix of a national number (default: the country's, 0 for 49)",
            "Dial plan: national prefix",
        ),
        (
            "international_prefix",
            "the prefix of an international number (default: the country's, 00 for 49)",
            "Dial plan: international prefix",
        ),
        (
            "extension_digits",
            "the most digits of an internal extension (default 6)",
            "Dial plan: extension digits",
        ),
        (
            "extension_did_prefix",
            "the DID an extension is appended to (e.g. +4930123); empty: extensions stay extensions",
            "Dial plan: extension DID prefix",
        ),
    )
)


def _tenant(text: str) -> str:
    from number_inventory import tenants

    try:
        return tenants.tenant_name(text, what="extra 'tenant'")
    except SettingError as exc:
        raise ValueError(str(exc)) from None


def _site(text: str) -> str:
    from number_inventory import tenants

    try:
        return tenants.site_name(text, what="extra 'site'")
    except SettingError as exc:
        raise ValueError(str(exc)) from None


#: Where a device's numbers belong, which every device API takes: the tenant whose inventory they are
#: (``tenants``; empty: the global tenant) and the site of the device. Never sent to the device.
PLACEMENT_EXTRAS = (
    Extra(
        "tenant",
        "",
        "the tenant whose inventory the device's numbers are (empty: the global tenant); a lower-case "
        "name such as acme",
        label="Tenant",
        check=_tenant,
    ),
    Extra(
        "site",
        "",
        "the device's site, recorded with its kept read (empty: none), such as Berlin HQ",
        label="Site",
        check=_site,
    ),
)


@dataclass(frozen=True)
class DeviceApi:
    """A device API: its ``name`` (extra ``api``), a one-line ``summary`` for the connection form, its
    own ``extras``, ``read(transport, *, on_page, on_restart) -> ReadResult`` (a complete read, else
    :class:`DeviceReadError`) and ``probe(transport) -> ProbeResult`` (a first look, for the UI's Test)."""

    name: str
    summary: str
    extras: tuple[Extra, ...]
    read: Callable[..., ReadResult]
    probe: Callable[[Transport], ProbeResult]

    def all_extras(self) -> dict[str, Extra]:
        """Its extras, the transport's, the placement's and the dial plan's, by name."""
        extras = (*PLACEMENT_EXTRAS, *TRANSPORT_EXTRAS, *DIAL_PLAN_EXTRAS, *self.extras)
        return {extra.name: extra for extra in extras}


class Contract:
    """How one device serves its registered users: the value of each extra of its API (``api``) and
    of the transport, defaults filled in. ``Contract(page_size=100)`` is the ``json`` API's contract
    with one value set; an extra the API does not have is a ``TypeError``, as for any call."""

    __slots__ = ("_values", "api")

    def __init__(self, api: str = "json", **values: Any) -> None:
        from number_inventory.device_apis import registry  # the registry imports the adapters

        extras = registry.get(api).all_extras()
        unknown = sorted(set(values) - set(extras))
        if unknown:
            raise TypeError(f"device api {api!r} has no extra {', '.join(map(repr, unknown))}")
        checked = {name: extras[name].checked(value) for name, value in values.items()}
        object.__setattr__(self, "api", api)
        object.__setattr__(
            self, "_values", {name: checked.get(name, e.default) for name, e in extras.items()}
        )

    @classmethod
    def for_api(cls, api: str = "json", **values: Any) -> Contract:
        """The contract of ``api`` with its own defaults, overridden by ``values``."""
        return cls(api, **values)

    @classmethod
    def from_extras(cls, extras: Mapping[str, Any], connection_id: str) -> Contract:
        """The contract a connection's extras describe; :class:`SettingError` names what is wrong
        (:func:`registry.contract_from_extras`)."""
        from number_inventory.device_apis import registry

        return registry.contract_from_extras(extras, connection_id)

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(f"device api {self.api!r} has no extra {name!r}") from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("a Contract cannot be changed: use replace()")

    def replace(self, **changes: Any) -> Contract:
        """A copy with ``changes``."""
        return Contract(self.api, **{**self._values, **changes})

    def values(self) -> dict[str, Any]:
        """Every extra's value, by name."""
        return dict(self._values)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Contract) and (self.api, self._values) == (other.api, other._values)

    def __hash__(self) -> int:
        return hash((self.api, tuple(sorted(self._values.items()))))

    def __repr__(self) -> str:
        return f"Contract({self.api!r}, {self._values!r})"

    def __reduce__(self) -> tuple:
        return (_rebuild, (self.api, self._values))


def _rebuild(api: str, values: dict[str, Any]) -> Contract:
    return Contract(api, **values)
