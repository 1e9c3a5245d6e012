"""The operator's Variables, read at run time (never at parse time) and validated by ``settings``.

Each reader raises ``SettingError`` naming the Variable and the values it allows. The UI plugin reads
the time zone and the configured connections here too, so both sides read a Variable one way.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import Variable

from number_inventory import settings


def connection_ids(*, limit: int = settings.MAX_CONNECTIONS) -> list[str]:
    """The configured AudioCodes connections (Variable ``audiocodes_connections``)."""
    return list(
        settings.connection_ids(Variable.get(settings.CONNECTIONS_VARIABLE, default=None), limit=limit)
    )


def timezone() -> str:
    """The time zone run days are counted in (Variable ``number_inventory_timezone``)."""
    return settings.timezone(Variable.get(settings.TIMEZONE_VARIABLE, default=None))


def read_settings() -> dict[str, Any]:
    """Read and validate the operator's Variables; a bad value raises ``SettingError`` (which fails
    the task at once, before any write: ``tasks.fails_at_once``)."""
    from airflow.sdk.configuration import conf

    # One read task is mapped per connection, and Airflow maps at most [core] max_map_length.
    most = conf.getint("core", "max_map_length", fallback=settings.MAX_CONNECTIONS)
    return {
        "connections": tuple(connection_ids(limit=most)),
        "cooling_days": settings.cooling_days(Variable.get(settings.COOLING_VARIABLE, default=None)),
        "timezone": timezone(),
        "guard": settings.mass_removal_guard(Variable.get(settings.GUARD_VARIABLE, default=None)),
        "absent_reads": settings.absent_reads(Variable.get(settings.ABSENT_READS_VARIABLE, default=None)),
        "max_read_age_hours": settings.max_read_age_hours(
            Variable.get(settings.READ_AGE_VARIABLE, default=None)
        ),
    }
