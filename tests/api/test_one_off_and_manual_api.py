"""One-off charges, manual invoices and the margin view over the API: the panel's services, errors naming
each field (lines as lines.<n>.<field>), 409 once a charge is billed, the roles, JSON and CSV."""

from __future__ import annotations

import csv
import io

from hub.extensions import db
from hub.models import AuditEvent, Invoice, OneOffCharge
from hub.timeutil import utcnow


def test_charge_created_changed_billed_then_frozen(api, billing_world):
    contoso = billing_world["orgs"]["Contoso"].id
    billing = api.as_role("billing")
    made = billing.post("/api/v1/one-off-charges", headers={"Idempotency-Key": "ch-1"}, json={
        "organization_id": contoso, "description": "Onboarding", "quantity": "2", "unit_price": "49.995",
        "product_id": billing_world["support_id"]})
    assert made.status_code == 201, made.json
    charge = made.json
    assert (charge["amount"], charge["currency"], charge["pending"], charge["unit_cost"]) == (
        "99.99", "USD", True, "90.0000")
    assert made.headers["Location"] == f"/api/v1/one-off-charges/{charge['id']}"
    url = f"/api/v1/one-off-charges/{charge['id']}"
    stale = made.headers["ETag"]
    changed = billing.patch(url, json={"quantity": "3"}, headers={"If-Match": stale})
    assert changed.status_code == 200 and changed.json["quantity"] == "3.0000"
    assert billing.patch(url, json={"quantity": "4"}, headers={"If-Match": stale}).status_code == 412
    bad = billing.post("/api/v1/one-off-charges", json={"organization_id": contoso, "description": "x",
                                                        "quantity": "0", "unit_price": "1", "currency": "EUR",
                                                        "product_id": billing_world["support_id"]})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json["errors"]} >= {"quantity"}
    assert api.as_role("viewer").post("/api/v1/one-off-charges", json={}).status_code == 403
    assert api.as_role("viewer").get(url).status_code == 200

    issued = billing.post("/api/v1/manual-invoices", json={
        "organization_id": contoso, "currency": "USD", "charge_ids": [charge["id"]]})
    assert issued.status_code == 201, issued.json
    assert issued.json["status"] == "issued" and issued.json["recurring_invoice_id"] is None
    assert [ln["kind"] for ln in issued.json["lines"]] == ["one_off"]
    frozen = billing.patch(url, json={"quantity": "5"})
    assert frozen.status_code == 409 and "no longer change" in frozen.json["detail"]
    assert billing.delete(url).status_code == 409
    listed = api.get(f"/api/v1/one-off-charges?invoice_id={issued.json['id']}").json["items"]
    assert [c["id"] for c in listed] == [charge["id"]] and listed[0]["pending"] is False
    assert {a.actor_type for a in db.session.execute(db.select(AuditEvent).where(
        AuditEvent.action.like("one_off.%"))).scalars()} == {"api"}


def test_pending_charge_deleted(api, billing_world):
    contoso = billing_world["orgs"]["Contoso"].id
    made = api.post("/api/v1/one-off-charges", json={"organization_id": contoso, "description": "Oops",
                                                     "quantity": "1", "unit_price": "1", "currency": "usd"}).json
    assert api.delete(f"/api/v1/one-off-charges/{made['id']}").status_code == 204
    assert db.session.get(OneOffCharge, made["id"]) is None
    assert api.get(f"/api/v1/one-off-charges/{made['id']}").status_code == 404


def test_manual_invoice_errors_name_each_line_field_and_issue_nothing(api, billing_world):
    contoso = billing_world["orgs"]["Contoso"].id
    before = db.session.execute(db.select(db.func.count(Invoice.id))).scalar()
    bad = api.post("/api/v1/manual-invoices", json={
        "organization_id": contoso, "currency": "USD",
        "lines": [{"description": "", "quantity": "1", "unit_price": "1"},
                  {"description": "ok", "quantity": "2", "unit_price": "1.23456"}]})
    assert bad.status_code == 422
    fields = {e["field"] for e in bad.json["errors"]}
    assert fields == {"lines.0.description", "lines.1.unit_price"}
    assert {e["pointer"] for e in bad.json["errors"]} == {"#/lines/0/description", "#/lines/1/unit_price"}
    assert db.session.execute(db.select(db.func.count(Invoice.id))).scalar() == before
    empty = api.post("/api/v1/manual-invoices", json={"organization_id": contoso, "currency": "USD"})
    assert empty.status_code == 422 and empty.json["errors"][0]["field"] == "lines"
    assert api.post("/api/v1/manual-invoices", json={"organization_id": 999999, "currency": "USD"}).status_code == 404
    assert api.as_role("viewer").post("/api/v1/manual-invoices", json={}).status_code == 403


def test_margin_json_and_csv(api, billing_world):
    today = utcnow().date().isoformat()
    url = f"/api/v1/reports/margin?by=product&date_from={today}&date_to={today}"
    report = api.as_role("viewer").get(url)
    assert report.status_code == 200, report.json
    rows = {r["key"]: r for r in report.json["rows"]}
    # the world's invoice: 5 seats x 10.00 (cost 6.00) and support 150.00 (cost 90.00)
    seats = rows[str(billing_world["product_id"])]
    assert (seats["revenue"], seats["cost"], seats["margin"], seats["margin_pct"]) == ("50.00", "30.00", "20.00", "40.00")
    assert report.json["totals"]["USD"]["revenue"] == "200.00"
    as_csv = api.get(url + "&format=csv")
    assert as_csv.mimetype == "text/csv"
    assert {r["key"] for r in csv.DictReader(io.StringIO(as_csv.get_data(as_text=True)))} >= {"total"}
    wrong = api.get(f"/api/v1/reports/margin?by=sku&date_from={today}&date_to=2000-01-01")
    assert wrong.status_code == 422 and wrong.json["errors"][0]["field"] == "by"
    backwards = api.get(f"/api/v1/reports/margin?date_from={today}&date_to=2000-01-01")
    assert backwards.status_code == 422 and backwards.json["errors"][0]["field"] == "date_to"
