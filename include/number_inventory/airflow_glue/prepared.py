"""What ``prepare`` fixes for the later tasks of a run, and how it travels between them through XCom."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from number_inventory.settings import DEFAULT_READ_AGE_HOURS, DEFAULT_TIMEZONE, MassRemovalGuard


@dataclasses.dataclass(frozen=True)
class Prepared:
    """The run day and the validated settings of one run, fixed once by ``prepare``.

    ``skip`` says why this run reads nothing and changes nothing (a sync that is not for now, or a
    backfill), ``None`` when it acts. Only JSON-able values go to XCom: :meth:`to_xcom` and
    :meth:`from_xcom` are the one place that turns this value into them and back.
    """

    run_day: dt.date
    connections: tuple[str, ...]
    cooling_days: int
    guard: MassRemovalGuard
    absent_reads: int
    skip: str | None = None
    #: Variable ``number_inventory_timezone``: the zone of the project's clock (``clock.now``).
    timezone: str = DEFAULT_TIMEZONE
    #: Variable ``audiocodes_max_read_age_hours``: when the daily audit finds a kept read stale.
    max_read_age_hours: int = DEFAULT_READ_AGE_HOURS
    #: The daily run only: why it only writes its day's report (a day in the past, by the project's
    #: clock: ``clock.daily_report_only``), ``None`` when it acts.
    report_only: str | None = None
    #: The tenant of each configured connection that belongs to a named one (its extra ``tenant``);
    #: the others are the global tenant's (``tenants.groups``).
    tenant_of: dict[str, str] = dataclasses.field(default_factory=dict)

    def tenant(self, connection_id: str) -> str:
        """The tenant whose inventory ``connection_id``'s numbers are."""
        return self.tenant_of.get(connection_id, "")

    def to_xcom(self) -> dict[str, Any]:
        return {
            "run_day": self.run_day.isoformat(),
            "connections": list(self.connections),
            "cooling_days": self.cooling_days,
            "guard": dataclasses.asdict(self.guard),
            "absent_reads": self.absent_reads,
            "skip": self.skip,
            "timezone": self.timezone,
            "max_read_age_hours": self.max_read_age_hours,
            "report_only": self.report_only,
            "tenant_of": dict(self.tenant_of),
        }

    @classmethod
    def from_xcom(cls, value: dict[str, Any]) -> Prepared:
        return cls(
            run_day=dt.date.fromisoformat(value["run_day"]),
            connections=tuple(value["connections"]),
            cooling_days=value["cooling_days"],
            guard=MassRemovalGuard(**value["guard"]),
            absent_reads=value["absent_reads"],
            skip=value["skip"],
            timezone=value.get("timezone", DEFAULT_TIMEZONE),
            max_read_age_hours=value.get("max_read_age_hours", DEFAULT_READ_AGE_HOURS),
            report_only=value.get("report_only"),
            tenant_of=dict(value.get("tenant_of") or {}),
        )
