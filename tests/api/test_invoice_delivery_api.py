"""An invoice's e-mail delivery and accounting pushes over the API: shown on read and list, list filters
``delivery`` and ``push_state``, send/resend the e-mail (a local SMTP server) and push now (the QuickBooks
simulator on loopback), each through the services the panel calls."""

from __future__ import annotations

import pytest

from hub.audit import Actor
from hub.delivery import contacts, smtp
from hub.destinations import mappings
from hub.destinations.push import run_pushes
from hub.extensions import db
from hub.models import AuditEvent, DestinationPush, Invoice, InvoiceDelivery
from tests.delivery.smtp_server import SmtpServer
from tests.destinations.conftest import books, qbo, qbo_plugin, qbo_sim  # noqa: F401  (the destination fixtures)
from tests.web.billing_fixtures import build_billing

SETUP = Actor.cli("api-delivery-test")
QUIET = {"sleep": lambda s: None}


@pytest.fixture
def world(mapped_world, fake_vendor, users):
    return {**mapped_world, **build_billing(fake_vendor, mapped_world)}


def _ids(api, query: str) -> list[int]:
    answer = api.get(f"/api/v1/invoices?{query}")
    assert answer.status_code == 200, answer.json
    return [i["id"] for i in answer.json["items"]]


def test_send_without_contacts_fails_visibly_then_resend_e_mails_it(api, world):
    invoice_id = world["invoice_id"]
    fresh = api.get(f"/api/v1/invoices/{invoice_id}").json
    assert fresh["delivery"] == {"state": "not_sent", "emails": []} and fresh["pushes"] == []
    assert invoice_id in _ids(api, "delivery=not_sent") and _ids(api, "delivery=emailed") == []
    assert api.as_role("viewer").post(f"/api/v1/invoices/{invoice_id}/send", json={}).status_code == 403
    failed = api.as_role("billing").post(f"/api/v1/invoices/{invoice_id}/send", json={})
    assert failed.status_code == 200 and failed.json["status"] == "failed"
    assert "contact" in failed.json["last_error"].lower()
    assert api.get(f"/api/v1/invoices/{invoice_id}").json["delivery"]["state"] == "failed"
    assert _ids(api, "delivery=failed") == [invoice_id]
    with SmtpServer() as server:
        smtp.save_settings(server.settings(), None, SETUP)
        contacts.set_contacts(world["orgs"]["Contoso"].id, "ap@contoso.example", "", SETUP)
        sent = api.post(f"/api/v1/invoices/{invoice_id}/send", json={"resend": True})
        assert sent.status_code == 200, sent.json
        assert sent.json["status"] == "sent" and sent.json["trigger"] == "resend"
        assert sent.json["to_addresses"] == ["ap@contoso.example"] and len(server.received) == 1
        assert sent.json["message_id"] == server.received[0].message["Message-ID"]  # which e-mail it was
    shown = api.get(f"/api/v1/invoices/{invoice_id}").json["delivery"]
    assert shown["state"] == "emailed" and [e["status"] for e in shown["emails"]] == ["sent", "failed"]
    assert _ids(api, "delivery=emailed") == [invoice_id] and _ids(api, "delivery=failed") == []
    assert api.get("/api/v1/invoices?delivery=bounced").json["errors"][0]["field"] == "delivery"
    sends = db.session.execute(db.select(AuditEvent).filter_by(action="delivery.queue")).scalars().all()
    assert {e.actor_type for e in sends} == {"api"}


def test_a_draft_is_not_sent_and_nothing_is_queued(api, world):
    voided = api.post(f"/api/v1/invoices/{world['invoice_id']}/void", json={"reason": "test"})
    assert voided.status_code == 200
    refused = api.post(f"/api/v1/invoices/{world['invoice_id']}/send", json={})
    assert refused.status_code == 409 and "only issued invoices" in refused.json["detail"]
    assert db.session.execute(db.select(db.func.count(InvoiceDelivery.id))).scalar_one() == 0
    assert api.post("/api/v1/invoices/999999/send", json={}).status_code == 404


def test_pushes_show_state_external_number_and_push_now(api, qbo, books, qbo_sim):  # noqa: F811
    mapped_org, product = books.org("Contoso"), books.product("EP", "Managed Endpoint")
    mappings.create_at_provider("quickbooks", "customer", str(mapped_org.id), SETUP)
    mappings.auto_match("quickbooks", "item", SETUP)
    mappings.confirm("quickbooks", "item", [str(product.id)], SETUP)
    pushed_id = books.issue(mapped_org, product)
    blocked_id = books.issue(books.org("Tailspin"), product)
    assert sorted(_ids(api, "push_state=waiting")) == sorted([pushed_id, blocked_id])
    run_pushes(session_options=QUIET)
    pushed = api.get(f"/api/v1/invoices/{pushed_id}").json["pushes"]
    assert [(p["destination"], p["state"]) for p in pushed] == [("quickbooks", "pushed")]
    assert pushed[0]["external_id"] and pushed[0]["external_number"] == str(db.session.get(Invoice, pushed_id).number)
    assert _ids(api, "push_state=pushed") == [pushed_id] and _ids(api, "push_state=blocked") == [blocked_id]
    [blocked] = api.get(f"/api/v1/invoices/{blocked_id}").json["pushes"]
    assert blocked["state"] == "blocked" and blocked["error_field"] == "customer"

    url = f"/api/v1/invoices/{blocked_id}/pushes/{blocked['id']}/push-now"
    assert api.as_role("viewer").post(url).status_code == 403
    assert api.post(f"/api/v1/invoices/{pushed_id}/pushes/{blocked['id']}/push-now").status_code == 404
    again = api.as_role("billing").post(url)
    assert again.status_code == 200 and again.json["state"] == "queued"
    assert _ids(api, "push_state=waiting") == [blocked_id]
    done = api.post(f"/api/v1/invoices/{pushed_id}/pushes/{pushed[0]['id']}/push-now")
    assert done.status_code == 409 and "pushed" in done.json["detail"]
    assert db.session.get(DestinationPush, pushed[0]["id"]).state == "pushed"
    assert api.get("/api/v1/invoices?push_state=lost").json["errors"][0]["field"] == "push_state"
