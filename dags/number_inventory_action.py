"""
# Number inventory manual action

Acts on numbers by hand, from the trigger form, instead of an `UPDATE` that the history never sees:

| action | from | to |
|---|---|---|
| **Release now** | AudioCodes `Cooling` | `Available` now (usage, vendor, tag, release date cleared) |
| **Extend cooling** | AudioCodes `Cooling` | Release Date = run day + **days** (0–999), Tag recounted |
| **Cancel cooling** | AudioCodes `Cooling` that a device registers | `Used` / `Device` / `AudioCodes` |
| **Reserve** | `Available` | `Reserved` |
| **Unreserve** | `Reserved` | `Available` |
| **Add numbers** | not in the inventory | `Available`, with **site** and **label** |
| **Remove numbers** | `Available` | not in the inventory |
| **Import numbers** | not in the inventory | `Available` or `Reserved` (a CSV's lines) |

Type the **numbers** one per line (any spelling: `+1 415-555 0100` is `+14155550100`; at most 10,000
per run) and the **reason**. Every number is checked before anything is written, and the run writes
all of them or none: it fails naming each number that cannot take the action and why — not in the
inventory, in another state, another vendor's cooling number, or a number that a device registers and
the action would free or hand out (release, reserve, unreserve). A number already where the action
leads is left alone. Each change is recorded in `number_inventory_history` with the reason
`manual_<action>`, the reason typed here and the user who triggered the run.

Add and remove take a range (**first** and **last**, or **first** and **count**) or the **numbers**,
up to 1,000,000 per run, in the **tenant** given (empty: the global one). Add never overwrites a
number in the inventory: it names them and adds nothing. Remove refuses any number that is not
Available or that a device registers. Import reads a CSV (**csv**, or **csv path** on the worker)
with a header: `number` and any of `status` (Available or Reserved), `site`, `label`; numbers in
the inventory already are left alone and reported.

Every action works within the **tenant** given (empty: the global inventory).

Trigger with **dry run** to check the numbers and see what would change, without writing anything.

**Canonicalise numbers** moves the inventory to the dial plan of the **connection** named in the form
(after its `country_code` extra was set; numbers are not used): spellings of one number
(`0301234567`, `+49301234567`) become one row in canonical form where that is unambiguous, the
connection's kept read is renamed with them, and every other case is an audit finding for an
operator. It only reports unless **canonicalise: apply** is set. Until it has run without findings,
the connection's reads under the new plan are refused.
"""

from __future__ import annotations

from airflow.sdk import Param, dag, task

from number_inventory.action_form import (
    ACTIONS,
    MAX_BLOCK,
    MAX_CSV_TEXT,
    MAX_DAYS,
    MAX_NUMBERS,
    MAX_REASON,
    MIN_REASON,
)
from number_inventory.airflow_glue import assets, dag_defaults, tasks


def _text(title: str, description: str) -> Param:
    """An optional one-line text field of the form."""
    return Param(None, type=["null", "string"], maxLength=1000, title=title, description=description)


@dag(
    dag_id="number_inventory_action",
    schedule=None,
    doc_md=__doc__,
    **dag_defaults.DAG_DEFAULTS,
    params={
        "action": Param(
            type="string",
            title="Action",
            description="What to do with the numbers.",
            enum=list(ACTIONS),
            values_display=ACTIONS,
        ),
        "numbers": Param(
            [],
            type="array",
            items={"type": "string"},
            maxItems=MAX_NUMBERS,
            title="Numbers",
            description=f"One number per line, at most {MAX_NUMBERS:,}; separators such as spaces, "
            "dashes and dots are ignored. Add and remove numbers take a range below instead; not used by Canonicalise numbers.",
        ),
        "connection_id": Param(
            None,
            type=["null", "string"],
            title="Connection (canonicalise numbers)",
            description="For Canonicalise numbers: the AudioCodes connection whose dial plan applies.",
        ),
        "canonicalise_apply": Param(
            False,
            type="boolean",
            title="Canonicalise: apply",
            description="For Canonicalise numbers: write the merges and renames. Unset, it only reports.",
        ),
        "first": _text(
            "First (range)", "Add or remove numbers: the first number of the range, e.g. +4930123000."
        ),
        "last": _text(
            "Last (range)", "The last number of the range (same digits as First), e.g. +4930123999."
        ),
        "count": Param(
            None,
            type=["null", "integer"],
            minimum=1,
            maximum=MAX_BLOCK,
            title="Count (range)",
            description=f"Instead of Last: how many numbers from First (at most {MAX_BLOCK:,}).",
        ),
        "tenant": _text("Tenant", "Whose inventory the action works on; empty for the global one."),
        "site": _text("Site", "Add or import numbers: the site the numbers belong to (optional)."),
        "label": _text(
            "Label", "Add or import numbers: a label for the block, e.g. Berlin HQ block 2 (optional)."
        ),
        "csv": Param(
            None,
            type=["null", "string"],
            format="multiline",
            maxLength=MAX_CSV_TEXT,
            title="CSV (import)",
            description="Import numbers: a header line 'number,status,site,label' (number required), "
            "then one number per line; status Available (default) or Reserved.",
        ),
        "csv_path": _text("CSV path (import)", "Import numbers: instead of CSV, a CSV file on the worker."),
        "days": Param(
            None,
            type=["null", "integer"],
            minimum=0,
            maximum=MAX_DAYS,
            title="Days (extend cooling)",
            description=f"For Extend cooling: the new Release Date is the run day plus this many days "
            f"(0–{MAX_DAYS}). Not used by the other actions.",
        ),
        "reason": Param(
            type="string",
            minLength=MIN_REASON,
            maxLength=MAX_REASON,
            title="Reason",
            description="Why, for the history: a ticket number or a sentence.",
        ),
        "dry_run": Param(
            False,
            type="boolean",
            title="Dry run",
            description="Check the numbers and report what would change, without writing anything.",
        ),
    },
)
def number_inventory_action():
    @task
    def prepare(dag_run=None, dag=None, ti=None) -> dict:
        """Validate the Variables, bring the schema up to date and fix the run day."""
        return tasks.prepare("action", dag_run=dag_run, dag=dag, ti=ti)

    # All or nothing, and a refusal is final: retrying would only refuse again.
    @task(retries=0, outlets=[assets.INVENTORY])
    def act(prepared: dict, params=None, dag_run=None, ti=None, outlet_events=None) -> dict:
        """Check every number, then apply the action to all of them in one transaction, or to none."""
        return tasks.manual_action(
            prepared, params=params, dag_run=dag_run, ti=ti, outlet_events=outlet_events
        )

    act(prepare())


number_inventory_action()
