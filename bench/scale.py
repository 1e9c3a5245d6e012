"""The ten-million targets (issue 15): ``make bench-10m`` runs 1M and 10M in one run, and the
report judges each 10M case against its own limit, against the floor measured in the same run, and
against its own 1M time (linear growth)."""

from __future__ import annotations

from typing import Any

TEN_MILLION, MILLION = 10_000_000, 1_000_000
#: Seconds each case may take at ten million users (``release``: 1M due numbers plus the audit).
LIMITS = {"initial": 150, "churn": 60, "no_change": 50, "release": 60}
FLOOR_RATIO = 3
LINEAR_RATIO = 11
PEAK_RSS_GB = 4


def targets(by_size: dict[int, dict[str, Any]]) -> list[tuple[str, str, bool]]:
    """``(target, measured, met)`` for every ten-million target the results can judge."""
    big = by_size.get(TEN_MILLION)
    if not big:
        return []
    cases, floors = big["cases"], big.get("floor", {})
    small = by_size.get(MILLION, {}).get("cases", {})
    out: list[tuple[str, str, bool]] = []
    for name, limit in LIMITS.items():
        case = cases.get(name)
        if case:
            label = f"10M {name} ≤ {limit} s"
            if name == "release":
                label = f"10M release of {case['summary']['released']:,} due numbers + audit ≤ {limit} s"
            out.append((label, f"{case['total']:.2f} s", case["total"] <= limit))
    for name, case in cases.items():
        floor = floors.get(name)
        if floor:
            ratio = case["total"] / floor["total"]
            out.append(
                (
                    f"10M {name}: ≤ {FLOOR_RATIO}× the floor ({floor['total']:.2f} s)",
                    f"{ratio:.1f}×",
                    ratio <= FLOOR_RATIO,
                )
            )
    for name, case in cases.items():
        if name in small:
            ratio = case["total"] / small[name]["total"]
            out.append(
                (
                    f"10M {name}: ≤ {LINEAR_RATIO}× its 1M time ({small[name]['total']:.2f} s)",
                    f"{ratio:.1f}×",
                    ratio <= LINEAR_RATIO,
                )
            )
    peak = max(case["rss"] for case in cases.values())
    worst = max(cases, key=lambda name: cases[name]["rss"])
    out.append(
        (
            f"10M peak RSS of any one task ≤ {PEAK_RSS_GB} GB (largest: {worst})",
            f"{peak / 2**30:.2f} GB",
            peak / 2**30 <= PEAK_RSS_GB,
        )
    )
    return out
