"""Billing contacts and a schedule's send-on-issue over the API: read with an ETag, set with If-Match,
bad addresses named and nothing changed, audited by the delivery services; the panel's roles."""

from __future__ import annotations

from hub.delivery import contacts
from hub.extensions import db
from hub.models import AuditEvent, RecurringDelivery


def test_billing_contacts_read_and_set(api, mapped_world):
    contoso = mapped_world["orgs"]["Contoso"].id
    url = f"/api/v1/organizations/{contoso}/billing-contacts"
    read = api.as_role("billing").get(url)
    assert read.status_code == 200 and read.json == {"organization_id": contoso, "to": [], "cc": []}
    tag = read.headers["ETag"]
    saved = api.as_role("billing").put(url, json={"to": ["Anna@Example.COM"], "cc": ["b@example.com",
                                                                                     "anna@example.com"]},
                                       headers={"If-Match": tag})
    assert saved.status_code == 200, saved.json
    assert saved.json["to"] == ["Anna@example.com"] and saved.json["cc"] == ["b@example.com"]
    stale = api.put(url, json={"to": ["c@example.com"]}, headers={"If-Match": tag})
    assert stale.status_code == 412
    bad = api.put(url, json={"to": ["d@example.com"], "cc": ["not an address"]})
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "cc"
    empty = api.put(url, json={"to": []})
    assert empty.status_code == 422 and empty.json["errors"][0]["field"] == "to"
    db.session.expire_all()
    assert contacts.get_contacts(contoso).to_addresses == ["Anna@example.com"]
    audits = db.session.execute(db.select(AuditEvent).filter_by(action="contacts.update")).scalars().all()
    assert {a.field for a in audits} == {"to", "cc"} and {a.actor_type for a in audits} == {"api"}
    assert api.get("/api/v1/organizations/999999/billing-contacts").status_code == 404
    assert api.put("/api/v1/organizations/999999/billing-contacts", json={"to": ["a@example.com"]}).status_code == 404
    assert api.as_role("viewer").get(url).status_code == 403



def test_send_on_issue_read_and_set(api, billing_world):
    url = f"/api/v1/recurring-invoices/{billing_world['recurring_id']}/delivery"
    read = api.as_role("viewer").get(url)
    assert read.status_code == 200 and read.json["recurring_invoice_id"] == billing_world["recurring_id"]
    before = read.json["send_on_issue"]
    changed = api.as_role("billing").put(url, json={"send_on_issue": not before},
                                         headers={"If-Match": read.headers["ETag"]})
    assert changed.status_code == 200 and changed.json["send_on_issue"] is (not before)
    stale = api.put(url, json={"send_on_issue": before}, headers={"If-Match": read.headers["ETag"]})
    assert stale.status_code == 412
    db.session.expire_all()
    assert db.session.get(RecurringDelivery, billing_world["recurring_id"]).send_on_issue is (not before)
    audit = db.session.execute(db.select(AuditEvent).filter_by(action="recurring.delivery")).scalars().one()
    assert audit.actor_type == "api"
    assert api.put(url, json={}).status_code == 422
    assert api.as_role("viewer").put(url, json={"send_on_issue": True}).status_code == 403
    assert api.get("/api/v1/recurring-invoices/999999/delivery").status_code == 404
