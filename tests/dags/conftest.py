"""What the DAG tests share beyond ``tests/conftest.py``."""

from __future__ import annotations

import pytest

from tests.dags.helpers import D, by_status

#: The day of the first sync of :func:`synced`, unless the module sets ``DAY1``.
DAY1 = D(2026, 11, 2)


@pytest.fixture
def synced(db, devices, run_dag, request):
    """Both bundled devices read once by the sync DAG on the module's ``DAY1``: device A registers the
    module's ``A_NUMBERS``, device B its ``B_NUMBERS``, and every one of them is Used."""
    a, b = devices["audiocodes_a"], devices["audiocodes_b"]
    a_numbers, b_numbers = request.module.A_NUMBERS, request.module.B_NUMBERS
    a.register_numbers(a_numbers)
    b.register_numbers(b_numbers)
    assert run_dag("audiocodes_number_sync", getattr(request.module, "DAY1", DAY1))[0] == "success"
    assert by_status(db) == {"Used": len(a_numbers) + len(b_numbers)}
    return a, b
