"""The block actions of ``number_inventory_action`` (add, remove, import numbers; see
``number_inventory.number_blocks``): the task body that ``tasks.manual_action`` hands them to."""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from number_inventory import settings
from number_inventory.airflow_glue.connections import inventory_db
from number_inventory.airflow_glue.prepared import Prepared

log = logging.getLogger(__name__)


def block_action(prepared: Prepared, *, params: Any, dag_run: Any, outlet_events: Any) -> dict[str, Any]:
    """Check the form, then add, remove or import the whole block or nothing, within the form's
    tenant, recording who triggered the run and why."""
    from number_inventory.airflow_glue.tasks import action_done, run_info, triggering_user
    from number_inventory.number_blocks import parse_block_request
    from number_inventory.store.blocks import apply_block

    dry_run = settings.flag("dry_run", params.get("dry_run"))
    request = parse_block_request(dict(params))
    run = dataclasses.replace(
        run_info(dag_run, prepared.run_day), actor=triggering_user(dag_run), note=request.note
    )
    log.info(
        "%s of %s (%s number(s)) in tenant %r for %s (%s)%s",
        request.action,
        request.source,
        f"{len(request.numbers):,}",
        request.tenant,
        run.actor,
        request.note,
        ", dry run: nothing is written" if dry_run else "",
    )
    with inventory_db() as conn:
        summary = apply_block(conn, run, request, dry_run=dry_run)
    return action_done(request.action, summary, dry_run=dry_run, outlet_events=outlet_events)
