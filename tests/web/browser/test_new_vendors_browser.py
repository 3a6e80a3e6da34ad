"""The vendors added in issue 14, in Chromium: a Pax8 Microsoft 365 customer mapped with the type-ahead
whose recurring line follows a count change at Pax8, and a CSV file imported, previewed and applied
from the panel, at desktop and phone widths."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from hub import integrations, mapping
from hub.audit import Actor
from hub.billing import catalog, recurring
from hub.extensions import db
from hub.models import RecurringLine, VendorCustomer, VendorSku
from hub.sync import run_sync
from hub.testing.server import serve
from tests.conftest import make_test_config
from tests.web.browser.conftest import assert_fits, screenshot, sign_in

pytestmark = pytest.mark.browser

SETUP = Actor.cli("browser-test")


@pytest.fixture
def app_config(tmp_path, database_url):
    return make_test_config(tmp_path, database_url, WTF_CSRF_ENABLED=True, HUB_SYNC_IN_BACKGROUND=True,
                            HUB_LOAD_ENTRY_POINTS=True)


@pytest.fixture
def pax8(app, users):
    """Pax8 configured against its simulator and synced once; Microsoft 365 Business Premium priced."""
    simulator = app.extensions["hub.plugins"].handle("pax8").demo_simulator()
    with serve(simulator.make_app(12), name="pax8-simulator") as served:
        integrations.configure("pax8", simulator.config_for(served.base_url), SETUP, enable=True)
        assert run_sync("pax8").status == "succeeded"
        state = served.app.state
        m365 = next(p for p, (name, *_rest) in state.products.items() if name == "Microsoft 365 Business Premium")
        company = next(c for c in state.listed_companies() if c.status == "Active" and any(
            s.company_id == c.id and s.product_id == m365 and s.status == "Active" for s in state.subscriptions.values()))
        sku = db.session.execute(db.select(VendorSku).filter_by(sku=m365)).scalar_one()
        product = catalog.create_product("M365-BP", "Microsoft 365 Business Premium", "22.00", SETUP)
        catalog.map_sku(sku.id, product.id, SETUP)
        org = mapping.create_organization("Harbor Dental Group", SETUP)
        schedule = recurring.create_recurring_invoice(org.id, SETUP, next_run_date="2030-01-31")
        line = recurring.add_line(schedule.id, SETUP, kind="vendor", product_id=product.id,
                                  integration_id=integrations.get_integration("pax8").id)
        db.session.commit()
        ids = {"company": company.id, "org": "Harbor Dental Group", "line": line.id, "recurring": schedule.id,
               "m365": m365, "customer": company.name}
        db.session.remove()
        yield served, ids


def billed(state, company_id, product_id):
    return sum(s.quantity for s in state.subscriptions.values() if s.company_id == company_id
               and s.product_id == product_id and s.status in ("Active", "PendingCancel", "Activated"))


def test_a_pax8_microsoft_365_customer_mapped_and_its_line_following_pax8(page, app, pax8):
    served, ids = pax8
    state = served.app.state
    sign_in(page, "admin")
    page.goto(f"/admin/mapping/?vendor=pax8&q={ids['customer']}")
    row = page.locator("#mapping-table tbody tr", has=page.locator(".cust-name", has_text=ids["customer"]))
    expect(row).to_have_count(1)
    row.locator("td.c-org").click()
    editor = row.locator("input.org-input")
    editor.type("Harbor Dental")
    expect(page.locator(".org-option > span:first-child").first).to_have_text(ids["org"])
    editor.press("Enter")
    expect(row.locator(".badge")).to_have_text("Mapped")
    expect(row.locator(".lic").first).to_contain_text("Microsoft 365 Business Premium (Microsoft): ")

    with app.app_context():
        quantity = db.session.get(RecurringLine, ids["line"]).quantity
        db.session.remove()
    assert quantity == billed(state, ids["company"], ids["m365"])

    sub = next(s for s in state.subscriptions.values()
               if s.company_id == ids["company"] and s.product_id == ids["m365"] and s.status == "Active")
    state.update_subscription(sub.id, quantity=sub.quantity + 3)  # three more seats bought at Pax8
    page.goto("/admin/apps/pax8")
    runs_before = page.locator("#runs tbody tr").count()
    page.click("button:has-text('Sync now')")
    expect(page.locator("#runs tbody tr")).to_have_count(runs_before + 1, timeout=30_000)
    expect(page.locator("#runs tbody tr").first.locator(".badge")).to_have_text("succeeded", timeout=30_000)
    page.goto(f"/billing/recurring/{ids['recurring']}")
    line = page.locator("#lines tbody tr[data-kind=vendor]")
    expected = billed(state, ids["company"], ids["m365"])
    expect(line.locator(".line-quantity")).to_have_text(str(int(expected)))
    expect(line.locator(".line-source")).to_contain_text(f"{int(expected)} counted at")
    screenshot(page, "pax8-line-follows")


@pytest.mark.parametrize("width", [1366, 390])
def test_a_csv_file_imported_previewed_and_applied(page, app, users, tmp_path, width):
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, "admin")
    page.goto("/admin/apps/")
    card = page.locator(".app[data-slug='csv_import']")
    card.locator("input[name=display_name]").fill("Datto via CSV")
    card.locator("input[name=slug]").fill("datto-csv")
    card.locator("button", has_text="Add a vendor").click()
    page.wait_for_url("**/admin/apps/datto-csv/import")

    bad = tmp_path / "bad.csv"
    bad.write_text("Customer ID;Customer Name;SKU;Quantity\nD-1;Blue Peak Dental;SIRIS;4\nD-2;Harbor;SIRIS;-1\n")
    page.set_input_files("#f-file", str(bad))
    page.click("button:has-text('Preview')")
    expect(page.locator("#import-problems")).to_contain_text("quantity '-1' is negative")
    expect(page.locator("#import-problems td").first).to_have_text("3")
    expect(page.locator("#apply-form")).to_have_count(0)  # a bad file offers nothing to apply

    good = tmp_path / "good.csv"
    good.write_bytes("\ufeffCustomer ID;Customer Name;SKU;Quantity;Unit\r\nD-1;Blue Peak Dental;SIRIS;4;device\r\n"
                     "D-2;\"Harbor; Lane Legal\";SIRIS;2,5;device\r\n".encode("utf-8"))
    page.click("text=Choose another file")
    page.set_input_files("#f-file", str(good))
    page.check("input[name=complete_listing]")
    page.click("button:has-text('Preview')")
    expect(page.locator("#import-summary")).to_contain_text("2 new")
    expect(page.locator("#import-counts tbody tr")).to_have_count(2)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(VendorCustomer)) == 0  # nothing yet
        db.session.remove()
    screenshot(page, f"csv-import-preview-{width}")
    assert_fits(page, "the preview")
    page.click("button:has-text('Apply this file')")
    page.wait_for_url("**/admin/apps/datto-csv")
    expect(page.locator(".flash-success")).to_contain_text("2 new")
    with app.app_context():
        names = dict(db.session.execute(db.select(VendorCustomer.external_id, VendorCustomer.name)).all())
        db.session.remove()
    assert names == {"D-1": "Blue Peak Dental", "D-2": "Harbor; Lane Legal"}
    page.goto("/admin/mapping/?vendor=datto-csv")
    expect(page.locator("#vendor option:checked")).to_have_text("Datto via CSV")
