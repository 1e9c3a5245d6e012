"""Validation of what operators configure: Variables, trigger parameters and connection extras.

Every check raises :class:`SettingError` with a message that names the setting and the values it
allows, before anything is written.
"""

from __future__ import annotations

import difflib
import functools
import importlib.resources
import json
import math
import re
from dataclasses import dataclass, fields
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

#: Names operators set; they are part of the interface.
CONNECTIONS_VARIABLE = "audiocodes_connections"
COOLING_VARIABLE = "audiocodes_cooling_duration"
TIMEZONE_VARIABLE = "number_inventory_timezone"
GUARD_VARIABLE = "audiocodes_mass_removal_guard"
ABSENT_READS_VARIABLE = "audiocodes_absent_reads"
READ_AGE_VARIABLE = "audiocodes_max_read_age_hours"
INVENTORY_CONN_ID = "number_inventory_db"

DEFAULT_CONNECTIONS = ("audiocodes_default",)
DEFAULT_COOLING_DAYS = 2
MAX_COOLING_DAYS = 999
DEFAULT_TIMEZONE = "UTC"
DEFAULT_ABSENT_READS = 1
MAX_ABSENT_READS = 5
DEFAULT_READ_AGE_HOURS = 24
#: A year: a device unread for longer than that is no longer "stale" but forgotten.
MAX_READ_AGE_HOURS = 8760
#: At most this many connection ids: the sync maps one read task per connection, and Airflow refuses
#: to map more than ``[core] max_map_length`` tasks (default 1024), failing the run only after
#: ``prepare`` succeeded. ``airflow_glue.tasks`` passes the configured value.
MAX_CONNECTIONS = 1024

_CONN_ID = re.compile(r"^[A-Za-z0-9_.\-]{1,250}$")


class SettingError(ValueError):
    """A setting has a value the pipeline cannot work with."""


def cooling_days(value: Any) -> int:
    """Validate ``audiocodes_cooling_duration``: whole days from 0 to 999 (``None`` means the default)."""
    if value is None:
        return DEFAULT_COOLING_DAYS
    text = str(value).strip()
    if isinstance(value, bool) or not re.fullmatch(r"[0-9]{1,3}", text):
        raise SettingError(
            f"Variable {COOLING_VARIABLE!r} must be a whole number of days from 0 to {MAX_COOLING_DAYS}, "
            f"got {value!r}"
        )
    return int(text)


def absent_reads(value: Any) -> int:
    """Validate ``audiocodes_absent_reads``: how many consecutive complete reads of a connection
    must lack a number before it stops registering it there, a whole number from 1 to 5 (``None``
    or empty means the default, 1)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return DEFAULT_ABSENT_READS
    text = str(value).strip()
    if isinstance(value, bool) or not re.fullmatch(r"[0-9]", text) or not 1 <= int(text) <= MAX_ABSENT_READS:
        raise SettingError(
            f"Variable {ABSENT_READS_VARIABLE!r} must be a whole number of reads from {DEFAULT_ABSENT_READS} "
            f"to {MAX_ABSENT_READS}, got {value!r}"
        )
    return int(text)


def max_read_age_hours(value: Any) -> int:
    """Validate ``audiocodes_max_read_age_hours``: how old, in hours, a configured connection's last
    complete read may be before the daily audit reports it stale and fails, a whole number from 1 to
    8760 (``None`` or empty means the default, 24)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return DEFAULT_READ_AGE_HOURS
    text = str(value).strip()
    if (
        isinstance(value, bool)
        or not re.fullmatch(r"[0-9]{1,4}", text)
        or not 1 <= int(text) <= MAX_READ_AGE_HOURS
    ):
        raise SettingError(
            f"Variable {READ_AGE_VARIABLE!r} must be a whole number of hours from 1 to {MAX_READ_AGE_HOURS}, "
            f"got {value!r}"
        )
    return int(text)


def connection_ids(value: Any, *, limit: int = MAX_CONNECTIONS) -> tuple[str, ...]:
    """Validate ``audiocodes_connections``: a JSON list of at most ``limit`` distinct Airflow
    connection ids."""
    if value is None:
        return DEFAULT_CONNECTIONS
    parsed = value
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError as exc:
            raise SettingError(
                f"Variable {CONNECTIONS_VARIABLE!r} must be a JSON list of connection ids, "
                f'e.g. ["audiocodes_default"]; it is not JSON ({exc.msg})'
            ) from None
    if not isinstance(parsed, list) or not all(isinstance(c, str) and _CONN_ID.fullmatch(c) for c in parsed):
        raise SettingError(
            f"Variable {CONNECTIONS_VARIABLE!r} must be a JSON list of connection ids "
            f"(letters, digits, '_', '-', '.'), got {value!r}"
        )
    if not parsed:
        # An empty list would read no device and cool every AudioCodes number.
        raise SettingError(
            f"Variable {CONNECTIONS_VARIABLE!r} must list at least one connection id; to decommission "
            "a device, run the audiocodes_connection_purge DAG"
        )
    if len(set(parsed)) != len(parsed):
        raise SettingError(f"Variable {CONNECTIONS_VARIABLE!r} lists a connection id twice: {parsed!r}")
    if len(parsed) > limit:
        raise SettingError(
            f"Variable {CONNECTIONS_VARIABLE!r} lists {len(parsed)} connection ids; a sync reads at most "
            f"{limit} (one mapped task each, Airflow's [core] max_map_length): raise max_map_length, "
            "or merge devices behind fewer connections"
        )
    return tuple(parsed)


@functools.cache
def _iana_zones() -> frozenset[str]:
    """The zone and link names of the IANA database, as the ``tzdata`` package lists them: the names
    browsers know too. Python's ``zoneinfo`` also opens other files of the system's zone directory
    (``localtime``, ``posixrules``, ``posix/...``, ``right/...``), and ``Factory`` is no place."""
    listed = importlib.resources.files("tzdata").joinpath("zones").read_text(encoding="utf-8")
    return frozenset(listed.split()) - {"Factory"}


def timezone(value: Any) -> str:
    """Validate ``number_inventory_timezone``: an IANA zone name in which run days are counted."""
    name = DEFAULT_TIMEZONE if value in (None, "") else str(value)
    try:
        if name not in _iana_zones():
            raise ValueError(name)
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingError(
            f"Variable {TIMEZONE_VARIABLE!r} must be an IANA time zone such as 'UTC' or "
            f"'Europe/Berlin' (a name of the IANA database, which browsers know too; not 'localtime', "
            f"'posixrules', 'Factory', 'posix/...' or 'right/...'), got {value!r}"
        ) from None
    return name


@dataclass(frozen=True)
class MassRemovalGuard:
    """When one read would drop more than ``max_share`` of a connection's numbers, and at least
    ``min_numbers`` of them, the read is suspicious (a rebooted SBC, a half-empty answer)."""

    max_share: float = 0.5
    min_numbers: int = 100

    def trips(self, previous: int, removed: int) -> bool:
        """Whether removing ``removed`` of ``previous`` numbers is suspicious."""
        return removed >= self.min_numbers and removed > self.max_share * previous


def mass_removal_guard(value: Any) -> MassRemovalGuard:
    """Validate ``audiocodes_mass_removal_guard``: JSON ``{"max_share": 0..1, "min_numbers": >=0}``."""
    if value in (None, ""):
        return MassRemovalGuard()
    try:
        parsed = json.loads(value) if isinstance(value, str) else value
        guard = MassRemovalGuard(**parsed)
        share, count = guard.max_share, guard.min_numbers
        share_ok = _is_number(share) and 0 <= share <= 1
        count_ok = _is_number(count) and isinstance(count, int) and count >= 0
        if not (share_ok and count_ok):
            raise TypeError
    except (TypeError, ValueError):
        raise SettingError(
            f"Variable {GUARD_VARIABLE!r} must be JSON like "
            f'{{"max_share": 0.5, "min_numbers": 100}} (max_share from 0 to 1, min_numbers >= 0), '
            f"got {value!r}"
        ) from None
    return guard


def _is_number(value: Any) -> bool:
    """A finite int or float that is not a bool (JSON ``true`` is no share or count)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def flag(name: str, value: Any) -> bool:
    """Validate a yes/no trigger parameter."""
    if isinstance(value, bool):
        return value
    if value in (None, ""):
        return False
    text = str(value).strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no"):
        return False
    raise SettingError(f"Parameter {name!r} must be true or false, got {value!r}")


#: The device APIs a connection can speak (its extra ``api``); ``json`` is the SPEC's contract.
DEVICE_APIS = ("json", "mediant-cli", "cursor")
#: What each API changes of the defaults below (every value can still be set as an extra).
API_DEFAULTS: dict[str, dict[str, Any]] = {
    "json": {},
    "mediant-cli": {"path": "/api/v1/files/cliScript/incremental"},
    "cursor": {"items_field": "items"},
}


@dataclass(frozen=True)
class Contract:
    """How one device serves its registered users. Defaults are the SPEC's contract (``api`` json);
    every field can be overridden by a key of the same name in the Airflow connection's extras, and
    :data:`API_DEFAULTS` changes a few defaults for the other APIs.

    ``deadline_seconds`` bounds the wall-clock time of one request (a device that trickles its answer
    a byte at a time defeats the per-read ``timeout_seconds``); ``max_page_bytes`` bounds one JSON
    page and ``max_output_bytes`` the one answer of the CLI script (256 MB: about 2.5 million
    bindings of a typical listing).
    """

    path: str = "/api/v1/registeredUsers"
    page_size: int = 1000
    items_field: str = "registeredUsers"
    total_field: str = "total"
    aor_field: str = "addressOfRecord"
    contact_field: str = "contact"
    offset_param: str = "offset"
    limit_param: str = "limit"
    timeout_seconds: float = 30.0
    retries: int = 4
    backoff_seconds: float = 0.5
    max_restarts: int = 3
    max_pages: int = 100_000
    max_page_bytes: int = 64 * 1024 * 1024
    api: str = "json"
    cli_command: str = "show voip register db sbc list"
    cursor_field: str = "cursor"
    after_param: str = "after"
    deadline_seconds: float = 300.0
    max_output_bytes: int = 256 * 1024 * 1024

    @classmethod
    def extra_keys(cls) -> tuple[str, ...]:
        """The extras keys this contract understands."""
        return tuple(f.name for f in fields(cls))

    @classmethod
    def for_api(cls, api: str = "json", **values: Any) -> Contract:
        """The contract of ``api`` with its own defaults, overridden by ``values``."""
        if api not in API_DEFAULTS:
            raise ValueError(f"api must be one of {', '.join(DEVICE_APIS)}, got {api!r}")
        return cls(**{**API_DEFAULTS[api], **values, "api": api})

    @classmethod
    def from_extras(cls, extras: dict[str, Any], connection_id: str) -> Contract:
        """Build the contract from a connection's extras, checking each value's type and range."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name not in extras:
                continue
            raw, default = extras[f.name], f.default
            try:
                if isinstance(default, str):
                    if not isinstance(raw, str) or not raw:
                        raise ValueError
                    value: Any = raw
                else:
                    number = float(raw)  # extras may hold numbers as text
                    if isinstance(raw, bool) or not math.isfinite(number) or number < 0:
                        raise ValueError
                    if isinstance(default, int) and number != int(number):
                        raise ValueError
                    value = int(number) if isinstance(default, int) else number
            except (TypeError, ValueError, OverflowError):
                raise SettingError(
                    f"Connection {connection_id!r}: extra {f.name!r} must be "
                    f"{'a non-empty text' if isinstance(default, str) else 'a number >= 0'}, got {raw!r}"
                ) from None
            values[f.name] = value
        api = values.pop("api", "json")
        if api not in DEVICE_APIS:
            raise SettingError(
                f"Connection {connection_id!r}: extra 'api' must be one of {', '.join(DEVICE_APIS)}, "
                f"got {api!r}"
            )
        contract = cls.for_api(api, **values)
        if contract.page_size < 1 or contract.max_pages < 1:
            raise SettingError(f"Connection {connection_id!r}: page_size and max_pages must be at least 1")
        if not contract.path.startswith("/"):
            raise SettingError(f"Connection {connection_id!r}: extra 'path' must start with '/'")
        if contract.deadline_seconds <= 0 or contract.max_output_bytes < 1:
            raise SettingError(
                f"Connection {connection_id!r}: deadline_seconds and max_output_bytes must be above 0"
            )
        return contract


#: Extras the http provider's ``HttpHook`` takes for itself (requests' settings); every other extra
#: of an Airflow http/audiocodes connection it sends as an HTTP header.
HTTP_HOOK_EXTRAS = (
    "verify", "verify_ssl", "cert", "proxies", "proxy", "stream", "timeout", "allow_redirects",
    "max_redirects", "trust_env", "check_response", "srv_lookup",
)  # fmt: skip
_HEADER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*$")


def header_extras(
    extras: dict[str, Any], connection_id: str, also_known: tuple[str, ...] = ()
) -> dict[str, str]:
    """The extras of a device connection that are HTTP headers; any other unknown extra is refused.

    Known: the :class:`Contract`'s fields, :data:`HTTP_HOOK_EXTRAS` and ``also_known``. An unknown
    extra is a header (as ``HttpHook`` sends it) only when its value is text, its name is written like
    a header (letters, digits and ``-``: ``X-Api-Key``) and it is not a near miss of a known extra;
    else a :class:`SettingError` names it, the close match and the known extras."""
    known = sorted({*Contract.extra_keys(), *HTTP_HOOK_EXTRAS, *also_known})
    headers = {}
    for name, value in extras.items():
        if name in known:
            continue
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.75)
        if isinstance(value, str) and _HEADER_NAME.fullmatch(name) and not close:
            headers[name] = value
            continue
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise SettingError(
            f"Connection {connection_id!r}: unknown extra {name!r}{hint}. The extras a device connection "
            f"understands: {', '.join(known)}. Any other extra is sent as an HTTP header, so it must be "
            "text and named like one (letters, digits and '-', e.g. X-Api-Key)"
        )
    return headers
