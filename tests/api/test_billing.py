"""Billing over the API: catalog and SKUs, recurring invoices and lines, pending changes, invoices, usage
report, audit log and users, on the billing pages' world (tests/web/billing_fixtures.py)."""

from __future__ import annotations

import csv
import io
import pytest

from hub.extensions import db
from hub.models import Invoice, QuantityChange, RecurringLine
from hub.timeutil import utcnow
from tests.web.billing_fixtures import build_billing


@pytest.fixture
def world(mapped_world, fake_vendor, users):
    return {**mapped_world, **build_billing(fake_vendor, mapped_world)}


def test_products_and_skus(api, world):
    products = api.get("/api/v1/products").json["items"]
    assert [p["code"] for p in products] == ["SEATS", "SUPPORT"]
    assert products[0]["unit_price"].rstrip("0").rstrip(".") == "10"  # exact text, never a float
    created = api.post("/api/v1/products", json={"code": "EDR", "name": "EDR", "unit_price": 4.5})
    assert created.status_code == 201 and created.json["unit_price"].startswith("4.5")
    assert api.post("/api/v1/products", json={"code": "edr", "name": "x", "unit_price": "1"}).status_code == 409
    bad = api.post("/api/v1/products", json={"code": "X", "name": "X", "unit_price": "-1", "unit_cost": "abc"})
    assert bad.status_code == 422 and {e["field"] for e in bad.json["errors"]} == {"unit_price", "unit_cost"}
    # a taken code with other bad fields: every field named, and 422 (the clash is not the only problem)
    several = api.post("/api/v1/products", json={"code": "edr", "name": "x", "unit_price": "-1"})
    assert several.status_code == 422 and {e["field"] for e in several.json["errors"]} == {"code", "unit_price"}
    tag = created.headers["ETag"]
    assert api.patch(created.headers["Location"], json={"unit_price": "5"}, headers={"If-Match": tag}).status_code == 200
    assert api.patch(created.headers["Location"], json={"unit_price": "6"}, headers={"If-Match": tag}).status_code == 412
    skus = api.get("/api/v1/skus?vendor=fake").json["items"]
    seats = next(s for s in skus if s["sku"] == "seats")
    assert seats["status"] == "mapped" and seats["product_code"] == "SEATS"
    unmapped = api.put(f"/api/v1/skus/{seats['sku_id']}/product", json={"product_id": None})
    assert unmapped.status_code == 200 and unmapped.json["product_id"] is None
    assert api.put(f"/api/v1/skus/{seats['sku_id']}/product", json={"product_id": 999}).status_code == 422
    assert api.put("/api/v1/skus/999/product", json={"product_id": None}).status_code == 404
    assert api.as_role("viewer").put(f"/api/v1/skus/{seats['sku_id']}/billable",
                                     json={"billable": False}).status_code == 403


def test_recurring_invoice_with_a_vendor_line(api, world):
    fabrikam_org = api.post("/api/v1/organizations", json={"name": "Fabrikam Inc"}).json
    api.put(f"/api/v1/vendor-customers/{world['customers']['c-2'].id}/mapping",
            json={"organization_id": fabrikam_org["id"]})
    today = utcnow().date().isoformat()
    # the products are priced in USD: a recurring invoice takes only products in its own currency
    body = {"organization_id": fabrikam_org["id"], "next_run_date": today, "currency": "usd"}
    created = api.post("/api/v1/recurring-invoices", json=body, headers={"Idempotency-Key": "ri-1"})
    assert created.status_code == 201 and created.json["currency"] == "USD" and created.json["lines"] == []
    replay = api.post("/api/v1/recurring-invoices", json=body, headers={"Idempotency-Key": "ri-1"})
    assert replay.json["id"] == created.json["id"]
    url = created.headers["Location"]
    line = api.post(f"{url}/lines", json={"kind": "vendor", "product_id": world["product_id"],
                                          "integration_id": _fake_id()})
    assert line.status_code == 201, line.json
    assert line.json["quantity"].startswith("2")  # Fabrikam's 2 seats, counted at once
    typed = api.post(f"{url}/lines", json={"kind": "vendor", "product_id": world["product_id"],
                                           "integration_id": _fake_id(), "quantity": "9"})
    assert typed.status_code == 422 and typed.json["errors"][0]["field"] == "quantity"
    standard = api.post(f"{url}/lines", json={"kind": "standard", "product_id": world["support_id"],
                                              "quantity": "1.5"}).json
    read = api.get(url)
    assert [ln["id"] for ln in read.json["lines"]] == [line.json["id"], standard["id"]]
    line_url = f"/api/v1/recurring-lines/{standard['id']}"
    line_tag = api.get(line_url).headers["ETag"]
    assert api.patch(line_url, json={"quantity": "2"}, headers={"If-Match": line_tag}).status_code == 200
    assert api.patch(line_url, json={"quantity": "3"}, headers={"If-Match": line_tag}).status_code == 412
    assert db.session.get(RecurringLine, standard["id"]).quantity == 2
    stale = api.patch(url, json={"memo": "x"}, headers={"If-Match": read.headers["ETag"]})
    assert stale.status_code == 412  # the line edit changed the recurring invoice's representation
    issued = api.post(f"{url}/issue-now", headers={"Idempotency-Key": "issue-1"})
    assert issued.status_code == 200 and len(issued.json["issued"]) == 1
    again = api.post(f"{url}/issue-now")
    assert again.status_code == 409 and "Not due" in again.json["detail"]
    assert api.delete(url).status_code == 409  # it has invoices now
    assert api.delete(line_url).status_code == 204
    assert api.get(line_url).status_code == 404


def _fake_id() -> int:
    from tests.web.billing_fixtures import fake_integration_id

    return fake_integration_id()


def test_pending_changes_approve_reject_bulk(api, world):
    held = api.get("/api/v1/pending-changes").json["items"]
    assert [(c["id"], c["organization"], c["old_quantity"][:1], c["new_quantity"][:1]) for c in held] == [
        (world["change_id"], "Contoso", "5", "2")]
    assert api.as_role("viewer").post(f"/api/v1/pending-changes/{world['change_id']}/approve").status_code == 403
    approved = api.post(f"/api/v1/pending-changes/{world['change_id']}/approve", json={"note": "ok"})
    assert approved.status_code == 200 and approved.json["status"] == "approved"
    assert db.session.get(RecurringLine, world["line_id"]).quantity == 2
    twice = api.post("/api/v1/pending-changes/decide", json={"action": "reject", "change_ids": [world["change_id"]]})
    assert twice.status_code == 409
    assert db.session.get(QuantityChange, world["change_id"]).status == "approved"
    assert api.post("/api/v1/pending-changes/999/reject").status_code == 404
    assert api.post("/api/v1/pending-changes/decide", json={"action": "maybe", "change_ids": []}).status_code == 422


def test_invoices_filters_void_and_export(api, world):
    listed = api.get(f"/api/v1/invoices?recurring_invoice_id={world['recurring_id']}").json["items"]
    assert [i["id"] for i in listed] == [world["invoice_id"]]
    assert api.get("/api/v1/invoices?recurring_invoice_id=999").json["items"] == []
    today = utcnow().date()
    assert len(api.get(f"/api/v1/invoices?period_from={today}&period_to={today}").json["items"]) == 1
    assert api.get("/api/v1/invoices?period_to=2000-01-01").json["items"] == []
    invoice = api.get(f"/api/v1/invoices/{world['invoice_id']}").json
    assert invoice["status"] == "issued" and invoice["lines"][0]["evidence"]
    assert {ln["kind"]: ln["unit"] for ln in invoice["lines"]}.get("vendor") == "license"  # what its SKUs count
    exported = api.get(f"/api/v1/invoices/{world['invoice_id']}/export?format=csv")
    assert exported.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
    assert {r["product_code"] for r in rows} == {"SEATS", "SUPPORT"}
    assert api.get(f"/api/v1/invoices/{world['invoice_id']}/export").json["total"] == invoice["total"]
    assert api.post(f"/api/v1/invoices/{world['invoice_id']}/issue").status_code == 409
    no_reason = api.post(f"/api/v1/invoices/{world['invoice_id']}/void", json={})
    assert no_reason.status_code == 422 and no_reason.json["errors"][0]["field"] == "reason"
    voided = api.post(f"/api/v1/invoices/{world['invoice_id']}/void", json={"reason": "duplicate"})
    assert voided.status_code == 200 and voided.json["status"] == "void"
    assert db.session.get(Invoice, world["invoice_id"]).void_reason == "duplicate"


def test_usage_report_audit_and_users(api, world):
    report = api.get("/api/v1/reports/usage?vendor=fake")
    assert report.status_code == 200
    statuses = {(r["customer"], r["status"]) for r in report.json["rows"]}
    assert ("Fabrikam", "not_mapped") in statuses
    as_csv = api.get("/api/v1/reports/usage?vendor=fake&format=csv")
    assert as_csv.mimetype == "text/csv" and "Fabrikam" in as_csv.get_data(as_text=True)
    assert api.get("/api/v1/reports/usage?status=nope").status_code == 422
    events = api.get("/api/v1/audit-events?action=mapping.&limit=1")
    assert events.status_code == 200 and events.json["items"][0]["action"].startswith("mapping.")
    assert events.json["next"]
    assert api.get("/api/v1/audit-events?entity_type=recurring_invoice").json["items"]
    created = api.post("/api/v1/users", json={"email": "new@example.com", "role": "billing",
                                              "password": "a long password"})
    assert created.status_code == 201 and "password" not in created.json
    assert api.post("/api/v1/users", json={"email": "new@example.com", "role": "billing",
                                           "password": "a long password"}).status_code == 409
    short = api.post("/api/v1/users", json={"email": "x@example.com", "role": "viewer", "password": "short"})
    assert short.status_code == 422 and short.json["errors"][0]["field"] == "password"
    assert api.as_role("billing").get("/api/v1/users").status_code == 403
    emails = [u["email"] for u in api.get("/api/v1/users").json["items"]]
    assert "new@example.com" in emails and emails == sorted(emails)
    changed = api.patch(created.headers["Location"], json={"role": "viewer", "active": False})
    assert changed.status_code == 200 and (changed.json["role"], changed.json["active"]) == ("viewer", False)
    admin_id = next(u["id"] for u in api.get("/api/v1/users").json["items"] if u["email"] == "admin@example.com")
    last_admin = api.patch(f"/api/v1/users/{admin_id}", json={"role": "billing"})
    assert last_admin.status_code == 409 and last_admin.json["errors"][0]["field"] == "role"


def test_issuing_a_draft_honours_an_idempotency_key(api, world):
    from datetime import timedelta

    from hub.audit import Actor
    from hub.billing import recurring

    recurring.update_recurring_invoice(world["recurring_id"], Actor.cli("test"), auto_issue=False,
                                       next_run_date=utcnow().date() - timedelta(days=2))
    [draft_id] = api.post(f"/api/v1/recurring-invoices/{world['recurring_id']}/issue-now").json["drafts"]
    key = {"Idempotency-Key": f"issue-{draft_id}"}
    first = api.post(f"/api/v1/invoices/{draft_id}/issue", headers=key)
    assert first.status_code == 200 and first.json["status"] == "issued"
    replay = api.post(f"/api/v1/invoices/{draft_id}/issue", headers=key)  # a retry after a lost answer
    assert replay.status_code == 200 and replay.json["number"] == first.json["number"]
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert api.post(f"/api/v1/invoices/{draft_id}/issue").status_code == 409  # without the key: not a draft
    spec = api.get("/api/v1/openapi.json").json["paths"]["/api/v1/invoices/{invoice_id}/issue"]["post"]
    assert "Idempotency-Key" in [p["name"] for p in spec["parameters"]]


def test_an_invoice_as_a_pdf_is_the_panels_document(api, world, client):
    """The same bytes as the panel's download (and the e-mail's attachment): byte-stable."""
    got = api.get(f"/api/v1/invoices/{world['invoice_id']}/pdf")
    assert got.status_code == 200 and got.mimetype == "application/pdf" and got.data.startswith(b"%PDF-")
    assert "attachment" in got.headers["Content-Disposition"]
    from hub.delivery.pdf import render_invoice_pdf

    assert got.data == render_invoice_pdf(db.session.get(Invoice, world["invoice_id"]))
    assert api.get("/api/v1/invoices/999/pdf").status_code == 404


def test_a_vendor_customers_count_history(api, world):
    from hub.models import LicenseCountHistory

    customer_id = world["customers"]["c-1"].id
    got = api.get(f"/api/v1/vendor-customers/{customer_id}/history")
    assert got.status_code == 200
    stored = db.session.execute(db.select(LicenseCountHistory).filter_by(vendor_customer_id=customer_id)).scalars().all()
    assert len(got.json["items"]) == len(stored) > 0
    first = got.json["items"][0]
    assert set(first) == {"recorded_at", "sku", "quantity", "previous_quantity", "sync_run_id"}
    assert first["recorded_at"].endswith("+00:00")
    from decimal import Decimal

    assert sorted(Decimal(p["quantity"]) for p in got.json["items"]) == sorted(Decimal(h.quantity) for h in stored)
    later = api.get(f"/api/v1/vendor-customers/{customer_id}/history?since=2999-01-01T00:00:00%2B00:00")
    assert later.json["items"] == []
    assert api.get(f"/api/v1/vendor-customers/{customer_id}/history?sku_id=999").status_code == 404
    assert api.get("/api/v1/vendor-customers/999999/history").status_code == 404
