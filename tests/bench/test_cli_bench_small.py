"""The CLI read benchmark runs end to end at a tiny size and leaves its table and results (its
timings are not checked here; its bindings are: both reads must receive every one)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import devtools

ROOT = Path(__file__).resolve().parents[2]
SIZE = 2000


def test_cli_bench_small_writes_its_table_and_results(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "bench.cli_parse", "--sizes", str(SIZE), "--out", str(tmp_path)]
    env = {**os.environ, "PYTHONPATH": devtools.PYTHONPATH}
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    (path,) = tmp_path.glob("*-cli.json")
    case = json.loads(path.read_text())["sizes"][str(SIZE)]
    for api in ("json", "mediant-cli"):
        assert case[api]["bindings"] == case[api]["total"] == SIZE
        assert case[api]["seconds"] > 0 and case[api]["peak_rss_mb"] > 0
    assert case["mediant-cli"]["pages"] == 1 and case["json"]["pages"] == 2
    assert case["answer_bytes"] > SIZE * 50

    table = (tmp_path / path.name.replace(".json", ".md")).read_text()
    assert f"| {SIZE:,} |" in table and all(line in result.stdout for line in table.splitlines())
