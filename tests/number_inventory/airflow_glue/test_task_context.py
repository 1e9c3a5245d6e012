"""Task bodies take what they need of the run as TaskFlow arguments: no module of the Airflow glue and
no DAG file reaches into the running task's context through ``get_current_context()``."""

from __future__ import annotations

import ast

import pytest

from tests.conftest import ROOT

SOURCES = sorted(
    [*(ROOT / "include/number_inventory/airflow_glue").glob("*.py"), *(ROOT / "dags").glob("*.py")]
)


def names_in(source: str) -> set[str]:
    """Every name a module uses, imports or looks up as an attribute."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Name):
            found.add(node.id)
        elif isinstance(node, ast.Attribute):
            found.add(node.attr)
        elif isinstance(node, ast.ImportFrom | ast.Import):
            found.update(alias.name.rsplit(".", 1)[-1] for alias in node.names)
    return found


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_no_task_reaches_into_the_context(path):
    assert "get_current_context" not in names_in(path.read_text())


def test_the_check_sees_a_lookup_of_the_context():
    assert "get_current_context" in names_in("from airflow.sdk import get_current_context")
    assert "get_current_context" in names_in("import airflow.sdk\nairflow.sdk.get_current_context()")


@pytest.mark.parametrize("path", [p for p in SOURCES if p.name != "tasks.py"], ids=lambda p: p.name)
def test_only_the_task_decorator_turns_errors_into_airflow_failures(path):
    """A deliberate failure is a domain error that ``tasks.fails_at_once`` converts, in one place (no
    retry, the message scrubbed), not an ``AirflowFailException`` raised here and there."""
    assert "AirflowFailException" not in names_in(path.read_text())
