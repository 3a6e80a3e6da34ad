"""Delivery in Chromium: the company settings page (details and logo) and an invoice's delivery state
after "Send e-mail", at desktop width and at 390 px (a phone): nothing may overflow the page sideways."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from hub.delivery import contacts, smtp
from hub.extensions import db
from hub.models import CompanySettings
from tests.delivery.smtp_server import SmtpServer
from tests.delivery.test_pdf import png
from tests.web.billing_fixtures import SETUP, build_billing
from tests.web.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser

WIDTHS = {"desktop": 1280, "phone": 390}


def no_sideways_overflow(page, width: int) -> None:
    # measured once the page has loaded: text can match while the stylesheet of a page just navigated to is
    # still on its way, and an unstyled table is wider than the phone (seen once in CI, at load, on PostgreSQL)
    page.wait_for_load_state("load")
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"the page is {scroll_width} px wide at a {width} px viewport"


def _read(app, fn):
    with app.app_context():
        try:
            return fn()
        finally:
            db.session.remove()


@pytest.mark.parametrize("size", list(WIDTHS))
def test_company_settings_page(page, app, size, tmp_path):
    page.set_viewport_size({"width": WIDTHS[size], "height": 900})
    sign_in(page, "admin")
    page.goto("/settings/company")
    page.fill("#f-name", "Example MSP GmbH")
    page.fill("#f-address", "1 Main Street\n10115 Berlin")
    page.fill("#f-payment_due_days", "400")
    page.click("#company-form button[type=submit]")
    expect(page.locator("#payment_due_days-error")).to_have_text("Payment terms (days): enter 365 or less")
    page.fill("#f-payment_due_days", "14")
    page.fill("#f-tax_id", "DE123456789")
    page.click("#company-form button[type=submit]")
    expect(page.locator(".flash-success")).to_have_text("Company settings saved.")
    expect(page.locator("#f-address")).to_have_value("1 Main Street\n10115 Berlin")

    bad = tmp_path / "logo.png"
    bad.write_bytes(b"<svg xmlns='http://www.w3.org/2000/svg'/>")
    page.set_input_files("#f-logo", str(bad))
    page.click("#logo-form button:has-text('Upload logo')")
    expect(page.locator("#logo-error")).to_contain_text("Logo: choose a PNG or JPEG image")
    good = tmp_path / "good.png"
    good.write_bytes(png(120, 40))
    page.set_input_files("#f-logo", str(good))
    page.click("#logo-form button:has-text('Upload logo')")
    expect(page.locator(".flash-success")).to_have_text("Logo saved.")
    expect(page.locator("#current-logo")).to_be_visible()
    assert page.evaluate("document.getElementById('current-logo').naturalWidth") == 120
    no_sideways_overflow(page, WIDTHS[size])
    screenshot(page, f"delivery-company-{size}")
    def saved():
        row = db.session.get(CompanySettings, 1)
        return row.name, row.payment_due_days, row.logo_mime
    assert _read(app, saved) == ("Example MSP GmbH", 14, "image/png")


@pytest.fixture
def invoice_to_send(mapped_world, fake_vendor):
    with SmtpServer() as server:
        ids = build_billing(fake_vendor, mapped_world)
        smtp.save_settings(server.settings(), None, SETUP)
        contacts.set_contacts(mapped_world["orgs"]["Contoso"].id, "ap@contoso.example", "books@contoso.example",
                              SETUP)
        db.session.remove()
        yield ids, server


@pytest.mark.parametrize("size", list(WIDTHS))
def test_an_invoice_delivery_state(page, app, size, invoice_to_send):
    ids, server = invoice_to_send
    page.set_viewport_size({"width": WIDTHS[size], "height": 900})
    sign_in(page, "billing")
    page.goto(f"/billing/invoices/{ids['invoice_id']}")
    expect(page.locator("#delivery-state")).to_have_text("not sent")
    page.click("#send-form button")
    expect(page.locator(".flash-success")).to_contain_text("e-mailed to ap@contoso.example")
    expect(page.locator("#delivery-state")).to_have_text("e-mailed")
    expect(page.locator("#delivery")).to_contain_text("to ap@contoso.example (cc books@contoso.example) on")
    expect(page.locator("#deliveries tbody tr")).to_have_count(1)
    expect(page.locator("#deliveries tbody tr")).to_contain_text("queued as TEST123")
    expect(page.locator("#send-form button")).to_have_text("Resend e-mail")
    assert len(server.received) == 1
    no_sideways_overflow(page, WIDTHS[size])
    screenshot(page, f"delivery-invoice-{size}")

    page.goto("/billing/invoices?delivery=emailed")
    expect(page.locator("#invoices tbody tr[data-status]")).to_have_count(1)
    expect(page.locator("#invoices td.delivery")).to_have_text("e-mailed")
    page.select_option("#delivery", "failed")
    page.click("form.toolbar button[type=submit]")
    expect(page.locator("#invoices tbody")).to_contain_text("No invoices failed.")
    no_sideways_overflow(page, WIDTHS[size])
