"""A credit note's page and its e-mail in the panel, CSRF on as in production: the delivery card, send and
resend (billing and admins; the token required), the dashboard's failed e-mails, the credit form's "e-mail
it" choice, the credit note e-mail template; customer text escaped."""

from __future__ import annotations

import pytest

from hub.billing import credit_notes
from hub.delivery import contacts, outbox, smtp, templates
from hub.extensions import db
from hub.models import CreditNote, Invoice, InvoiceDelivery
from tests.conftest import make_test_config
from tests.delivery.smtp_server import SmtpServer
from tests.web.billing_fixtures import SETUP, billing_world  # noqa: F401
from tests.web.conftest import PASSWORD, csrf_token_from


@pytest.fixture
def app_config(tmp_path, database_url):
    return make_test_config(tmp_path, database_url, HUB_SYNC_IN_BACKGROUND=False, WTF_CSRF_ENABLED=True)


@pytest.fixture
def smtp_server():
    with SmtpServer() as server:
        yield server


def login(client, role: str, signed_in: str | None = None) -> str:
    """Sign in as ``role`` through the form (signing ``signed_in``'s session out first); the CSRF token."""
    if signed_in:
        assert client.post("/logout", data={"csrf_token": signed_in}).status_code in (302, 303)
    token = csrf_token_from(client.get("/login").data.decode())
    signed_in = client.post("/login", data={"email": f"{role}@example.com", "password": PASSWORD, "csrf_token": token})
    assert signed_in.status_code == 302
    return csrf_token_from(client.get("/").data.decode())


@pytest.fixture
def note(billing_world) -> CreditNote:
    return credit_notes.create_credit_note(billing_world["invoice_id"], SETUP, "<script>alert('reason')</script>")


def _open(note_id: int) -> list[InvoiceDelivery]:
    db.session.expire_all()
    return list(db.session.execute(db.select(InvoiceDelivery).filter_by(credit_note_id=note_id)).scalars())


def test_send_and_resend_from_the_credit_note_page(client, users, note, smtp_server):
    smtp.save_settings(smtp_server.settings(), None, SETUP)
    page_url, send_url = f"/billing/credit-notes/{note.id}", f"/billing/credit-notes/{note.id}/send"
    viewer = login(client, "viewer")
    page = client.get(page_url).data.decode()
    assert 'data-delivery-state="not_sent"' in page and 'id="send-form"' not in page  # viewers cannot send
    assert "&lt;script&gt;alert(&#39;reason&#39;)&lt;/script&gt;" in page and "<script>alert(" not in page
    assert client.post(send_url, data={"csrf_token": viewer}).status_code == 403

    token = login(client, "billing", viewer)
    page = client.get(page_url).data.decode()
    assert 'id="send-form"' in page and "Send e-mail" in page
    assert client.post(send_url).status_code == 400  # no CSRF token: refused, nothing queued
    assert client.post(send_url, data={"csrf_token": "forged"}).status_code == 400
    assert _open(note.id) == []
    assert client.post(send_url, data={"csrf_token": token}).status_code == 303
    page = client.get(page_url).data.decode()
    assert 'data-delivery-state="failed"' in page and "has no billing contact" in page
    assert "Resend e-mail" in page
    dashboard = client.get("/").data.decode()
    assert 'id="failed-credit-notes"' in dashboard and "1 credit note e-mail failed" in dashboard
    assert f'href="/billing/credit-notes/{note.id}"' in dashboard

    contacts.set_contacts(note.organization_id, "ap@contoso.example", "", SETUP)
    assert client.post(send_url, data={"csrf_token": token, "resend": "1"}).status_code == 303
    [got] = smtp_server.received
    assert [a.get_filename() for a in got.message.iter_attachments()] == ["credit-note-CN-000001.pdf"]
    page = client.get(page_url).data.decode()
    assert 'data-delivery-state="emailed"' in page and "to ap@contoso.example on" in page
    assert [d.trigger for d in sorted(_open(note.id), key=lambda d: d.id)] == ["manual", "resend"]
    assert 'id="failed-deliveries"' not in client.get("/").data.decode()
    assert client.post("/billing/credit-notes/999999/send", data={"csrf_token": token}).status_code == 404


def test_the_invoice_page_links_notes_and_offers_to_e_mail_a_new_one(client, users, billing_world):
    invoice_id = billing_world["invoice_id"]
    contacts.set_contacts(billing_world["orgs"]["Contoso"].id, "ap@contoso.example", "", SETUP)
    token = login(client, "billing")
    form = client.get(f"/billing/invoices/{invoice_id}").data.decode()
    assert 'id="f-credit-send"' in form  # the schedule holds its e-mails: the maker chooses
    line_id = db.session.get(Invoice, invoice_id).lines[0].id
    made = client.post(f"/billing/invoices/{invoice_id}/credit-notes",
                       data={"csrf_token": token, "reason": "over-count", "line_ids": str(line_id),
                             "send_on_issue": "1"})
    assert made.status_code == 303
    note = db.session.execute(db.select(CreditNote)).scalar_one()
    assert [(d.status, d.trigger) for d in _open(note.id)] == [("queued", "auto")]
    page = client.get(f"/billing/invoices/{invoice_id}").data.decode()
    assert f'href="/billing/credit-notes/{note.id}"' in page

    outbox.set_send_on_issue(billing_world["recurring_id"], True, SETUP)
    page = client.get(f"/billing/invoices/{invoice_id}").data.decode()
    assert 'id="credit-sends"' in page and 'id="f-credit-send"' not in page


def test_the_credit_note_template_page(client, users):
    token = login(client, "admin")
    page = client.get("/settings/email/template?kind=credit_note").data.decode()
    assert "{credit_note_number}" in page and templates.CREDIT_NOTE_SUBJECT in page
    refused = client.post("/settings/email/template?kind=credit_note",
                          data={"csrf_token": token, "subject": "Credit {period}", "body": "x"})
    assert refused.status_code == 400 and "unknown placeholder {period}" in refused.data.decode()
    saved = client.post("/settings/email/template?kind=credit_note",
                        data={"csrf_token": token, "subject": "Credit {credit_note_number}", "body": "Hi"})
    assert saved.status_code == 303
    assert templates.get_template(templates.CREDIT_NOTE) == ("Credit {credit_note_number}", "Hi")
    assert templates.get_template() == (templates.DEFAULT_SUBJECT, templates.DEFAULT_BODY)
    assert client.get("/settings/email/template?kind=receipt").status_code == 404
    login(client, "billing", token)
    assert client.get("/settings/email/template?kind=credit_note").status_code == 403
