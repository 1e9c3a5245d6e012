"""The domain, device and database code imports nothing from Airflow: it is tested and benchmarked on its
own, and Airflow is wired in by ``number_inventory.airflow_glue`` and ``number_inventory.provider`` only."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import devtools
import number_inventory

PACKAGE = Path(number_inventory.__file__).parent
#: The subpackages that are Airflow's side of the project.
AIRFLOW_SIDE = {"airflow_glue", "provider"}


def domain_modules() -> list[Path]:
    return sorted(
        p
        for p in PACKAGE.rglob("*.py")
        if p.relative_to(PACKAGE).parts[0] not in AIRFLOW_SIDE and "__pycache__" not in p.parts
    )


def test_no_domain_module_names_airflow_in_an_import():
    """Also the imports inside functions, which importing the module does not run."""
    found = []
    for path in domain_modules():
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            found += [f"{path.relative_to(PACKAGE)}: {n}" for n in names if n.split(".")[0] == "airflow"]
    assert found == []


CHECK = """
import importlib, pkgutil, sys

class NoAirflow:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "airflow":
            raise ImportError(f"{name} was imported")

sys.meta_path.insert(0, NoAirflow())
import number_inventory
for module in pkgutil.walk_packages(number_inventory.__path__, "number_inventory."):
    if module.name.split(".")[1] not in {%s}:
        importlib.import_module(module.name)
print("ok")
"""


def test_the_domain_imports_without_airflow_installed():
    """Importing every domain module, with an import of ``airflow`` refused, succeeds: no module of a
    package it uses pulls Airflow in either."""
    check = CHECK % ", ".join(repr(name) for name in sorted(AIRFLOW_SIDE))
    result = subprocess.run(
        [sys.executable, "-c", check],
        env={"PYTHONPATH": devtools.PYTHONPATH, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr[-2000:]
