"""A credit note's page in Chromium at desktop width and at 390 px (a phone): reached from its invoice's page,
"Send e-mail", its delivery state and attachment; nothing may overflow the page sideways."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from hub.billing import credit_notes
from hub.extensions import db
from tests.web.browser.conftest import assert_fits, screenshot, sign_in
from tests.web.browser.test_delivery_browser import WIDTHS, invoice_to_send  # noqa: F401  (the fixture)
from tests.web.billing_fixtures import SETUP

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("size", list(WIDTHS))
def test_a_credit_note_page_and_its_e_mail(page, app, size, invoice_to_send):
    """From the invoice page's link to the credit note's page: its lines, then "Send e-mail" and its state."""
    ids, server = invoice_to_send
    with app.app_context():
        note_id = credit_notes.create_credit_note(ids["invoice_id"], SETUP, "Seats returned <early>").id
        db.session.remove()
    page.set_viewport_size({"width": WIDTHS[size], "height": 900})
    sign_in(page, "billing")
    page.goto(f"/billing/invoices/{ids['invoice_id']}")
    page.click("#credit-notes a:has-text('CN-000001')")
    expect(page.locator("h1")).to_have_text("Credit note CN-000001")
    expect(page.locator("#credit-reason")).to_have_text("Seats returned <early>")
    expect(page.locator("#delivery-state")).to_have_text("not sent")
    page.click("#send-form button")
    expect(page.locator(".flash-success")).to_contain_text("Credit note CN-000001 e-mailed to ap@contoso.example")
    expect(page.locator("#delivery-state")).to_have_text("e-mailed")
    expect(page.locator("#deliveries tbody tr")).to_have_count(1)
    expect(page.locator("#send-form button")).to_have_text("Resend e-mail")
    assert page.url.endswith(f"/billing/credit-notes/{note_id}")
    assert [a.get_filename() for r in server.received for a in r.message.iter_attachments()] \
        == ["credit-note-CN-000001.pdf"]
    assert_fits(page, "the credit note page")
    screenshot(page, f"delivery-credit-note-{size}")
