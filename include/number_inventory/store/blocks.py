"""Block actions (``number_inventory.number_blocks``) in the database: a block of up to a million
numbers is copied into a temporary table, checked against the inventory with a few set-based
queries, and added or removed by one statement that writes the history rows too, all in one
transaction under the inventory lock and within the request's tenant."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql as pgsql

from number_inventory import history, tenants
from number_inventory.number_blocks import NAMED, BlockError, BlockRequest, named
from number_inventory.store.bulk_load import deferred_indexes
from number_inventory.store.inventory import lock_inventory, tune_transaction
from number_inventory.store.runs import RunInfo, record_run
from number_inventory.store.sql_files import sql


def apply_block(
    conn: psycopg.Connection, run: RunInfo, request: BlockRequest, *, dry_run: bool
) -> dict[str, Any]:
    """Do ``request`` within its tenant, all or nothing, and return the summary (small: counts and a
    few numbers, for the log and XCom). Raises :class:`BlockError` naming what refuses the run (and
    writes nothing); ``dry_run`` checks the same and writes nothing either."""
    with tenants.within(conn, request.tenant), conn.transaction():
        lock_inventory(conn)
        tune_transaction(conn)
        stage(conn, request)
        if request.action == "remove_numbers":
            summary = _remove(conn, run, request, dry_run)
        else:
            summary = _add(conn, run, request, dry_run)
        if not dry_run:
            record_run(conn, "action", run, summary)
    return summary


def stage(conn: psycopg.Connection, request: BlockRequest) -> None:
    """Inside the caller's transaction: the block's rows in the temporary table ``number_block``."""
    conn.execute(sql("blocks/create_block_table"))
    statement = pgsql.SQL(sql("bulk_load/copy_into")).format(
        table=pgsql.Identifier("number_block"),
        columns=pgsql.SQL(", ").join(map(pgsql.Identifier, ("number", "status", "site", "label"))),
    )
    with conn.cursor().copy(statement) as copy:
        for row in request.rows():
            copy.write_row(row)
    conn.execute(sql("blocks/analyze_block_table"))


def _summary(run: RunInfo, request: BlockRequest, dry_run: bool, **counts: Any) -> dict[str, Any]:
    return {
        "run_day": run.run_day.isoformat(),
        "action": request.action,
        "tenant": request.tenant,
        "source": request.source,
        "reason": request.note,
        "actor": run.actor,
        "dry_run": dry_run,
        "numbers": len(request.numbers),
        **counts,
    }


def _present(conn: psycopg.Connection, *, not_available: bool) -> list[str]:
    """The first ``NAMED`` numbers of the block in the inventory, as ``number (state)``."""
    rows = conn.execute(sql("blocks/present_numbers"), {"not_available": not_available, "limit": NAMED})
    return [f"{number} ({' / '.join(v for v in state if v)})" for number, *state in rows]


def _add(conn: psycopg.Connection, run: RunInfo, request: BlockRequest, dry_run: bool) -> dict[str, Any]:
    """``add_numbers`` (refused when any number is in the inventory) or ``import_numbers`` (numbers
    in the inventory are left alone and reported; refused when a line of the CSV is)."""
    present, _ = conn.execute(sql("blocks/block_counts")).fetchone()
    adding = len(request.numbers) - present
    total = adding + present + len(request.refusals)
    if request.action == "add_numbers" and present:
        raise BlockError(
            f"add_numbers refused: {present:,} of {len(request.numbers):,} number(s) are in "
            f"{tenants.label(request.tenant)} already and are never overwritten; nothing was written: "
            + named(_present(conn, not_available=False), present)
        )
    if request.refusals:
        raise BlockError(
            f"{request.action} refused for {len(request.refusals):,} of {total:,} line(s); nothing was "
            f"written (it would add {adding:,}, {present:,} already present):\n  "
            + "\n  ".join(request.refusals[:NAMED])
            + (f"\n  … and {len(request.refusals) - NAMED:,} more" if len(request.refusals) > NAMED else "")
        )
    summary = _summary(
        run,
        request,
        dry_run,
        added=adding,
        already_present=present,
        already_present_numbers=_present(conn, not_available=False) if present else [],
        refused=0,
    )
    if dry_run or not adding:
        summary["written"] = 0
        return summary
    history.mark_pipeline_writes(conn)  # this statement records its own history: the triggers skip it
    with (
        deferred_indexes(conn, "number_inventory", adding),
        deferred_indexes(conn, "number_inventory_history", adding),
    ):
        written = conn.execute(
            sql("blocks/insert_block"), {**run.params(), "reason": request.reason}
        ).rowcount
    if written != adding:
        raise BlockError(
            f"{adding - written} number(s) were added by someone else while it ran; nothing was written: run it again"
        )
    summary["written"] = written
    return summary


def _remove(conn: psycopg.Connection, run: RunInfo, request: BlockRequest, dry_run: bool) -> dict[str, Any]:
    """``remove_numbers``: refused when any number of the block is in the inventory but not
    Available, or Available and registered by a device; numbers not in the inventory are left alone."""
    present, not_available = conn.execute(sql("blocks/block_counts")).fetchone()
    problems = []
    if not_available:
        problems.append(
            f"{not_available:,} number(s) are not Available (only Available numbers are removed): "
            + named(_present(conn, not_available=True), not_available)
        )
    registered = conn.execute(sql("blocks/registered_available"), {"limit": NAMED}).fetchall()
    if registered:
        problems.append(
            f"{registered[0][2]:,} Available number(s) are registered by a device (the next sync would "
            "add them back as Used): "
            + named([f"{number} (on {on})" for number, on, _ in registered], registered[0][2])
        )
    if problems:
        raise BlockError(
            f"remove_numbers refused in {tenants.label(request.tenant)}; nothing was written:\n  "
            + "\n  ".join(problems)
        )
    summary = _summary(
        run, request, dry_run, removed=present, not_in_inventory=len(request.numbers) - present, refused=0
    )
    if dry_run or not present:
        summary["written"] = 0
        return summary
    history.mark_pipeline_writes(conn)
    written = conn.execute(sql("blocks/delete_block"), {**run.params(), "reason": request.reason}).rowcount
    if written != present:
        raise BlockError(
            f"{present - written} number(s) changed while remove_numbers ran; nothing was written: run it again"
        )
    summary["written"] = written
    return summary
