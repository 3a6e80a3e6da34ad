"""Mapping details of issue 13, at 1366 and 390 px: Enter with no match says so and offers to create the
typed name; the created Organization takes that name; the empty state (and no stale pager or counts) after
the last row of a page goes; the status counts refresh when the filter changes."""

import pytest
from playwright.sync_api import expect

from hub import mapping
from hub.audit import Actor
from hub.extensions import db
from hub.models import VendorCustomer
from tests.web.browser.conftest import screenshot, sign_in
from tests.web.browser.test_mapping_browser import row, world  # noqa: F401  (the fixture)

pytestmark = pytest.mark.browser

WIDTHS = {"desktop": (1366, 900), "phone": (390, 844)}


@pytest.fixture(params=sorted(WIDTHS))
def sized_page(request, page):
    width, height = WIDTHS[request.param]
    page.set_viewport_size({"width": width, "height": height})
    page.width_name = request.param
    return page


def test_enter_with_no_match_offers_to_create_the_typed_name(sized_page, world, app):
    page = sized_page
    sign_in(page, "billing")
    page.goto("/admin/mapping/")
    row(page, "Fabrikam").locator(".org-pick").click()
    editor = row(page, "Fabrikam").locator("input.org-input")
    editor.type("Skyline Aviation")
    editor.press("Enter")  # no Organization matches: nothing is chosen, the editor says so
    message = row(page, "Fabrikam").locator(".field-error")
    expect(message).to_contain_text("No Organization matches “Skyline Aviation”")
    selected = page.locator(".org-option[aria-selected=true]")
    expect(selected).to_have_text("Create Organization “Skyline Aviation”")
    assert row(page, "Fabrikam").locator(".badge").inner_text() == "Not mapped"
    screenshot(page, f"mapping-no-match-{page.width_name}")
    editor.press("Enter")  # again: create it, named as typed
    expect(row(page, "Fabrikam").locator(".org-link")).to_have_text("Skyline Aviation")
    expect(page.locator("[data-count=mapped]")).to_have_text("2")
    with app.app_context():
        assert db.session.get(VendorCustomer, world["c-2"]).organization.name == "Skyline Aviation"
        db.session.remove()


def test_last_row_gone_shows_the_empty_state_and_fresh_counts(sized_page, world, app):
    page = sized_page
    sign_in(page, "billing")
    page.goto("/admin/mapping/")
    expect(page.locator("[data-count=mapped]")).to_have_text("1")
    with app.app_context():  # a change elsewhere (another person, a sync) after the page loaded
        mapping.map_customer(world["c-2"], db.session.get(VendorCustomer, world["c-1"]).organization_id,
                             Actor.cli("test"))
        db.session.remove()
    page.select_option("#status", "detached")  # the filter change brings the counts up to date
    expect(page.locator("[data-count=mapped]")).to_have_text("2")
    expect(page.locator("#mapping-table tbody .cust-name")).to_have_text(["Northwind Traders"])
    expect(page.locator("#mapping-pager")).to_contain_text("1–1 of 1")

    northwind = row(page, "Northwind Traders")
    northwind.locator("button.unmap").click()
    northwind.locator("button.unmap-confirm").click()
    northwind.wait_for(state="detached")
    expect(page.locator("#mapping-empty")).to_be_visible()
    expect(page.locator("#mapping-empty")).to_contain_text("No vendor customers match")
    expect(page.locator("#mapping-pager")).not_to_contain_text("of 1")
    expect(page.locator("[data-count=detached]")).to_have_text("0")
    screenshot(page, f"mapping-empty-after-unmap-{page.width_name}")
