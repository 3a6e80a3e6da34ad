"""Tax over the API: rates listed and created (duplicate 409, bad percent named), an Organization's rates
and exemption read with an ETag and set with If-Match, audited by ``hub.billing.tax``; the panel's roles."""

from __future__ import annotations

from hub.extensions import db
from hub.models import AuditEvent, Organization, OrganizationTaxRate


def test_rates_created_listed_and_bad_input_named(api):
    billing = api.as_role("billing")
    made = billing.post("/api/v1/tax-rates", json={"name": "VAT", "percent": "20"},
                        headers={"Idempotency-Key": "vat"})
    assert made.status_code == 201, made.json
    assert made.json["percent"] == "20.0000" and made.json["compound"] is False
    again = billing.post("/api/v1/tax-rates", json={"name": "VAT", "percent": "20"}, headers={"Idempotency-Key": "vat"})
    assert again.status_code == 201 and again.json["id"] == made.json["id"]
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert billing.post("/api/v1/tax-rates", json={"name": "PST", "percent": 7, "compound": True}).status_code == 201
    duplicate = billing.post("/api/v1/tax-rates", json={"name": "vat", "percent": "5"})
    assert duplicate.status_code == 409 and duplicate.json["errors"][0]["field"] == "name"
    over = billing.post("/api/v1/tax-rates", json={"name": "Huge", "percent": "101"})
    assert over.status_code == 422 and over.json["errors"][0]["field"] == "percent"
    both = billing.post("/api/v1/tax-rates", json={"name": "vat", "percent": "101"})
    assert both.status_code == 422 and {e["field"] for e in both.json["errors"]} == {"name", "percent"}
    page = api.as_role("viewer").get("/api/v1/tax-rates?limit=1")
    assert page.status_code == 200 and [r["name"] for r in page.json["items"]] == ["PST"]
    assert [r["name"] for r in api.get(page.json["next"]).json["items"]] == ["VAT"]
    assert api.as_role("viewer").post("/api/v1/tax-rates", json={"name": "X", "percent": "1"}).status_code == 403
    audits = db.session.execute(db.select(AuditEvent).filter_by(action="tax.rate_create")).scalars().all()
    assert len(audits) == 2 and {a.actor_type for a in audits} == {"api"}


def test_organization_tax_read_and_set_with_if_match(api, mapped_world):
    contoso = mapped_world["orgs"]["Contoso"].id
    url = f"/api/v1/organizations/{contoso}/tax"
    vat = api.post("/api/v1/tax-rates", json={"name": "VAT", "percent": "20"}).json["id"]
    read = api.as_role("billing").get(url)
    assert read.status_code == 200 and read.json == {"organization_id": contoso, "tax_rate_ids": [],
                                                     "tax_exempt": False}
    tag = read.headers["ETag"]
    changed = api.as_role("billing").put(url, json={"tax_rate_ids": [vat]}, headers={"If-Match": tag})
    assert changed.status_code == 200 and changed.json["tax_rate_ids"] == [vat]
    assert changed.headers["ETag"] != tag
    stale = api.put(url, json={"tax_rate_ids": [], "tax_exempt": True}, headers={"If-Match": tag})
    assert stale.status_code == 412
    unknown = api.put(url, json={"tax_rate_ids": [vat, 9999]})
    assert unknown.status_code == 422 and unknown.json["errors"][0]["field"] == "tax_rate_ids"
    db.session.expire_all()
    assert db.session.execute(db.select(OrganizationTaxRate.tax_rate_id)
                              .filter_by(organization_id=contoso)).scalars().all() == [vat]
    assert db.session.get(Organization, contoso).tax_exempt is False
    exempt = api.put(url, json={"tax_rate_ids": [vat], "tax_exempt": True})
    assert exempt.status_code == 200 and exempt.json["tax_exempt"] is True
    actions = {a.action for a in db.session.execute(db.select(AuditEvent).filter_by(entity_id=str(contoso))).scalars()}
    assert {"tax.organization_rates", "tax.organization_exempt"} <= actions
    assert api.get("/api/v1/organizations/9999/tax").status_code == 404
    assert api.put("/api/v1/organizations/9999/tax", json={"tax_rate_ids": []}).status_code == 404
    assert api.as_role("viewer").get(url).status_code == 403


def test_a_rate_changed_with_if_match_and_retired_only_when_no_one_uses_it(api, mapped_world):
    contoso = mapped_world["orgs"]["Contoso"].id
    billing = api.as_role("billing")
    vat = billing.post("/api/v1/tax-rates", json={"name": "VAT", "percent": "20"}).json["id"]
    read = api.as_role("viewer").get(f"/api/v1/tax-rates/{vat}")
    assert read.status_code == 200 and read.json["active"] is True
    url = f"/api/v1/tax-rates/{vat}"
    assert api.as_role("viewer").patch(url, json={"percent": "19"}).status_code == 403
    changed = billing.patch(url, json={"percent": "19"}, headers={"If-Match": read.headers["ETag"]})
    assert changed.status_code == 200 and changed.json["percent"] == "19.0000"
    stale = billing.patch(url, json={"percent": "18"}, headers={"If-Match": read.headers["ETag"]})
    assert stale.status_code == 412
    bad = billing.patch(url, json={"percent": "150"})
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "percent"
    api.put(f"/api/v1/organizations/{contoso}/tax", json={"tax_rate_ids": [vat]})
    in_use = billing.patch(url, json={"active": False})
    assert in_use.status_code == 409 and "Contoso" in in_use.json["detail"]
    api.put(f"/api/v1/organizations/{contoso}/tax", json={"tax_rate_ids": []})
    assert billing.patch(url, json={"active": False}).json["active"] is False
    retired = api.put(f"/api/v1/organizations/{contoso}/tax", json={"tax_rate_ids": [vat]})
    assert retired.status_code == 422 and retired.json["errors"][0]["field"] == "tax_rate_ids"
    assert billing.patch("/api/v1/tax-rates/999999", json={"percent": "1"}).status_code == 404
    audited = db.session.execute(db.select(AuditEvent.field, AuditEvent.old_value, AuditEvent.new_value)
                                 .filter_by(action="tax.rate_update").order_by(AuditEvent.id)).all()
    assert audited == [("percent", "20", "19"), ("active", "True", "False")]
