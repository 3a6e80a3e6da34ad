"""In Chromium: a billing user adds a one-off charge from the Billing menu, then issues a manual invoice
for the same Organization with a typed line and that charge; the charge shows as billed on it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from hub.extensions import db
from hub.models import Invoice, OneOffCharge
from tests.web.billing_fixtures import build_billing
from tests.web.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def billing_ids(mapped_world, fake_vendor):
    ids = build_billing(fake_vendor, mapped_world)
    ids["contoso"] = mapped_world["orgs"]["Contoso"].id
    db.session.remove()  # no read transaction left open in the test thread (SQLite would block the server)
    return ids


def _read(app, fn):
    with app.app_context():
        try:
            return fn()
        finally:
            db.session.remove()


def test_add_a_charge_then_issue_a_manual_invoice_with_it(page, app, billing_ids):
    sign_in(page, "billing")
    page.click("nav.sidebar >> text=One-off charges")
    page.wait_for_url("**/billing/charges")
    page.click("#new-charge")
    page.select_option("#f-organization_id", str(billing_ids["contoso"]))
    page.fill("#f-description", "Firewall install")
    page.fill("#f-quantity", "two")  # refused, named, nothing saved
    page.fill("#f-unit_price", "120")
    page.click("#charge-form button[type=submit]")
    expect(page.locator("#quantity-error")).to_contain_text("Quantity: enter a number like 12.50")
    page.fill("#f-quantity", "2")
    page.click("#charge-form button[type=submit]")
    page.wait_for_url("**/billing/charges?organization_id=*")
    row = page.locator("#charges tbody tr[data-charge-id]")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Firewall install")
    expect(row).to_contain_text("240.00")
    expect(row).to_contain_text("pending")
    screenshot(page, "billing-one-off-charges")

    page.click("#new-manual-invoice")
    page.wait_for_url("**/billing/invoices/manual*")
    page.fill("[name='lines.0.description']", "Hardware: router")
    page.fill("[name='lines.0.quantity']", "1")
    page.fill("[name='lines.0.unit_price']", "349.99")
    page.check("#manual-charges input[name=charge_ids]")
    page.evaluate("window.confirm = () => true")  # the form asks before issuing; the fixture dismisses dialogs
    page.click("#issue-manual")
    page.wait_for_url("**/billing/invoices/*")
    expect(page.locator(".flash-success")).to_contain_text("Manual invoice INV-")
    lines = page.locator("#invoice-lines tbody tr")
    expect(lines).to_have_count(2)
    expect(lines.nth(0)).to_contain_text("Hardware: router")
    expect(lines.nth(1)).to_contain_text("Firewall install")
    expect(page.locator("#invoice-total")).to_have_text("589.99")
    screenshot(page, "billing-manual-invoice")

    charge = _read(app, lambda: db.session.execute(db.select(OneOffCharge)).scalar_one())
    invoice = _read(app, lambda: db.session.get(Invoice, charge.invoice_id))
    assert invoice.recurring_invoice_id is None and invoice.status == "issued"
    page.goto("/billing/charges?state=billed")
    expect(page.locator("#charges tbody tr[data-charge-id]")).to_contain_text("billed on INV-")
