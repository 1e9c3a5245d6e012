"""What the tests that start a whole Airflow stack as processes share: its start, to the point where
a DAG can be triggered, within the test's time budget, and the components' logs when the test fails."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator

from deploy.run_local_stack import LocalStack


class Budget:
    """Every wait of a test together stays within ``seconds`` (the machine may be shared and small),
    ``kept`` of them for stopping the stack."""

    def __init__(self, seconds: float, kept: float = 0) -> None:
        self.ends = time.monotonic() + seconds - kept

    def left(self, at_most: float | None = None) -> float:
        """The seconds a wait may take now (5 at the least), and no more than ``at_most``."""
        left = max(5.0, self.ends - time.monotonic())
        return left if at_most is None else min(at_most, left)


@contextlib.contextmanager
def tails_on_failure(stack: LocalStack) -> Iterator[None]:
    """Print the end of every component's log when the block fails (pytest shows it with the failure)."""
    try:
        yield
    except BaseException:
        print(stack.log_tails(60))
        raise


def start_for(
    stack: LocalStack,
    dag_id: str,
    budget: Budget,
    seed: Callable[[str], None],
    *,
    start_seconds: float,
    parse_seconds: float,
) -> None:
    """Start ``stack``, seed its inventory database (``seed(dsn)``), wait until the DAG processor has
    parsed ``dag_id`` without errors, and unpause it: runs of it may be triggered then."""
    stack.start(timeout=budget.left(start_seconds))
    seed(stack.inventory_dsn)
    stack.wait_for_dag(dag_id, timeout=budget.left(parse_seconds))
    stack.unpause(dag_id)
