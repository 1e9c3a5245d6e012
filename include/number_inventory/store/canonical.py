"""The action ``canonicalise_numbers`` on the database: what it plans from, and writing its plan
(see :mod:`number_inventory.canonical`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import psycopg

from number_inventory import history
from number_inventory.canonical import REASON, VALUES, CanonicalPlan
from number_inventory.dial_plan import DialPlan
from number_inventory.store.runs import RunInfo
from number_inventory.store.sql_files import sql


def numbers_to_canonicalise(
    conn: psycopg.Connection, plan: DialPlan, connection_id: str
) -> tuple[list[str], list[str]]:
    """``(inventory numbers the plan may spell otherwise, numbers the connection's kept read registers)``.
    Inside the caller's transaction; holds the connection's row until it ends, so that no read of it
    is kept meanwhile (keeping a read takes that row too, before its registrations)."""
    conn.execute(sql("reads/connection_dial_plan"), {"connection_id": connection_id})
    bare = conn.execute(
        sql("canonical/bare_numbers"),
        {"extension_digits": plan.extension_digits, "extensions_mapped": bool(plan.extension_did_prefix)},
    ).fetchall()
    registered = conn.execute(
        sql("canonical/connection_numbers"), {"connection_id": connection_id}
    ).fetchall()
    return [r[0] for r in bare], [r[0] for r in registered]


def canonical_rows(conn: psycopg.Connection, numbers: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The inventory rows of ``numbers`` by number, with every value a merge carries over."""
    cursor = conn.execute(sql("canonical/load_rows"), {"numbers": list(numbers)})
    return {row[0]: dict(zip(VALUES, row[1:], strict=True)) for row in cursor}


def write_canonical(
    conn: psycopg.Connection, plan: CanonicalPlan, run: RunInfo, connection_id: str, dial_plan: DialPlan
) -> int:
    """Inside the caller's transaction (holding the inventory lock): delete the old spellings, write
    the canonical rows, rename the connection's kept registrations, each change with its history;
    record the findings; and accept the dial plan for the connection's reads when nothing is left
    for an operator. Returns how many inventory rows were deleted or written."""
    history.mark_pipeline_writes(conn)
    params = {**run.params(), "reason": REASON, "connection_id": connection_id}
    for name in (
        "canonical/create_move_table",
        "canonical/create_target_table",
        "canonical/create_registration_table",
    ):
        conn.execute(sql(name))

    # The history's note: the operator's reason, then what became of the number.
    def noted(detail: str) -> str:
        return "; ".join(filter(None, (run.note, detail)))

    with conn.cursor().copy(sql("canonical/copy_moves")) as copy:
        for number, target, detail in plan.moves:
            copy.write_row((number, target, noted(detail)))
    with conn.cursor().copy(sql("canonical/copy_targets")) as copy:
        for target in plan.targets:
            copy.write_row([target["number"], *(target[k] for k in VALUES), noted(target["detail"])])
    with conn.cursor().copy(sql("canonical/copy_registrations")) as copy:
        for registration in plan.registrations:
            copy.write_row(registration)
    deleted = conn.execute(sql("canonical/delete_spellings"), params).rowcount
    if deleted != len(plan.moves):
        raise RuntimeError(
            f"{len(plan.moves) - deleted} number(s) changed while canonicalise_numbers ran; nothing was "
            "written: run it again"
        )
    written = conn.execute(sql("canonical/write_targets"), params).rowcount
    conn.execute(sql("canonical/rename_registrations"), params)
    conn.execute(sql("canonical/delete_old_registrations"), params)
    if plan.findings:
        with conn.cursor().copy(sql("daily/copy_audit_findings")) as copy:
            for found in plan.findings:
                copy.write_row(
                    (
                        run.dag_id,
                        run.run_id,
                        run.run_day,
                        found["number"],
                        found["check"],
                        False,
                        json.dumps(found["before"]),
                        json.dumps({"why": found["why"]}),
                    )
                )
    else:
        conn.execute(
            sql("canonical/accept_dial_plan"),
            {"connection_id": connection_id, "dial_plan": dial_plan.describe()},
        )
    return deleted + written
