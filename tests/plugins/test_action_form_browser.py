"""The trigger form of ``number_inventory_action`` in a real browser, end to end: ``airflow api-server``
and ``airflow scheduler`` (LocalExecutor) in an Airflow home of their own, Debian's Chromium driven by
Playwright, a user of the simple auth manager who may trigger DAGs. The form is filled and submitted
as an operator would; the REST API shows the run with that form as its conf and its triggering user;
the scheduler runs it against a real PostgreSQL; the history records that user and the reason, and
the Number Inventory view shows them. Leaves ``test-output/number-inventory-action-form.png``."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request

import pytest
from playwright.sync_api import expect

from devtools import local_db
from tests.browser import NEEDS_CHROMIUM, WAIT_MS, simple_auth_env, start_airflow, stop
from tests.conftest import OUTPUT
from tests.plugins.conftest import PREFIX, fresh, own_database

DAG_ID = "number_inventory_action"
USER, PASSWORD = "duty-operator", "duty-Secret-7"
REASON = "ticket INC-5150: numbers for the new Hamburg office"
SCREENSHOT = OUTPUT / "number-inventory-action-form.png"
RANGE_SCREENSHOT = OUTPUT / "number-inventory-add-numbers-form.png"
#: The form's fields that an action leaves empty, as the run's conf holds them.
UNUSED = dict.fromkeys(("first", "last", "count", "tenant", "site", "label", "csv", "csv_path", "days"))
RANGE_REASON = "ticket CHG-2501: Berlin HQ block 2"

pytestmark = NEEDS_CHROMIUM


@pytest.fixture(scope="module")
def inventory_dsn(pg):
    """A database of this module's own: three Available numbers."""
    for dsn in own_database(pg, "action_form"):
        conn = fresh(dsn)
        conn.execute("INSERT INTO number_inventory (number) VALUES ('2000'), ('2001'), ('+49305550123')")
        conn.close()
        yield dsn


@pytest.fixture(scope="module")
def airflow_env(tmp_path_factory, inventory_dsn) -> dict[str, str]:
    """An Airflow home of its own (no other test's runs or unpaused DAGs for its scheduler to pick
    up), with the DAGs serialized into its metadata database, a user with the ``op`` role, and the
    inventory connection."""
    home = tmp_path_factory.mktemp("airflow-action-home")
    env = {
        **os.environ,
        **simple_auth_env(home, {USER: (PASSWORD, "op")}),
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
        "AIRFLOW_CONN_NUMBER_INVENTORY_DB": local_db.airflow_connection(inventory_dsn),
        "AIRFLOW_VAR_AUDIOCODES_CONNECTIONS": json.dumps(["audiocodes_a"]),
    }
    for command in (["db", "migrate"], ["dags", "reserialize"]):
        result = subprocess.run(
            [sys.executable, "-m", "airflow", *command], capture_output=True, text=True, env=env, timeout=300
        )
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return env


@pytest.fixture(scope="module")
def api_server_env(airflow_env) -> dict[str, str]:
    """The shared ``api_server`` (tests/browser.py) runs in this module's Airflow home."""
    return airflow_env


@pytest.fixture(scope="module")
def airflow(api_server, airflow_env, tmp_path_factory):
    """The shared ``airflow api-server``, and ``airflow scheduler`` (LocalExecutor) beside it: the
    server's URL and the scheduler's log folder."""
    env = {**airflow_env, "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{api_server}/execution/"}
    logs = tmp_path_factory.mktemp("airflow-action-logs")
    scheduler = start_airflow(["scheduler"], env, logs / "scheduler.log")
    try:
        yield api_server, logs
    finally:
        stop(scheduler)


def api(url: str, path: str) -> dict:
    """A GET of Airflow's REST API with a token of the known user."""
    login = urllib.request.Request(
        f"{url}/auth/token",
        data=json.dumps({"username": USER, "password": PASSWORD}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(login, timeout=30) as response:
        token = json.load(response)["access_token"]
    request = urllib.request.Request(f"{url}{path}", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


@pytest.fixture(scope="module")
def page(chromium, airflow):
    """A browser tab signed in to Airflow through the login form, on the DAG's page."""
    url, _ = airflow
    tab = chromium.new_context(viewport={"width": 1360, "height": 1100}).new_page()
    tab.set_default_timeout(WAIT_MS)
    tab.goto(f"{url}/dags/{DAG_ID}")
    tab.locator("input[name=username]").fill(USER)
    tab.locator("input[name=password]").fill(PASSWORD)
    tab.get_by_role("button", name="Sign in").click()
    tab.wait_for_url(f"**/dags/{DAG_ID}")
    yield tab
    tab.context.close()


def open_form(page, url: str):
    """The DAG's page, its Trigger button, and the dialog with the form."""
    page.goto(f"{url}/dags/{DAG_ID}")
    page.get_by_role("button", name="Trigger").first.click()
    form = page.get_by_role("dialog")
    expect(form.locator("textarea#element_numbers")).to_be_visible()
    return form


def test_the_trigger_form_shows_every_field_with_its_title_and_help(page, airflow):
    form = open_form(page, airflow[0])
    for title in ("Action", "Numbers", "Days (extend cooling)", "Reason", "Dry run"):
        # A required field's title carries a "*".
        expect(form.get_by_text(re.compile(rf"^{re.escape(title)}\s*\*?$"))).to_be_visible()
    expect(form.get_by_text("One number per line, at most 10,000", exact=False)).to_be_visible()
    expect(form.locator("textarea#element_numbers")).to_be_visible()  # an array of strings: one per line
    form.get_by_role("combobox").click()
    for label in ("Release now (Cooling → Available)", "Reserve (Available → Reserved)"):
        expect(form.get_by_text(label, exact=True)).to_be_visible()
    # Required fields left empty keep the form from being submitted.
    expect(form.get_by_test_id("trigger-dag-submit")).to_be_disabled()


def test_the_form_submits_a_run_with_its_values_and_user(page, airflow):
    url, _ = airflow
    form = open_form(page, url)
    form.get_by_role("combobox").click()
    form.get_by_text("Reserve (Available → Reserved)", exact=True).click()
    form.locator("#element_numbers").fill("2000\n+49 30 555-0123")
    form.locator("#element_reason").fill(REASON)
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    form.get_by_test_id("trigger-dag-submit").click()
    page.wait_for_url(f"**/dags/{DAG_ID}/runs/**")

    runs = api(url, f"/api/v2/dags/{DAG_ID}/dagRuns")["dag_runs"]
    assert len(runs) == 1
    assert runs[0]["conf"] == {
        "action": "reserve",
        "numbers": ["2000", "+49 30 555-0123"],
        **UNUSED,
        "reason": REASON,
        "dry_run": False,
        "canonicalise_apply": False,
        "connection_id": None,
    }
    assert runs[0]["triggering_user_name"] == USER and runs[0]["triggered_by"] == "ui"


def test_the_scheduler_runs_it_and_the_history_records_who_and_why(airflow, inventory_dsn):
    url, logs = airflow
    run = api(url, f"/api/v2/dags/{DAG_ID}/dagRuns")["dag_runs"][0]
    deadline = time.monotonic() + 180
    while run["state"] not in ("success", "failed") and time.monotonic() < deadline:
        time.sleep(2)
        run = api(url, f"/api/v2/dags/{DAG_ID}/dagRuns/{run['dag_run_id']}")
    assert run["state"] == "success", (logs / "scheduler.log").read_text()[-4000:]

    conn = local_db.connect(inventory_dsn)  # not fresh(): that would empty it
    statuses = dict(conn.execute("SELECT number, status FROM number_inventory").fetchall())
    assert statuses == {"2000": "Reserved", "2001": "Available", "+49305550123": "Reserved"}
    history = conn.execute(
        "SELECT number, reason, actor, note, dag_id, run_id FROM number_inventory_history "
        "WHERE dag_id IS NOT NULL ORDER BY number"  # not the rows the fixture loaded by hand
    ).fetchall()
    assert history == [
        ("+49305550123", "manual_reserve", USER, REASON, DAG_ID, run["dag_run_id"]),
        ("2000", "manual_reserve", USER, REASON, DAG_ID, run["dag_run_id"]),
    ]
    conn.close()


def test_the_view_shows_the_manual_action_with_its_user_and_reason(page, airflow):
    url, _ = airflow
    page.goto(f"{url}{PREFIX}/")
    page.wait_for_selector("body[data-loaded=true]")
    page.locator("#search-input").fill("+49 30 555 0123")
    page.locator("#search-button").click()
    page.wait_for_selector("#detail-number:text-is('+49305550123')")
    first = page.locator("#number-history tbody tr").first
    expect(first.locator("td").nth(2)).to_have_text("manual_reserve")
    expect(first.locator("td").nth(4)).to_have_text(f"{USER}: {REASON}")
    recent = page.locator("#changes-table tbody tr").first
    expect(recent.locator("td").nth(4)).to_have_text(f"{USER}: {REASON}")


def run_of(url: str, action: str) -> dict:
    """The latest run of ``action``, once the scheduler has finished it."""
    runs = [
        r for r in api(url, f"/api/v2/dags/{DAG_ID}/dagRuns")["dag_runs"] if r["conf"]["action"] == action
    ]
    run = max(runs, key=lambda r: r["run_after"])
    deadline = time.monotonic() + 300
    while run["state"] not in ("success", "failed") and time.monotonic() < deadline:
        time.sleep(2)
        run = api(url, f"/api/v2/dags/{DAG_ID}/dagRuns/{run['dag_run_id']}")
    return run


def submit(page, url: str, action_label: str, fields: dict[str, str]):
    form = open_form(page, url)
    form.get_by_role("combobox").click()
    form.get_by_text(action_label, exact=True).click()
    for name, value in fields.items():
        # By name: a number field's id is the UI's own (its name is element_<param>).
        form.locator(f"[name=element_{name}]").fill(value)
    return form


def test_a_range_of_100000_numbers_is_added_and_removed_through_the_form(page, airflow, inventory_dsn):
    """Issue 25's done-when: the form adds +4930100000 – +4930199999 as Available for a site with a
    label, then removes them, and the history records the user and the reason of each."""
    url, logs = airflow
    form = submit(
        page,
        url,
        "Add numbers (a range or list, as Available)",
        {
            "first": "+4930100000",
            "last": "+4930199999",
            "site": "berlin",
            "label": "HQ 2",
            "reason": RANGE_REASON,
        },
    )
    page.screenshot(path=str(RANGE_SCREENSHOT), full_page=True)
    form.get_by_test_id("trigger-dag-submit").click()
    page.wait_for_url(f"**/dags/{DAG_ID}/runs/**")
    added = run_of(url, "add_numbers")
    assert added["state"] == "success", (logs / "scheduler.log").read_text()[-4000:]
    assert added["conf"]["first"] == "+4930100000" and added["triggering_user_name"] == USER

    conn = local_db.connect(inventory_dsn)
    assert (
        conn.execute(
            "SELECT count(*) FROM number_inventory WHERE number LIKE '+49301%%' AND status = 'Available' "
            "AND site = 'berlin' AND label = 'HQ 2'"
        ).fetchone()[0]
        == 100_000
    )

    form = submit(
        page,
        url,
        "Remove numbers (Available ones of a range or list)",
        {"first": "+4930100000", "count": "100000", "reason": RANGE_REASON},
    )
    form.get_by_test_id("trigger-dag-submit").click()
    page.wait_for_url(f"**/dags/{DAG_ID}/runs/**")
    removed = run_of(url, "remove_numbers")
    assert removed["state"] == "success", (logs / "scheduler.log").read_text()[-4000:]
    assert removed["conf"]["count"] == 100_000  # the form sends a number field as a number

    assert (
        conn.execute("SELECT count(*) FROM number_inventory WHERE number LIKE '+49301%%'").fetchone()[0] == 0
    )
    history = conn.execute(
        "SELECT reason, actor, note, run_id, before_status, after_status, count(*) FROM number_inventory_history "
        "WHERE reason IN ('manual_add_numbers', 'manual_remove_numbers') GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1"
    ).fetchall()
    conn.close()
    assert history == [
        ("manual_add_numbers", USER, RANGE_REASON, added["dag_run_id"], None, "Available", 100_000),
        ("manual_remove_numbers", USER, RANGE_REASON, removed["dag_run_id"], "Available", None, 100_000),
    ]
