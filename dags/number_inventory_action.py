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

Type the **numbers** one per line (any spelling: `+1 415-555 0100` is `+14155550100`; at most 10,000
per run) and the **reason**. Every number is checked before anything is written, and the run writes
all of them or none: it fails naming each number that cannot take the action and why — not in the
inventory, in another state, another vendor's cooling number, or a number that a device registers and
the action would free or hand out (release, reserve, unreserve). A number already where the action
leads is left alone. Each change is recorded in `number_inventory_history` with the reason
`manual_<action>`, the reason typed here and the user who triggered the run.

The numbers are those of one **tenant** (empty: the global tenant; docs: *Tenants and sites*).
Trigger with **dry run** to check the numbers and see what would change, without writing anything.
"""

from __future__ import annotations

from airflow.sdk import Param, dag, task

from number_inventory.action_form import ACTIONS, MAX_DAYS, MAX_NUMBERS, MAX_REASON, MIN_REASON
from number_inventory.airflow_glue import assets, dag_defaults, tasks


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
            minItems=1,
            maxItems=MAX_NUMBERS,
            title="Numbers",
            description=f"One number per line, at most {MAX_NUMBERS:,}; separators such as spaces, "
            "dashes and dots are ignored.",
        ),
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
        "tenant": Param(
            "",
            type=["null", "string"],
            title="Tenant",
            description="The tenant whose numbers these are (its connections' extra 'tenant'); empty: "
            "the global tenant. A tenant without an inventory is refused.",
        ),
    },
)
def number_inventory_action():
    @task
    def prepare() -> dict:
        """Validate the Variables, bring the schema up to date and fix the run day."""
        return tasks.prepare("action")

    # All or nothing, and a refusal is final: retrying would only refuse again.
    @task(retries=0, outlets=[assets.INVENTORY])
    def act(prepared: dict) -> dict:
        """Check every number, then apply the action to all of them in one transaction, or to none."""
        return tasks.manual_action(prepared)

    act(prepare())


number_inventory_action()
