"""
# Number inventory daily

Runs once a day, for its run day R:

1. **release**: every AudioCodes number in **Cooling** whose Release Date is on or before R becomes
   **Available** (usage, vendor, tag and release date cleared) — the whole backlog, however old; the
   Tag countdown of the others is recounted against R.
2. **audit**: AudioCodes numbers are checked against the kept device reads. Registered numbers that
   are not Used / Device / AudioCodes are repaired, AudioCodes Used numbers no device reports are sent
   to Cooling, and conflicts (another vendor, Used-Utility, Reserved) are only reported. Findings go to
   the table `audit_finding`; the summary is in the task log. A kept read of a connection that is no
   longer configured still registers its numbers and is reported (`audit_connection_finding`): purge
   it or configure it again.
3. **stale reads**: a configured connection whose last complete read is older than
   `audiocodes_max_read_age_hours` (default 24), or that was never read, is a `stale_read` finding
   (`audit_connection_finding`). Its numbers stay as its old read left them; once everything is
   recorded the run **fails**, naming each such connection and its age, so that alerting picks it up.
   Such a connection cannot confirm that the numbers it last had are still gone from it, so the
   release of every due cooling number last seen on it is **withheld** (a `release_withheld_stale`
   finding per connection, with the count) until it is read again; trigger with
   **release_despite_stale** to release them anyway (the history names who did).

Both happen in one transaction.

**Per tenant.** Steps 1–4 run for the global tenant and then for every known tenant (docs: *Tenants
and sites*), each within its own inventory and with its own connections only: one tenant's stale
read or failure neither withholds nor blocks another's release; the run fails afterwards, naming it.

4. **report** (beside them): the run day's report in the table `number_inventory_daily_report`,
   computed from the history as of the end of that day: counts by status, usage and vendor, the
   numbers that went to cooling, came back, were released or were changed by hand that day, and the
   cooling backlog by release date. A run that acts rewrites the day before's too (complete by then).

**A past day is a report.** A run for a day before today (the project's clock, with one day of
slack) only writes that day's report: `release_and_audit` is skipped ("report only"), nothing in the
inventory changes, no finding is recorded, and staleness measured now fails nothing. Whether a run
acts depends on its run day and the clock alone, so a backfill gives the same rows whatever order
its runs take (`airflow backfill create --dag-id number_inventory_daily --from-date ... --to-date ...`).
A run for a day after today fails before any write. Trigger with **dry_run** to see what would change
without writing anything. Lineage: `release_and_audit` writes the Asset `number_inventory`,
`report` the Asset `number_inventory_daily_report`.
"""

from __future__ import annotations

import os

from airflow.sdk import Param, dag, task

from number_inventory.airflow_glue import assets, dag_defaults, tasks


@dag(
    dag_id="number_inventory_daily",
    schedule=os.environ.get("NUMBER_INVENTORY_DAILY_SCHEDULE", "@daily"),
    doc_md=__doc__,
    **dag_defaults.DAG_DEFAULTS,
    params={
        "dry_run": Param(
            False,
            type="boolean",
            title="Dry run",
            description="Report what the release and the audit would change, without writing anything.",
        ),
        "release_despite_stale": Param(
            False,
            type="boolean",
            title="Release despite stale reads",
            description=(
                "Release the due cooling numbers last seen on a connection whose read is stale too. "
                "That connection cannot confirm they are still gone from it; the history records who "
                "released them."
            ),
        ),
    },
)
def number_inventory_daily():
    @task
    def prepare(dag_run=None, dag=None, ti=None) -> dict:
        """Validate the Variables, bring the schema up to date and fix the run day."""
        return tasks.prepare("daily", dag_run=dag_run, dag=dag, ti=ti)

    @task(outlets=[assets.INVENTORY])
    def release_and_audit(prepared: dict, params=None, dag_run=None, outlet_events=None) -> dict:
        """Release due cooling numbers, recount Tags, audit and repair, in one transaction."""
        return tasks.release_and_audit(prepared, params=params, dag_run=dag_run, outlet_events=outlet_events)

    @task(outlets=[assets.DAILY_REPORT])
    def report(prepared: dict, params=None, dag_run=None, outlet_events=None) -> dict:
        """Write the run day's report as of the day's end, from the history (a past day: only this)."""
        return tasks.daily_report(prepared, params=params, dag_run=dag_run, outlet_events=outlet_events)

    prepared = prepare()
    release_and_audit(prepared)
    report(prepared)


number_inventory_daily()
