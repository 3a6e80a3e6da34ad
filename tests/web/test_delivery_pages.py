"""Delivery pages: company settings and logo, SMTP settings (write-only password, test e-mail), billing
contacts, an invoice's PDF, send and delivery state, the invoice list's delivery filter, the dashboard."""

from __future__ import annotations

import io

import pytest

from hub.delivery import contacts, outbox, smtp
from hub.delivery.pdf import render_invoice_pdf
from hub.extensions import db
from hub.models import AuditEvent, BillingContact, CompanySettings, Invoice, SmtpSettings
from tests.delivery.smtp_server import SmtpServer, free_port
from tests.delivery.test_pdf import png
from tests.web.billing_fixtures import SETUP, billing_world  # noqa: F401

PASSWORD = "hunter2-but-longer"


@pytest.fixture
def smtp_server():
    with SmtpServer() as server:
        yield server


def test_company_settings_saved_checked_and_for_admins_only(client, auth):
    auth.login("billing")
    assert client.get("/settings/company").status_code == 403
    auth.logout()
    auth.login("admin")
    page = client.get("/settings/company")
    assert page.status_code == 200 and b'id="company-form"' in page.data
    bad = client.post("/settings/company", data={"name": "Example MSP", "payment_due_days": "-1"})
    assert bad.status_code == 400 and b"Payment terms (days): enter 0 or more" in bad.data
    assert db.session.get(CompanySettings, 1) is None
    ok = client.post("/settings/company", data={"name": "Example MSP", "address": "1 Main St",
                                                 "payment_due_days": "14", "tax_id": "DE1"})
    assert ok.status_code == 303
    row = db.session.get(CompanySettings, 1)
    assert (row.name, row.address, row.payment_due_days, row.tax_id) == ("Example MSP", "1 Main St", 14, "DE1")
    # payment terms: new recurring invoices start with them
    assert b'name="due_days" value="14"' in client.get("/billing/recurring/new").data


def test_logo_upload_is_checked(client, auth):
    auth.login("admin")
    bad = client.post("/settings/company/logo", data={"logo": (io.BytesIO(b"<svg/>"), "logo.png")},
                      content_type="multipart/form-data")
    assert bad.status_code == 400 and b"Logo: choose a PNG or JPEG image" in bad.data
    ok = client.post("/settings/company/logo", data={"logo": (io.BytesIO(png()), "logo.png")},
                     content_type="multipart/form-data")
    assert ok.status_code == 303
    assert db.session.get(CompanySettings, 1).logo_mime == "image/png"
    page = client.get("/settings/company").data
    assert b'<img src="data:image/png;base64,' in page and b'id="current-logo"' in page
    client.post("/settings/company/logo", data={"remove": "1"})
    assert db.session.get(CompanySettings, 1).logo is None


def test_smtp_password_is_write_only_and_the_test_mail_saves_nothing(client, auth, smtp_server):
    auth.login("admin")
    form = {**smtp_server.settings(), "password": PASSWORD, "test_to": "me@msp.example"}
    tested = client.post("/settings/email", data={**form, "action": "test"})
    assert tested.status_code == 200 and b"Test e-mail sent to me@msp.example" in tested.data
    assert len(smtp_server.received) == 1 and db.session.get(SmtpSettings, 1) is None
    assert PASSWORD.encode() not in tested.data
    saved = client.post("/settings/email", data={**form, "action": "save"})
    assert saved.status_code == 303
    page = client.get("/settings/email")
    assert PASSWORD.encode() not in page.data and b"A password is stored (never shown)" in page.data
    assert smtp.stored_password() == PASSWORD
    events = repr([(e.old_value, e.new_value, e.details) for e in db.session.execute(db.select(AuditEvent)).scalars()])
    assert PASSWORD not in events
    refused = client.post("/settings/email", data={**form, "port": str(free_port()), "action": "save"})
    assert refused.status_code == 400 and b"the connection check failed" in refused.data
    assert PASSWORD.encode() not in refused.data
    assert db.session.get(SmtpSettings, 1).port == smtp_server.port


def test_billing_contacts_refuse_bad_addresses(client, auth, billing_world):
    auth.login("billing")
    org_id = billing_world["orgs"]["Contoso"].id
    url = f"/organizations/{org_id}/billing-contacts"
    bad = client.post(url, data={"to": "ap@contoso.example\nnot an address", "cc": ""})
    assert bad.status_code == 400 and b"is not a valid e-mail address" in bad.data
    assert db.session.get(BillingContact, org_id) is None
    ok = client.post(url, data={"to": "ap@contoso.example", "cc": "books@contoso.example"})
    assert ok.status_code == 303
    detail = client.get(f"/organizations/{org_id}").data
    assert b"ap@contoso.example" in detail and b"books@contoso.example" in detail


def test_invoice_pdf_send_and_delivery_state(client, auth, billing_world, smtp_server):
    invoice_id = billing_world["invoice_id"]
    smtp.save_settings(smtp_server.settings(), None, SETUP)
    auth.login("viewer")
    pdf = client.get(f"/billing/invoices/{invoice_id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.headers["Content-Disposition"] == 'attachment; filename="invoice-INV-000001.pdf"'
    assert pdf.data == render_invoice_pdf(db.session.get(Invoice, invoice_id))
    page = client.get(f"/billing/invoices/{invoice_id}").data
    assert b'data-delivery-state="not_sent"' in page and b"Send e-mail" not in page  # viewers cannot send
    auth.logout()

    auth.login("billing")
    no_contact = client.post(f"/billing/invoices/{invoice_id}/send")
    assert no_contact.status_code == 303
    assert b"has no billing contact" in client.get(f"/billing/invoices/{invoice_id}").data
    listed = client.get("/billing/invoices?delivery=failed").data
    assert b"INV-000001" in listed
    assert b"failed" in client.get("/").data and b'id="failed-deliveries"' in client.get("/").data

    contacts.set_contacts(billing_world["orgs"]["Contoso"].id, "ap@contoso.example", "", SETUP)
    client.post(f"/billing/invoices/{invoice_id}/send", data={"resend": "1"})
    assert len(smtp_server.received) == 1
    page = client.get(f"/billing/invoices/{invoice_id}").data
    assert b'data-delivery-state="emailed"' in page and b"to ap@contoso.example on" in page
    assert b"INV-000001" in client.get("/billing/invoices?delivery=emailed").data
    assert b"INV-000001" not in client.get("/billing/invoices?delivery=failed").data
    assert b"INV-000001" not in client.get("/billing/invoices?delivery=not_sent").data
    assert b'id="failed-deliveries"' not in client.get("/").data


def test_recurring_send_choice(client, auth, billing_world):
    auth.login("billing")
    recurring_id = billing_world["recurring_id"]
    assert not outbox.sends_on_issue(recurring_id)
    client.post(f"/billing/recurring/{recurring_id}/delivery", data={"send_on_issue": "true"})
    assert outbox.sends_on_issue(recurring_id)
    assert b"sent to the billing contacts when issued" in client.get(f"/billing/recurring/{recurring_id}").data
    assert client.post(f"/billing/recurring/{recurring_id}/delivery", data={"send_on_issue": "x"}).status_code == 400


def test_email_template_page_refuses_unknown_placeholders(client, auth):
    auth.login("admin")
    bad = client.post("/settings/email/template", data={"subject": "Invoice {nope}", "body": "x"})
    assert bad.status_code == 400 and b"unknown placeholder {nope}" in bad.data
    assert client.post("/settings/email/template", data={"subject": "Invoice {invoice_number}",
                                                           "body": "Hi"}).status_code == 303
