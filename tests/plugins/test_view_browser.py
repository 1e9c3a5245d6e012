"""The Number Inventory page in a real browser: ``airflow api-server`` with the plugin on a free port,
Debian's Chromium driven by Playwright, the simple auth manager's login form, and an inventory the
real pipeline made over three weeks (``fleet.realistic``). Leaves a screenshot in ``test-output/``
(the README's picture, ``docs/number-inventory-view.png``, is a copy of it)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser import NEEDS_CHROMIUM, WAIT_MS
from tests.conftest import OUTPUT
from tests.plugins import fleet
from tests.plugins.conftest import PASSWORD, PREFIX, USER, fresh

SCREENSHOT = OUTPUT / "number-inventory-view.png"

pytestmark = NEEDS_CHROMIUM


@pytest.fixture(scope="module")
def inventory(scenario_dsn, today):
    """A connection to the realistic inventory the page shows."""
    conn = fresh(scenario_dsn)
    fleet.realistic(conn, today)
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def api_server_env(auth_env, airflow_home, inventory, today) -> dict[str, str]:
    """The shared ``api_server`` (tests/browser.py) runs with ``auth_env``'s user and the realistic
    inventory's connections. Its clock stands at noon UTC of the inventory's last day, when the read
    Hamburg last completed (the day before, 01:00) is 35 hours old: stale, whenever the test runs."""
    return {
        "AIRFLOW_VAR_AUDIOCODES_CONNECTIONS": json.dumps(fleet.REALISTIC_CONNECTIONS),
        "NUMBER_INVENTORY_TODAY": f"{today}T12:00:00+00:00",
    }


@pytest.fixture(scope="module")
def problems() -> list[str]:
    """Script errors and refused resources (a CSP violation is one) seen by the browser tab."""
    return []


@pytest.fixture(scope="module")
def page(chromium, api_server, problems):
    """A browser tab that opened the view anonymously, was sent to Airflow's login form, signed in
    and came back to the loaded view."""
    tab = chromium.new_context(viewport={"width": 1360, "height": 900}).new_page()
    tab.set_default_timeout(WAIT_MS)
    tab.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    tab.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)

    tab.goto(f"{api_server}{PREFIX}/")
    assert "/auth/login?next=" in tab.url
    tab.locator("input[name=username]").fill(USER)
    tab.locator("input[name=password]").fill(PASSWORD)
    tab.get_by_role("button", name="Sign in").click()
    tab.wait_for_selector("body[data-loaded=true]")
    assert tab.url == f"{api_server}{PREFIX}/"
    yield tab
    tab.context.close()


def card(page, status: str) -> str:
    return page.locator(f"#count-{status} .value").inner_text()


def cooling_rows(page) -> list[tuple[str, str, str]]:
    """``(number, release date, days left)`` of the cooling table as shown."""
    rows = page.locator("#cooling-table tbody tr")
    return [tuple(rows.nth(i).locator("td").all_inner_texts()[:3]) for i in range(rows.count())]


def expected_cooling(
    inventory, today, prefix: str = "", order: str = 'release_date, number COLLATE "C"', offset: int = 0
):
    rows = inventory.execute(
        f"SELECT number, release_date::text, (release_date - %s::date)::text FROM number_inventory "
        f"WHERE status = 'Cooling' AND number LIKE %s ORDER BY {order} LIMIT 50 OFFSET %s",
        (today, prefix + "%", offset),
    ).fetchall()
    return [tuple(r) for r in rows]


def test_the_counts_shown_are_the_inventory(page, inventory, problems):
    counts = dict(inventory.execute("SELECT status, count(*) FROM number_inventory GROUP BY 1").fetchall())
    total = sum(counts.values())
    assert card(page, "total") == f"{total:,}"
    for status in ("Available", "Used", "Cooling", "Reserved", "Used-Utility"):
        assert card(page, status) == f"{counts.get(status, 0):,}", status
    audiocodes = inventory.execute(
        "SELECT count(*) FROM number_inventory WHERE vendor = 'AudioCodes'"
    ).fetchone()[0]
    assert card(page, "audiocodes") == f"{100 * audiocodes / total:.1f}%"
    states = dict(
        zip(
            page.locator("#connections-table tbody tr td:nth-child(1) span").all_inner_texts(),
            page.locator("#connections-table tbody tr td:nth-child(2) .pill:first-child").all_inner_texts(),
            strict=True,
        )
    )
    assert states == {
        "audiocodes_arm_hamburg": "failing",
        "audiocodes_sbc_berlin": "ok",
        "audiocodes_sbc_munich": "ok",
    }
    stale = page.locator("#connections-table tbody tr.stale td:nth-child(1) span").all_inner_texts()
    assert stale == ["audiocodes_arm_hamburg"]  # failing since yesterday's read: 35 hours old
    assert page.locator("#connections-table tr.stale .pill.stale").inner_text() == "stale"
    assert page.locator("#releases-chart svg rect").count() >= 1
    assert page.locator("#trend-chart svg polyline").count() == 3
    assert not problems


def test_the_cooling_queue_shown_is_the_next_releases(page, inventory, today, problems):
    assert cooling_rows(page) == expected_cooling(inventory, today)
    first = page.locator("#cooling-table tbody tr").first.locator("td").nth(3).inner_text()
    assert first.startswith("audiocodes_") or first.startswith("one of")


def test_the_cooling_queue_pages_by_key(page, inventory, today, problems):
    """Next asks for the page after the last row shown (``after``, not an offset); Previous goes back."""
    cooling = inventory.execute("SELECT count(*) FROM number_inventory WHERE status = 'Cooling'").fetchone()[
        0
    ]
    assert cooling > 50
    first = cooling_rows(page)
    pager = page.locator("#cooling-pager")
    with page.expect_request(lambda request: "/api/cooling?" in request.url) as asked:
        pager.get_by_role("button", name="Next →").click()
    assert "after=" in asked.value.url and "offset=" not in asked.value.url
    expect(pager.locator("span")).to_have_text(f"rows 51–{min(cooling, 100)}")
    assert cooling_rows(page) == expected_cooling(inventory, today, offset=50)
    pager.get_by_role("button", name="← Previous").click()
    expect(pager.locator("span")).to_have_text("rows 1–50")
    assert cooling_rows(page) == first
    assert not problems


def test_the_cooling_queue_filters_by_prefix_and_sorts_by_number(page, inventory, today, problems):
    page.locator("#cooling-prefix").fill("+4989 777")
    expect(page.locator("#cooling-note")).to_have_text("numbers starting with +4989777")
    munich = expected_cooling(inventory, today, "+4989777")
    assert munich and cooling_rows(page) == munich

    header = page.locator("#cooling-table th[data-sort=number]")
    header.click()
    page.wait_for_selector("#cooling-table th[data-sort=number].sorted:not(.desc)")
    assert cooling_rows(page) == expected_cooling(inventory, today, "+4989777", 'number COLLATE "C"')
    header.click()
    page.wait_for_selector("#cooling-table th[data-sort=number].sorted.desc")
    assert cooling_rows(page) == expected_cooling(inventory, today, "+4989777", 'number COLLATE "C" DESC')

    page.locator("#cooling-prefix").fill("")
    expect(page.locator("#cooling-note")).to_have_text("")
    assert not problems


def test_the_export_link_downloads_the_rows_its_filters_match(page, inventory, problems):
    """Issue 25: the Export panel's link follows its filters, and the browser downloads the CSV with
    the signed-in session's cookie."""
    page.locator("#export-status").select_option("Cooling")
    page.locator("#export-prefix").fill("+4989 777")
    expect(page.locator("#export-link")).to_have_attribute(
        "href", f"{PREFIX}/api/numbers.csv?status=Cooling&prefix=%2B4989+777"
    )
    with page.expect_download() as download:
        page.locator("#export-link").click()
    assert download.value.suggested_filename == "numbers.csv"
    lines = Path(download.value.path()).read_text().splitlines()
    expected = inventory.execute(
        "SELECT number FROM number_inventory WHERE status = 'Cooling' AND number LIKE '+4989777%' "
        'ORDER BY number COLLATE "C"'
    ).fetchall()
    assert expected and [line.split(",")[0] for line in lines[1:]] == [n for (n,) in expected]
    assert lines[0].startswith("number,status,")
    page.locator("#export-status").select_option("")
    page.locator("#export-prefix").fill("")
    assert not problems


def storied_number(inventory) -> tuple[str, str, int]:
    """The cooling number with the longest history: ``(number, status, changes)``."""
    return inventory.execute(
        "SELECT n.number, n.status, count(*) FROM number_inventory AS n "
        "JOIN number_inventory_history AS h USING (number) WHERE n.status = 'Cooling' "
        "GROUP BY 1, 2 ORDER BY 3 DESC, 1 LIMIT 1"
    ).fetchone()


def search(page, text: str, number: str, changes: int) -> None:
    page.locator("#search-input").fill(text)
    page.locator("#search-button").click()
    page.wait_for_selector(f"#detail-number:text-is('{number}')")
    expect(page.locator("#number-history tbody tr")).to_have_count(changes)


def test_searching_a_number_shows_its_row_and_its_whole_history(page, inventory, problems):
    number, status, changes = storied_number(inventory)
    reasons = [
        r[0]
        for r in inventory.execute(
            "SELECT reason FROM number_inventory_history WHERE number = %s ORDER BY id DESC", (number,)
        )
    ]
    search(page, number[:5] + " " + number[5:], number, changes)  # typed with a space
    assert page.locator("#number-detail .pill").first.inner_text() == status
    shown = page.locator("#number-history tbody tr td:nth-child(3)").all_inner_texts()
    assert shown == reasons and len(reasons) >= 3
    assert not problems


def test_the_trend_shows_the_daily_report_over_the_range_picked(page, inventory, today, problems):
    import datetime as dt

    from number_inventory import report

    for n in (0, 1, 5):
        report.write(inventory, today - dt.timedelta(days=n), "UTC")
    try:
        page.locator("#trend-from").fill((today - dt.timedelta(days=10)).isoformat())
        page.locator("#trend-to").fill(today.isoformat())
        page.locator("#trend-range button[type=submit]").click()
        expect(page.locator("#trend-note")).to_contain_text("8 day(s) without a report")
        assert page.locator("#trend-chart svg polyline").count() == 3
        page.locator('#trend-range button[data-days="90"]').click()
        expect(page.locator("#trend-note")).to_contain_text("87 day(s) without a report")
        expect(page.locator("#trend-from")).to_have_value((today - dt.timedelta(days=89)).isoformat())
    finally:
        inventory.execute("TRUNCATE number_inventory_daily_report")
        page.reload()  # as the other tests (and the screenshot) found it: no report, the counts' trend
        expect(page.locator("body")).to_have_attribute("data-loaded", "true")
    assert not problems


def test_screenshot(page, inventory, problems):
    """The whole page as it first shows, with one number looked up."""
    page.reload()
    page.wait_for_selector("body[data-loaded=true]")
    number, _, changes = storied_number(inventory)
    search(page, number, number, changes)
    page.mouse.move(0, 0)  # no row under the pointer
    page.evaluate("window.scrollTo(0, 0)")
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert SCREENSHOT.stat().st_size > 50_000
    if os.environ.get("NUMBER_INVENTORY_DOCS_SCREENSHOT"):  # refresh the README's picture
        shutil.copyfile(SCREENSHOT, Path(__file__).resolve().parents[2] / "docs" / SCREENSHOT.name)
    assert not problems


def test_the_airflow_navigation_links_the_view(page, api_server):
    page.goto(f"{api_server}/")
    page.get_by_role("button", name="Browse").click()
    page.get_by_role("menuitem", name="Number Inventory").click()
    page.wait_for_function("location.pathname.startsWith('/plugin/number-inventory')")
    frame = page.frame_locator("iframe")
    frame.locator("body[data-loaded=true]").wait_for()
    assert frame.locator("#count-total .value").inner_text() == card_value_from_api(page, api_server)


def card_value_from_api(page, api_server) -> str:
    """The total as the API gives it to the signed-in browser (its cookie)."""
    response = page.request.get(f"{api_server}{PREFIX}/api/summary")
    assert response.ok
    return f"{response.json()['total']:,}"


def test_the_tenant_picker_shows_another_tenants_inventory(page, api_server, inventory, problems):
    """Once a second tenant has an inventory the picker appears; picking it shows that tenant's
    counts and cooling queue, and the site filter narrows the queue."""
    from number_inventory import store, tenants

    assert not page.locator("#tenant-picker").is_visible()  # the global tenant alone: no picker
    with tenants.within(inventory, "acme", create=True):
        store.migrate(inventory)
        inventory.execute(
            "INSERT INTO number_inventory (number, status, usage, vendor, release_date, site) VALUES "
            "('7000', 'Cooling', 'Device', 'AudioCodes', current_date + 1, 'Berlin'), "
            "('7001', 'Cooling', 'Device', 'AudioCodes', current_date + 2, 'Paris')"
        )
    try:
        page.goto(f"{api_server}{PREFIX}/")
        page.wait_for_selector("body[data-loaded=true]")
        expect(page.locator("#tenant-picker")).to_be_visible()
        assert page.locator("#tenant option").all_inner_texts() == ["global", "acme"]
        page.locator("#tenant").select_option("acme")
        expect(page.locator("#count-total .value")).to_have_text("2")
        expect(page.locator("#cooling-table tbody tr")).to_have_count(2)
        page.locator("#site").fill("Paris")
        expect(page.locator("#cooling-table tbody tr")).to_have_count(1)
        assert cooling_rows(page)[0][0] == "7001"
    finally:
        inventory.execute("DROP SCHEMA tenant_acme CASCADE")
    assert not problems
