"""The installed package: ``pyproject.toml`` lists its packages by name (``include/sql`` is mapped into
it), so a new subpackage must be listed there or it would be left out of the wheel."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_pyproject_lists_every_package_folder():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    include = ROOT / "include"
    on_disk = {
        ".".join(p.parent.relative_to(include).parts)
        for p in include.rglob("__init__.py")
        if "__pycache__" not in p.parts
    }
    assert set(config["packages"]) == on_disk | {"number_inventory.sql"}
    assert config["package-dir"] == {"": "include", "number_inventory.sql": "include/sql"}
    assert not (include / "__init__.py").exists(), "include/ is a folder on the path, not a package"
