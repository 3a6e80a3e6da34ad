"""Destinations in the browser: set up QuickBooks, Connect through the provider and back, the mapping
step (auto-match, confirm), and an invoice's delivery state with its external link."""

from __future__ import annotations

import re
from datetime import date

import pytest

from hub.billing import catalog, recurring
from hub.billing.invoicing import run_due_invoices
from hub.destinations import mappings
from hub.destinations.push import run_pushes
from hub.extensions import db
from tests.destinations.conftest import ADMIN, qbo_plugin, qbo_sim, sim_config  # noqa: F401  (fixtures)
from tests.web.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser


def test_connect_map_and_see_the_invoice_pushed(page, app, qbo_plugin, qbo_sim):  # noqa: F811
    sign_in(page, "admin")
    page.goto("/admin/apps/")
    card = page.locator("[data-destination=quickbooks]")
    assert "Not connected" in card.inner_text()
    card.locator("a", has_text="Set up").click()
    page.wait_for_url("**/admin/destinations/quickbooks")
    for name, value in sim_config(qbo_sim).items():
        page.fill(f"#f-{name}", value)
    page.click("button:has-text('Save settings')")
    assert "settings saved" in page.locator(".flash-success").inner_text()

    page.click("button:has-text('Connect')")  # to the provider, and back to the hub's callback
    page.locator(".flash-success", has_text="Connected to").wait_for()
    assert "Connected to Sandbox Company_US_1" in page.locator(".flash-success").inner_text()
    assert page.locator("#connection-state").inner_text() == "Connected"
    page.click("button:has-text('Start pushing')")
    assert "Enabled" in page.locator(".flash-success").inner_text()

    with app.app_context():
        from hub import mapping

        contoso = mapping.create_organization("Customer 001", ADMIN)
        product = catalog.create_product("EP", "Managed Endpoint", "12.50", ADMIN)
        schedule = recurring.create_recurring_invoice(contoso.id, ADMIN, next_run_date=date(2024, 1, 1))
        recurring.add_line(schedule.id, ADMIN, kind="standard", product_id=product.id, quantity="3")
        ids = (contoso.id, product.id, schedule.id)
        db.session.remove()

    page.goto("/admin/destinations/quickbooks/mappings/customer")
    page.click("button:has-text('Auto-match by name')")
    assert "1 match(es) by name suggested" in page.locator(".flash-success").inner_text()
    assert page.locator(f"tr[data-key='{ids[0]}']").get_attribute("data-status") == "suggested"
    page.click("#confirm-form button:has-text('Confirm selected')")
    assert page.locator(f"tr[data-key='{ids[0]}']").get_attribute("data-status") == "confirmed"
    page.goto("/admin/destinations/quickbooks/mappings/item")
    page.click("button:has-text('Auto-match by name')")
    page.click("#confirm-form button:has-text('Confirm selected')")
    screenshot(page, "destination-mappings")

    with app.app_context():
        invoice_id = run_due_invoices(date(2024, 1, 1), ADMIN, recurring_ids=[ids[2]]).issued[0]
        [report] = run_pushes(session_options={"sleep": lambda s: None})
        assert report.pushed == [invoice_id]
        db.session.remove()
    page.goto(f"/billing/invoices/{invoice_id}")
    delivery = page.locator("#accounting")
    assert "Pushed to QuickBooks Online as" in delivery.inner_text()
    link = delivery.locator("a").first.get_attribute("href")
    assert re.fullmatch(r"https://app\.qbo\.intuit\.com/app/invoice\?txnId=\d+", link)
    screenshot(page, "invoice-delivery")
