"""The benchmark's scheduler path at a small size: a LocalExecutor stack (API server, scheduler, DAG
processor as processes), runs triggered through the REST API, their breakdown and the report's table
(no timing checked).

It takes minutes, not seconds (74–250 s on the shared 2-core machine under load; about 20 s of it is
the stack's start-up when quiet): what it checks only exists with a real scheduler, API server and DAG
processor as processes, so it starts them, as ``test_local_stack.py`` does. It needs no Redis.
"""

from __future__ import annotations

import pytest

from bench import scheduler
from bench.devices import Fleet

SIZE = 1_500


@pytest.fixture
def fleet():
    with Fleet(4) as devices:
        yield devices


def test_sync_through_a_local_executor_stack(fleet: Fleet) -> None:
    run = scheduler.scheduler_run(fleet, [("initial", list(range(SIZE))), ("no_change", None)], log=print)

    assert "error" not in run, run.get("error")
    assert list(run["cases"]) == ["initial", "no_change"]
    initial, unchanged = run["cases"]["initial"], run["cases"]["no_change"]
    assert (initial["state"], initial["written"]) == ("success", SIZE)
    assert (unchanged["state"], unchanged["written"]) == ("success", 0)
    for case in run["cases"].values():
        tasks = case["tasks"]
        assert [(t["task"], t["map_index"]) for t in tasks] == [
            ("prepare", -1),
            ("connections_to_read", -1),
            *[("read_connection", i) for i in range(4)],
            ("reconcile", -1),
            ("check_reads", -1),
        ]
        # every mark was found: the REST API's times and Airflow's lines in each task's log
        for task in tasks:
            assert task["state"] == "success"
            marks = ("queued", "start", "end", "process", "body", "body_end")
            assert all(task[m] for m in marks), task
            assert task["queued"] <= task["start"] <= task["body"] <= task["body_end"] <= task["end"], task
        # the four reads were queued together (parallelism 4), not one after the other
        reads = [t for t in tasks if t["task"] == "read_connection"]
        assert max(t["queued"] for t in reads) - min(t["queued"] for t in reads) < 0.5
        # the breakdown accounts for the whole wall time, trigger to success
        totals = case["breakdown"]["totals"]
        parts = sum(totals[p] for p in scheduler.PARTS) + totals["run_end"]
        assert parts == pytest.approx(case["wall"], abs=0.05)

    result = {
        "size": SIZE,
        "cases": {"initial": {"total": 1.0}, "no_change": {"total": 1.0}},
        "scheduler": run,
    }
    text = "\n".join(scheduler.markdown_lines([result]))
    assert "| initial | **" in text and "| no_change | **" in text
    assert [t[0] for t in scheduler.targets([result])] == [
        f"{SIZE:,} initial through the scheduler ≤ in-process + 15 s (1.00 + 15 s)",
        f"{SIZE:,} no_change through the scheduler ≤ in-process + 15 s (1.00 + 15 s)",
    ]
