"""The benchmark runs end to end at a tiny size and leaves its table and results (no timing checked)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import devtools

ROOT = Path(__file__).resolve().parents[2]
SIZE = 300
CASES = ["initial", "churn", "no_change", "release", "audit"]


def test_bench_small_writes_its_table_and_results(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "bench", "--sizes", str(SIZE), "--naive-sizes", str(SIZE)]
    command += ["--peer-sizes", str(SIZE), "--airflow-size", "0", "--repeat", "1", "--out", str(tmp_path)]
    env = {**os.environ, "PYTHONPATH": devtools.PYTHONPATH}
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    (path,) = tmp_path.glob(f"*-{SIZE}.json")
    results = json.loads(path.read_text())
    assert results["size"] == SIZE
    assert list(results["cases"]) == CASES
    for case in results["cases"].values():
        assert set(case["seconds"]) >= {"diff", "write"}
        assert case["total"] > 0 and case["rss"] > 0
    assert results["cases"]["initial"]["written"] == SIZE
    assert results["cases"]["no_change"]["written"] == 0
    assert list(results["naive"]) == ["initial", "churn", "no_change"]
    assert results["naive"]["no_change"]["written"] == 0
    assert results["naive_agrees"] is True
    # The idiomatic peer (bench/peer.py) makes the same changes and ends with the same inventory.
    assert list(results["peer"]) == ["initial", "churn", "no_change"]
    assert results["peer"]["initial"]["written"] == SIZE
    assert results["peer"]["no_change"]["written"] == 0
    assert results["peer_agrees"] is True
    assert list(results["floor"]) == CASES

    table = (tmp_path / "latest.md").read_text()
    assert all(line in result.stdout for line in table.splitlines())  # the table is printed too
    rows = [line for line in table.splitlines() if line.startswith(f"| {SIZE} |")]
    assert len(rows) == len(CASES)
    assert "| no change | " in table
    no_change = next(row for row in rows if "| no change |" in row)
    assert no_change.split("|")[8].strip() == "0"  # rows written
