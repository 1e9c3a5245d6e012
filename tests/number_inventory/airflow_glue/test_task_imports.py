"""The tasks that only read a device or check the reads (``prepare``, ``read_connection``,
``check_reads``) start without pandas: importing the task bodies, the pipeline, the store and the
device client loads no pandas or numpy (a second or two of start-up per task on this machine)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT

CHECK = """
import json, sys
import number_inventory.airflow_glue.tasks, number_inventory.pipeline, number_inventory.store
import number_inventory.device_client, number_inventory.schema
print(json.dumps(sorted(m for m in ("pandas", "numpy") if m in sys.modules)))
"""


def test_the_task_modules_import_no_pandas() -> None:
    out = subprocess.run([sys.executable, "-c", CHECK], cwd=ROOT, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
