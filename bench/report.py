"""The benchmark's table, its targets, and the files that let runs be compared."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench import scale, scheduler

PHASES = ("read_http", "stage", "diff", "write")
CASE_TITLES = {
    "initial": "initial load (empty inventory)",
    "churn": "steady state, 1% churn",
    "no_change": "no change",
    "release": "daily: release due numbers + audit",
    "audit": "daily: audit only",
}


def _s(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def _mb(value: int | None) -> str:
    return "–" if value is None else f"{value / 2**20:,.0f}"


def _ratio(slow: float | None, fast: float | None) -> str:
    return "" if not slow or not fast else f" ({slow / fast:.1f}×)"


def table(results: list[dict[str, Any]]) -> str:
    """One markdown row per size and case: seconds per phase, total, rows written, peak RSS, and
    beside it the naive baseline (how many times slower) and the floor (how many times faster)."""
    lines = [
        "| users | case | read HTTP s | stage s | diff s | write s | total s | rows written | peak RSS MB "
        "| naive s (×slower) | peer s (×slower) | floor s (×ours) |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        for name, case in result["cases"].items():
            seconds = case["seconds"]
            naive = result.get("naive", {}).get(name)
            floor = result.get("floor", {}).get(name)
            naive_cell = _s(naive["total"]) + _ratio(naive["total"], case["total"]) if naive else "–"
            peer = result.get("peer", {}).get(name)
            peer_cell = _s(peer["total"]) + _ratio(peer["total"], case["total"]) if peer else "–"
            floor_cell = _s(floor["total"]) + _ratio(case["total"], floor["total"]) if floor else "–"
            lines.append(
                f"| {result['size']:,} | {CASE_TITLES[name]} | "
                + " | ".join(_s(seconds.get(p)) for p in PHASES)
                + f" | **{_s(case['total'])}** | {case['written']:,} | {_mb(case['rss'])} | "
                f"{naive_cell} | {peer_cell} | {floor_cell} |"
            )
    return "\n".join(lines)


def airflow_lines(results: list[dict[str, Any]]) -> list[str]:
    """What ``airflow dags test`` took beside the in-process figures."""
    lines = []
    for result in results:
        run = result.get("airflow")
        if not run:
            continue
        inprocess = result["cases"]["initial"]["total"]
        if run.get("error"):
            lines.append(f"- `airflow dags test` at {result['size']:,}: failed: {run['error']}")
            continue
        tasks = ", ".join(f"{k} {v:.1f} s" for k, v in run["tasks"].items())
        lines.append(
            f"- Through Airflow, `airflow dags test audiocodes_number_sync` (initial load) at "
            f"{result['size']:,} users: **{run['wall']:.1f} s** wall (state {run['state']}, "
            f"{run['written']:,} rows written) against {inprocess:.2f} s in process; the tasks themselves "
            f"ran {run['task_seconds']:.1f} s ({tasks}). `dags test` runs the four mapped reads one "
            "after the other; the rest is Airflow start-up, parsing and scheduling."
        )
    return lines


def targets(results: list[dict[str, Any]]) -> list[tuple[str, str, bool | None]]:
    """The issue's targets that the run can judge: ``(target, measured, met)``."""
    by_size = {r["size"]: r for r in results}
    out: list[tuple[str, str, bool | None]] = []

    def case(size: int, name: str) -> dict[str, Any] | None:
        return by_size.get(size, {}).get("cases", {}).get(name)

    def check(label: str, value: float | None, limit: float, fmt: str = "{:.2f} s") -> None:
        if value is not None:
            out.append((label, fmt.format(value), value <= limit))

    million = case(1_000_000, "initial")
    check("1M initial load ≤ 30 s", million and million["total"], 30)
    churn = case(1_000_000, "churn")
    check("1M steady state with 1% churn ≤ 15 s", churn and churn["total"], 15)
    for size, result in by_size.items():
        unchanged = result["cases"].get("no_change")
        if unchanged is not None:
            out.append(
                (
                    f"{size:,}: no-change sync writes 0 rows",
                    f"{unchanged['written']} rows",
                    unchanged["written"] == 0,
                )
            )
    if 1_000_000 in by_size:
        peak = max(c["rss"] for c in by_size[1_000_000]["cases"].values())
        check("peak RSS of the sync at 1M ≤ 1.5 GB", peak / 2**30, 1.5, "{:.2f} GB")
    for name in ("initial", "churn", "no_change"):
        big, small = case(1_000_000, name), case(100_000, name)
        if big and small:
            check(f"linear: 1M {name} ≤ 12× 100k", big["total"] / small["total"], 12, "{:.1f}×")
    release, audit = case(1_000_000, "release"), case(1_000_000, "audit")
    if release and audit:
        # The daily run releases and audits in one transaction; the release's share is what the
        # run with due numbers takes beyond the audit-only run of the next day.
        due = release["summary"]["released"]
        share = release["total"] - audit["total"]
        check(
            f"release of {due:,} due numbers ≤ 5 s (daily run {release['total']:.2f} s − audit alone)",
            share,
            5,
        )
    check("audit of 1M ≤ 10 s (daily run, nothing due)", audit and audit["total"], 10)
    for name in ("initial", "churn", "no_change"):
        naive = by_size.get(100_000, {}).get("naive", {}).get(name)
        ours = case(100_000, name)
        if naive and ours:
            speedup = naive["total"] / ours["total"]
            out.append((f"100k {name}: ≥ 20× faster than naive", f"{speedup:.1f}×", speedup >= 20))
    for size, result in by_size.items():
        if result.get("peer_agrees") is not None:
            out.append(
                (
                    f"{size:,}: the idiomatic peer ends with the same inventory",
                    "same" if result["peer_agrees"] else "different",
                    bool(result["peer_agrees"]),
                )
            )
    for name in ("initial", "churn", "no_change"):
        peer, ours = by_size.get(1_000_000, {}).get("peer", {}).get(name), case(1_000_000, name)
        if peer and ours:
            speedup = peer["total"] / ours["total"]
            out.append((f"1M {name}: ≥ 5× faster than the idiomatic peer", f"{speedup:.1f}×", speedup >= 5))
    for name in ("initial", "churn", "no_change"):
        floor, ours = by_size.get(1_000_000, {}).get("floor", {}).get(name), case(1_000_000, name)
        if floor and ours:
            ratio = ours["total"] / floor["total"]
            out.append((f"1M {name}: ≤ 3× the floor", f"{ratio:.1f}×", ratio <= 3))
    out += scheduler.targets(results)
    out += scale.targets(by_size)
    return out


NOTES = """\
Seconds are the best of the runs of each case (`repeat` in the JSON). Per case: *read HTTP* and
*stage* are the slowest of the parallel connection reads (HTTP and JSON, then staging and keeping the
read in PostgreSQL); *diff* loads the inventory and the registrations and plans with pandas; *write*
applies the plan and its history and commits; *total* is wall time from the reads' start to the
reconcile's commit. Peak RSS is the largest of the case's processes (each read and the reconcile run in
processes of their own, as tasks do). *naive*: the same sync with a statement per number, each
committed, through the Postgres hook's connection. *peer*: the same sync as a data engineer would
write it (`bench/peer.py`): pages through `HttpHook.run`, a DataFrame, the inventory through
`PostgresHook.get_df`, a pandas merge, and the changes and their history through the hook's batched
`insert_rows(..., replace=True, executemany=True)`. *floor*: the same pages fetched and parsed by as
many processes, their bindings `COPY`d into an unlogged table (written without WAL, as the pipeline's stage is), the
inventory `COPY`d out and as many rows as the case wrote `COPY`d into a plain logged table without
indexes or checks. The JSON also holds each case's seconds per function (`detail`), for profiling."""


def markdown(results: list[dict[str, Any]], environment: dict[str, Any]) -> str:
    """The whole report: environment, table, Airflow line, targets."""
    env = ", ".join(f"{k}: {v}" for k, v in environment.items())
    parts = [f"Run {environment.get('date', '')}. {env}.", "", table(results), "", NOTES, ""]
    parts += airflow_lines(results)
    parts += scheduler.markdown_lines(results)
    checks = targets(results)
    if checks:
        parts += ["", "| target | measured | met |", "|---|---:|:---:|"]
        parts += [f"| {t} | {v} | {'yes' if ok else 'NO'} |" for t, v, ok in checks]
    return "\n".join(parts) + "\n"


def write(results: list[dict[str, Any]], environment: dict[str, Any], out: Path) -> list[Path]:
    """``<out>/<date>-<size>.json`` per size and ``<out>/latest.md``; returns the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for result in results:
        path = out / f"{environment['date']}-{result['size']}.json"
        path.write_text(json.dumps({"environment": environment, **result}, indent=2, default=str) + "\n")
        paths.append(path)
    latest = out / "latest.md"
    latest.write_text(markdown(results, environment))
    return [*paths, latest]
