"""Where SQL lives: every statement the project runs is a file under ``include/sql/``, one statement per
file (migrations aside), and every such file is used by the code."""

from __future__ import annotations

import re

from number_inventory.store.sql_files import SQL_DIR

ROOT = SQL_DIR.parents[1]
QUERIES = sorted(p for p in SQL_DIR.rglob("*.sql") if "migrations" not in p.parts)


def code(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.strip().startswith("--"))


def test_each_file_holds_one_statement() -> None:
    several = [p.name for p in QUERIES if len([s for s in code(p.read_text()).split(";") if s.strip()]) != 1]
    assert several == []


def test_each_file_is_used() -> None:
    python = "\n".join(p.read_text() for p in (ROOT / "include").rglob("*.py"))
    names = [p.relative_to(SQL_DIR).with_suffix("").as_posix() for p in QUERIES]
    unused = [n for n in names if not re.search(rf'"{re.escape(n)}"', python)]
    assert unused == []


def test_each_statement_the_code_names_is_a_file() -> None:
    """Every ``sql("...")`` and ``stage_statement("...")`` names a file (moving a file into another step's
    folder must move its callers' names too)."""
    python = "\n".join(p.read_text() for p in (ROOT / "include").rglob("*.py"))
    named = set(re.findall(r"""\b(?:sql|stage_statement)\(\s*"([\w/]+)\"""", python))
    named |= set(re.findall(r"""^\s+"((?:reads|sync)/\w+)",?$""", python, re.M))
    missing = sorted(n for n in named if not (SQL_DIR / f"{n}.sql").is_file())
    assert named and missing == []


def test_no_statement_lies_loose_outside_its_steps_folder() -> None:
    assert sorted(p.name for p in SQL_DIR.glob("*.sql")) == []
