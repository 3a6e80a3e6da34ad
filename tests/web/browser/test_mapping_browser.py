"""Every step of the Customer Mapping Tool in the browser: vendor choice, search, sort, paging, map with
the keyboard, create an Organization, unmap with the red X, the Detached row disappearing, suggestions."""

import pytest
from playwright.sync_api import expect

from hub import mapping
from hub.audit import Actor
from hub.extensions import db
from hub.models import AuditEvent, VendorCustomer
from tests.web.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def world(mapped_world):
    """mapped_world plus a few Organizations to choose from; the test thread's session closed after."""
    for name, domain in (("Fabrikam Group", "fabrikam.com"), ("Tailspin Holdings", None), ("Wingtip Toys", None)):
        mapping.create_organization(name, Actor.cli("test"), domain=domain)
    db.session.commit()
    ids = {ext: c.id for ext, c in mapped_world["customers"].items()}
    db.session.remove()
    return ids


def names_in_table(page) -> list[str]:
    return page.locator("#mapping-table tbody .cust-name").all_inner_texts()


def row(page, name: str):
    return page.locator("#mapping-table tbody tr", has=page.locator(".cust-name", has_text=name))


def wait_for_names(page, expected: list[str]) -> None:
    # expect() polls without eval, which the panel's Content-Security-Policy forbids
    expect(page.locator("#mapping-table tbody .cust-name")).to_have_text(expected)


def test_no_integration_sends_you_to_the_app_center(page, users):
    sign_in(page, "billing")
    page.click("nav.sidebar >> text=Customer Mapping")
    page.wait_for_url("**/admin/apps/")
    assert "Set one up in the App Center first" in page.locator(".flash").inner_text()


def test_search_sort_and_page(page, world):
    sign_in(page, "viewer")
    page.click("nav.sidebar >> text=Customer Mapping")
    page.wait_for_url("**/admin/mapping/")
    assert page.locator("#vendor").input_value() == "fake"
    assert names_in_table(page) == ["Adventure Works", "Contoso Ltd", "Fabrikam", "Northwind Traders",
                                    "Tailspin Toys", "Wingtip"]
    assert row(page, "Contoso Ltd").locator(".badge").inner_text() == "Mapped"
    assert row(page, "Fabrikam").locator(".badge").inner_text() == "Not mapped"
    assert row(page, "Northwind Traders").locator(".badge").inner_text() == "Detached"
    colors = {name: row(page, name).locator(".badge").evaluate("b => getComputedStyle(b).color")
              for name in ("Contoso Ltd", "Fabrikam", "Northwind Traders")}
    assert colors["Contoso Ltd"] == "rgb(17, 99, 41)"  # green
    assert colors["Fabrikam"] == "rgb(66, 74, 83)"  # gray
    assert colors["Northwind Traders"] == "rgb(164, 14, 38)"  # red

    page.fill("#q", "ta")  # live search, on the server
    wait_for_names(page, ["Tailspin Toys"])
    assert "q=ta" in page.url  # the address keeps the view
    page.fill("#q", "")
    wait_for_names(page, ["Adventure Works", "Contoso Ltd", "Fabrikam", "Northwind Traders", "Tailspin Toys",
                          "Wingtip"])

    page.click("th[data-sort=name] a")  # already ascending: now descending
    wait_for_names(page, ["Wingtip", "Tailspin Toys", "Northwind Traders", "Fabrikam", "Contoso Ltd",
                          "Adventure Works"])
    assert page.get_attribute("th[data-sort=name]", "aria-sort") == "descending"
    page.click("th[data-sort=status] a")
    wait_for_names(page, ["Contoso Ltd", "Adventure Works", "Fabrikam", "Tailspin Toys", "Wingtip",
                          "Northwind Traders"])
    page.click("th[data-sort=organization] a")
    expect(page.locator("#mapping-table tbody .cust-name").first).to_have_text("Contoso Ltd")
    page.click("th[data-sort=vendor_status] a")
    page.click("th[data-sort=vendor_status] a")
    expect(page.locator("#mapping-table tbody .cust-name").first).to_have_text("Adventure Works")

    page.select_option("#per_page", "25")
    page.select_option("#status", "not_mapped")
    expect(page.locator("#mapping-table tbody tr")).to_have_count(4)
    assert page.locator(".pager-info").inner_text() == "1–4 of 4"
    assert page.locator(".org-pick").count() == 0  # viewers cannot map


def test_map_with_the_keyboard_then_unmap_with_the_red_x(page, world, app):
    sign_in(page, "billing")
    page.goto("/admin/mapping/")
    page.evaluate("window.__stillTheSamePage = true")

    # map: click the Organization cell of a Not mapped row, type, arrow down, Enter
    row(page, "Fabrikam").locator("td.c-org").click()
    editor = row(page, "Fabrikam").locator("input.org-input")
    assert editor.evaluate("e => e === document.activeElement")
    labels = page.locator(".org-option > span:first-child")
    editor.type("tail")  # the server filters as you type
    expect(labels).to_have_text(["Tailspin Holdings", "Create Organization “tail”"])  # the typed name
    assert page.get_attribute(".org-option >> nth=0", "aria-selected") == "true"
    editor.fill("")
    editor.type("o")  # several matches: choose with the arrow keys
    expect(labels).to_have_text(["Contoso", "Fabrikam Group", "Northwind", "Tailspin Holdings", "Wingtip Toys",
                                 "Create Organization “o”"])
    editor.press("ArrowDown")
    editor.press("ArrowDown")
    editor.press("ArrowUp")
    assert page.locator(".org-option[aria-selected=true] > span").first.inner_text() == "Fabrikam Group"
    assert editor.get_attribute("aria-activedescendant") == page.locator(".org-option[aria-selected=true]").get_attribute("id")
    editor.press("Enter")
    fabrikam = row(page, "Fabrikam")
    expect(fabrikam.locator(".badge")).to_have_text("Mapped")
    assert fabrikam.locator(".org-link").inner_text() == "Fabrikam Group"
    assert page.locator("[data-count=mapped]").inner_text() == "2"
    assert page.evaluate("window.__stillTheSamePage") is True  # no full reload
    with app.app_context():
        customer = db.session.get(VendorCustomer, world["c-2"])
        assert customer.organization.name == "Fabrikam Group"
        assert db.session.execute(db.select(AuditEvent).filter_by(
            action="mapping.map", entity_id=str(world["c-2"]), actor="billing@example.com")).scalar_one()
        db.session.remove()
    screenshot(page, "mapping-after-map")

    # Escape leaves a row unchanged
    row(page, "Wingtip").locator("td.c-org").click()
    row(page, "Wingtip").locator("input.org-input").press("Escape")
    assert row(page, "Wingtip").locator(".org-pick").count() == 1

    # create an Organization in one step (the last option): with nothing typed, named after the customer
    row(page, "Tailspin Toys").locator(".org-pick").click()
    editor = row(page, "Tailspin Toys").locator("input.org-input")
    expect(page.locator(".org-option").last).to_have_text("Create Organization “Tailspin Toys”")
    editor.type("zzz-no-such")
    expect(page.locator(".org-option")).to_have_text(["Create Organization “zzz-no-such”"])  # what was typed
    editor.press("ArrowDown")
    assert page.locator(".org-option[aria-selected=true]").inner_text() == "Create Organization “zzz-no-such”"
    editor.press("Enter")
    row(page, "Tailspin Toys").locator(".org-link", has_text="zzz-no-such").wait_for()

    # unmap: the X, then the red X that appears to confirm
    fabrikam.locator("button.unmap").click()
    confirm = fabrikam.locator("button.unmap-confirm")
    assert confirm.is_visible()
    assert confirm.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(207, 34, 46)"  # red
    assert fabrikam.locator(".badge").inner_text() == "Mapped"  # nothing happens before the confirm
    confirm.click()
    expect(fabrikam.locator(".badge")).to_have_text("Not mapped")
    assert fabrikam.locator(".org-pick").count() == 1

    # a Detached row disappears when unmapped
    northwind = row(page, "Northwind Traders")
    assert northwind.locator(".badge").inner_text() == "Detached"
    northwind.locator("button.unmap").click()
    northwind.locator("button.unmap-confirm").click()
    northwind.wait_for(state="detached")
    assert "Northwind Traders" not in names_in_table(page)
    assert page.locator("[data-count=detached]").inner_text() == "0"
    with app.app_context():
        assert db.session.get(VendorCustomer, world["c-3"]).archived_at is not None  # off the table, kept
        db.session.remove()
    assert page.evaluate("window.__stillTheSamePage") is True


def test_suggested_matches_one_by_one_and_in_bulk(page, world, app):
    sign_in(page, "billing")
    page.goto("/admin/mapping/")
    page.click("#suggest-button")
    page.locator("#suggestion-table tbody tr[data-customer]").first.wait_for()
    suggestions = page.locator("#suggestion-table tbody tr")
    found = {tr.locator("td").nth(1).inner_text(): tr.locator("td").nth(2).inner_text() for tr in suggestions.all()}
    assert found["Fabrikam"] == "Fabrikam Group"
    assert found["Wingtip"] == "Wingtip Toys"
    screenshot(page, "mapping-suggestions")
    first = page.locator("#suggestion-table tbody tr", has_text="Wingtip Toys")
    first.locator("button", has_text="Accept").click()
    expect(row(page, "Wingtip").locator(".badge")).to_have_text("Mapped")
    page.check("#suggest-all")
    page.click("#accept-selected")
    expect(row(page, "Fabrikam").locator(".badge")).to_have_text("Mapped")
    expect(page.locator("#suggestion-table tbody tr[data-customer]")).to_have_count(0)
    with app.app_context():
        assert db.session.get(VendorCustomer, world["c-5"]).organization.name == "Wingtip Toys"
        db.session.remove()
