"""Issue 13 in Chromium: the dashboard (its billing figures fetched after it shows), the main pages at
1366 and 390 px checked by axe-core (no serious or critical violation), and the demo's vendor console."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from hub.extensions import db
from tests.web.billing_fixtures import build_billing
from tests.web.browser.conftest import assert_fits, screenshot, sign_in

pytestmark = pytest.mark.browser

WIDTHS = {"desktop": (1366, 900), "phone": (390, 844)}
MAIN_PAGES = ("/", "/admin/mapping/?vendor=fake", "/billing/reports/usage", "/billing/recurring", "/billing/invoices",
              "/billing/pending", "/billing/skus", "/admin/apps/", "/organizations/")


@pytest.fixture
def billing_ids(mapped_world, fake_vendor):
    ids = build_billing(fake_vendor, mapped_world)
    db.session.remove()  # no read transaction left open in the test thread (SQLite would block the server)
    return ids


def serious_violations(page) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now (WCAG 2 A/AA rules)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa"]},
                                       "resultTypes": ["violations"]})
    return [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("width", WIDTHS)
def test_main_pages_have_no_serious_accessibility_violations(page, billing_ids, width):
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[width])))
    sign_in(page, "admin")
    found = {}
    for path in MAIN_PAGES:
        page.goto(path)
        page.wait_for_load_state("networkidle")
        problems = serious_violations(page)
        if problems:
            found[path] = problems
    assert not found, found


@pytest.mark.parametrize("width", WIDTHS)
def test_dashboard_shows_what_needs_me_and_fetches_its_billing_figures(page, billing_ids, width):
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[width])))
    sign_in(page, "viewer")
    expect(page.locator("#attention-pending")).to_contain_text("1 license change waiting for approval")
    expect(page.locator("#attention-unmapped-fake")).to_contain_text("not mapped to an Organization")
    expect(page.locator("#next-run")).to_contain_text("1 invoice,")  # the fragment arrived and replaced its placeholder
    expect(page.locator("#billing-summary")).not_to_have_attribute("aria-busy", "true")
    assert_fits(page, "the dashboard")
    screenshot(page, f"dashboard-{width}")
    page.click("#attention-pending a")
    page.wait_for_url("**/billing/pending")


def test_mapping_page_at_phone_width_is_a_list_of_cards_with_a_folded_menu(page, billing_ids):
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "billing")
    page.goto("/admin/mapping/?vendor=fake")
    expect(page.locator("#main-nav")).to_be_hidden()  # folded behind the Menu button
    assert_fits(page, "the mapping page")
    first = page.locator("#mapping-table tbody tr").first
    box = first.bounding_box()
    assert box["width"] <= 390 and first.evaluate("e => getComputedStyle(e).display") == "block"  # a card
    unmap = page.locator("#mapping-table .unmap").first
    size = unmap.bounding_box()
    assert size["width"] >= 44 and size["height"] >= 44, size
    screenshot(page, "mapping-phone")
    page.click(".nav-toggle")
    expect(page.locator("#main-nav")).to_be_visible()
    expect(page.locator(".nav-toggle")).to_have_attribute("aria-expanded", "true")


def test_the_licenses_column_sorts(page, billing_ids):
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, "viewer")
    page.goto("/admin/mapping/?vendor=fake")
    page.click("th[data-sort=licenses] a.sort")
    expect(page.locator("th[data-sort=licenses]")).to_have_attribute("aria-sort", "ascending")
    page.click("th[data-sort=licenses] a.sort")
    expect(page.locator("th[data-sort=licenses]")).to_have_attribute("aria-sort", "descending")
    # Contoso (now 2 seats at the vendor) and Fabrikam (2) lead; the tie breaks by name, descending too
    names = page.locator("#mapping-table tbody tr .cust-name")
    expect(names.nth(0)).to_have_text("Fabrikam")
    expect(names.nth(1)).to_have_text("Contoso Ltd")
    screenshot(page, "mapping-desktop")
