"""A credit note's e-mail over the API: its delivery state on create, read and list, `send_on_issue` on create,
send and resend (a local SMTP server), the roles, 404 and errors naming the field, the OpenAPI document."""

from __future__ import annotations

from hub.audit import Actor
from hub.delivery import contacts, smtp
from hub.extensions import db
from hub.models import AuditEvent, InvoiceDelivery
from tests.delivery.smtp_server import SmtpServer

SETUP = Actor.cli("api-credit-note-delivery-test")


def _make(api, invoice_id: int, **extra) -> dict:
    made = api.post(f"/api/v1/invoices/{invoice_id}/credit-notes", json={"reason": "goodwill", **extra})
    assert made.status_code == 201, made.json
    return made.json


def test_send_without_contacts_fails_visibly_then_resend_e_mails_it(api, billing_world):
    note = _make(api, billing_world["invoice_id"])
    assert note["delivery"] == {"state": "not_sent", "emails": []}  # the schedule holds its e-mails
    url = f"/api/v1/credit-notes/{note['id']}/send"
    assert api.client.post(url, json={}).status_code == 401  # no token
    assert api.as_role("viewer").post(url, json={}).status_code == 403
    failed = api.as_role("billing").post(url, json={})
    assert failed.status_code == 200 and failed.json["status"] == "failed"
    assert "has no billing contact" in failed.json["last_error"]
    assert api.get(f"/api/v1/credit-notes/{note['id']}").json["delivery"]["state"] == "failed"

    with SmtpServer() as server:
        smtp.save_settings(server.settings(), None, SETUP)
        contacts.set_contacts(billing_world["orgs"]["Contoso"].id, "ap@contoso.example", "", SETUP)
        sent = api.as_role("billing").post(url, json={"resend": True})
        assert sent.status_code == 200, sent.json
        assert (sent.json["status"], sent.json["trigger"], sent.json["to_addresses"]) == \
            ("sent", "resend", ["ap@contoso.example"])
        [got] = server.received
        assert sent.json["message_id"] == got.message["Message-ID"]
        assert [a.get_filename() for a in got.message.iter_attachments()] == [f"credit-note-{note['number']}.pdf"]
    shown = api.as_role("viewer").get(f"/api/v1/credit-notes/{note['id']}").json["delivery"]
    assert shown["state"] == "emailed" and [e["status"] for e in shown["emails"]] == ["sent", "failed"]
    listed = api.get(f"/api/v1/credit-notes?invoice_id={billing_world['invoice_id']}").json["items"]
    assert [n["delivery"]["state"] for n in listed] == ["emailed"]
    queued = db.session.execute(db.select(AuditEvent).filter_by(action="delivery.queue")).scalars().all()
    assert {(e.entity_type, e.actor_type) for e in queued} == {("credit_note", "api")}


def test_send_on_issue_queues_it_and_a_second_send_waits(api, billing_world):
    contacts.set_contacts(billing_world["orgs"]["Contoso"].id, "ap@contoso.example", "", SETUP)
    note = _make(api, billing_world["invoice_id"], send_on_issue=True)
    assert note["delivery"]["state"] == "queued"
    assert [(e["status"], e["trigger"]) for e in note["delivery"]["emails"]] == [("queued", "auto")]
    url = f"/api/v1/credit-notes/{note['id']}/send"
    waiting = api.post(url, json={})
    assert waiting.status_code == 409 and "already queued" in waiting.json["detail"]
    assert db.session.execute(db.select(db.func.count(InvoiceDelivery.id))).scalar_one() == 1


def test_unknown_notes_and_bad_fields(api, billing_world):
    assert api.post("/api/v1/credit-notes/999999/send", json={}).status_code == 404
    note = _make(api, billing_world["invoice_id"])
    bad = api.post(f"/api/v1/credit-notes/{note['id']}/send", json={"resend": "perhaps"})
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "resend"
    bad_create = api.post(f"/api/v1/invoices/{billing_world['invoice_id']}/credit-notes",
                          json={"reason": "x", "send_on_issue": "perhaps"})
    assert bad_create.status_code == 422 and bad_create.json["errors"][0]["field"] == "send_on_issue"
    assert db.session.execute(db.select(db.func.count(InvoiceDelivery.id))).scalar_one() == 0


def test_the_openapi_document_describes_send_and_delivery(client):
    spec = client.get("/api/v1/openapi.json").json
    send = spec["paths"]["/api/v1/credit-notes/{note_id}/send"]["post"]
    assert {"200", "401", "403", "422"} <= set(send["responses"]) and "its PDF attached" in send["summary"]
    assert send["tags"] == ["Credit notes"]
    note = spec["components"]["schemas"]["CreditNote"]["properties"]
    assert "delivery" in note
    assert "send_on_issue" in spec["components"]["schemas"]["NewCreditNote"]["properties"]


def test_the_credit_note_e_mail_template(api, app_ctx):
    url = "/api/v1/settings/email-template?kind=credit_note"
    read = api.get(url)
    assert read.status_code == 200 and "{credit_note_number}" in read.json["subject"]
    assert "credit_date" in read.json["placeholders"] and "due_date" not in read.json["placeholders"]
    bad = api.put(url, headers={"If-Match": read.headers["ETag"]}, json={"subject": "{due_date}", "body": "x"})
    assert bad.status_code == 422 and [e["field"] for e in bad.json["errors"]] == ["subject"]
    saved = api.put(url, headers={"If-Match": read.headers["ETag"]},
                    json={"subject": "Credit {credit_note_number}", "body": "For {invoice_number}"})
    assert saved.status_code == 200 and saved.json["subject"] == "Credit {credit_note_number}"
    assert "{invoice_number}" in api.get("/api/v1/settings/email-template").json["subject"]  # the invoice's kept
    unknown = api.get("/api/v1/settings/email-template?kind=receipt")
    assert unknown.status_code == 422 and unknown.json["errors"][0]["field"] == "kind"
