"""Validation of what operators configure: Variables and trigger parameters (a device connection's
extras are declared and checked by its device API: ``device_apis.contract``).

Every check raises :class:`SettingError` with a message that names the setting and the values it
allows, before anything is written.
"""

from __future__ import annotations

import functools
import importlib.resources
import json
import math
import re
from dataclasses import dataclass
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
