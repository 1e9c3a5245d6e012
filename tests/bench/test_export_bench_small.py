"""The export benchmark (``python -m bench.export``) runs end to end at a tiny size and prints its
figures (no timing checked)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import devtools

ROOT = Path(__file__).resolve().parents[2]


def test_the_export_benchmark_prints_rows_per_second_and_memory() -> None:
    command = [sys.executable, "-m", "bench.export", "--rows", "2000", "--trace"]
    env = {**os.environ, "PYTHONPATH": devtools.PYTHONPATH}
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    lines = result.stdout.strip().splitlines()
    assert "2,000 rows:" in lines[0] and "rows/s" in lines[0] and "peak RSS" in lines[0]
    (figures,) = json.loads(lines[-1])
    assert figures["size"] == figures["rows"] == 2000
    assert figures["rows_per_second"] > 0 and figures["rss"] > 0 and figures["traced_peak"] > 0
