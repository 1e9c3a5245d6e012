"""What ``prepare`` fixes for the later tasks of a run, and how it travels between them through XCom."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from include.number_inventory.settings import MassRemovalGuard


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

    def to_xcom(self) -> dict[str, Any]:
        return {
            "run_day": self.run_day.isoformat(),
            "connections": list(self.connections),
            "cooling_days": self.cooling_days,
            "guard": dataclasses.asdict(self.guard),
            "absent_reads": self.absent_reads,
            "skip": self.skip,
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
        )
