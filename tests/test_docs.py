"""The documentation: the site builds strictly, and the README stays one page whose links lead somewhere.

``mkdocs build --strict`` fails on a link to a page or an anchor that does not exist and on a page left out
of ``nav`` (``mkdocs.yml``), so this test is the site's link check. The README is read on GitHub and in
the repository, not in the site: its relative links are checked here against the files they name.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
#: The README is a page a newcomer reads in one go (issue 24); the rest belongs in docs/.
README_MAX_BYTES = 12 * 1024

_LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
_FENCE = re.compile(r"^```sh\n(.*?)^```", re.S | re.M)


def _mkdocs() -> list[str]:
    """mkdocs from the interpreter's own environment, whatever PATH says."""
    if importlib.util.find_spec("mkdocs") is None:
        pytest.fail("mkdocs is not installed: it is in requirements-dev.txt, run make venv")
    return [sys.executable, "-m", "mkdocs"]


def test_the_site_builds_strictly(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            *_mkdocs(),
            "build",
            "--strict",
            "--config-file",
            str(ROOT / "mkdocs.yml"),
            "--site-dir",
            str(tmp_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        timeout=300,
    )
    assert result.returncode == 0, f"mkdocs build --strict failed (fix the link or the nav):\n{result.stderr}"
    assert "WARNING" not in result.stderr, result.stderr
    for page in ("", "operating/", "safety/", "devices/mediant-cli/", "spec/"):
        assert (tmp_path / page / "index.html").exists(), f"the site has no page {page or 'index'}"


def test_the_readme_is_one_page() -> None:
    size = len(README.read_bytes())
    assert size <= README_MAX_BYTES, (
        f"README.md is {size} bytes, over {README_MAX_BYTES}: move the detail into a page under docs/ and link it"
    )


def test_every_relative_link_of_the_readme_points_at_a_file() -> None:
    text = README.read_text()
    links = [target for target in _LINK.findall(text) if not re.match(r"[a-z][a-z0-9+.-]*:|#", target)]
    assert links, "the README links no page of the docs"
    missing = [target for target in links if not (ROOT / target.split("#", 1)[0]).exists()]
    assert not missing, f"README.md links files that do not exist: {missing}"


def test_every_sh_block_of_the_readme_stands_in_the_docs() -> None:
    """The README repeats the docs' commands, never holds its own: each of its ``sh`` blocks is in a page
    (so the blocks tried from a fresh clone are the docs' blocks, and an edit on one side shows)."""
    docs_text = "\n".join(page.read_text() for page in DOCS.rglob("*.md"))
    blocks = _FENCE.findall(README.read_text())
    assert blocks, "the README shows no command"
    absent = [block for block in blocks if block not in docs_text]
    assert not absent, f"sh blocks of README.md found in no page under docs/: {absent}"
