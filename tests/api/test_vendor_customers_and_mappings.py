"""Vendor customers (paging, filters, sort, counts) and mappings (map, unmap, ETag, bulk, create Organization)."""

from __future__ import annotations

import json

from hub.extensions import db
from hub.models import AuditEvent, VendorCustomer


def test_list_pages_filters_and_counts_with_the_cli_ids(api, mapped_world, runner):
    cli_ids = {r["name"]: r["id"] for r in json.loads(runner.invoke(args=["customers", "fake", "--json"]).output)}
    first = api.get("/api/v1/vendor-customers?vendor=fake&limit=2&include=counts")
    assert first.status_code == 200
    assert first.json["counts"] == {"mapped": 1, "not_mapped": 4, "detached": 1}
    names, url = [], "/api/v1/vendor-customers?vendor=fake&limit=2"
    while url:
        page = api.get(url).json
        names += [(r["name"], r["id"]) for r in page["items"]]
        url = page["next"] and page["next"].replace("http://localhost", "")
    assert [n for n, _ in names] == sorted(cli_ids, key=str.lower)
    assert dict(names) == cli_ids
    contoso = api.get("/api/v1/vendor-customers?vendor=fake&status=mapped").json["items"]
    assert [(r["name"], r["organization"]["name"]) for r in contoso] == [("Contoso Ltd", "Contoso")]
    assert contoso[0]["licenses"] == [{"sku": "seat", "name": "Seat", "quantity": "5"}] or contoso[0]["licenses"]
    searched = api.get("/api/v1/vendor-customers?vendor=fake&q=wing").json["items"]
    assert [r["name"] for r in searched] == ["Wingtip"]
    by_status = [r["status"] for r in api.get("/api/v1/vendor-customers?vendor=fake&sort=-status").json["items"]]
    assert by_status == sorted(by_status, key=["mapped", "not_mapped", "detached"].index, reverse=True)
    bad = api.get("/api/v1/vendor-customers?vendor=nope&status=odd&sort=size")
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json["errors"]} == {"status", "sort"}
    assert api.get("/api/v1/vendor-customers?vendor=nope").status_code == 422
    assert api.get("/api/v1/vendor-customers").json["errors"][0]["field"] == "vendor"


def test_map_remap_unmap_with_etags(api, mapped_world):
    fabrikam = mapped_world["customers"]["c-2"]
    contoso = mapped_world["orgs"]["Contoso"]
    northwind = mapped_world["orgs"]["Northwind"]
    url = f"/api/v1/vendor-customers/{fabrikam.id}/mapping"
    read = api.get(url)
    assert read.json == {"customer_id": fabrikam.id, "organization_id": None, "status": "not_mapped"}
    viewer = api.as_role("viewer").put(url, json={"organization_id": contoso.id})
    assert viewer.status_code == 403
    mapped = api.put(url, json={"organization_id": contoso.id}, headers={"If-Match": read.headers["ETag"]})
    assert mapped.status_code == 200 and mapped.json["status"] == "mapped"
    stale = api.put(url, json={"organization_id": northwind.id}, headers={"If-Match": read.headers["ETag"]})
    assert stale.status_code == 412
    assert api.get(url).json["organization_id"] == contoso.id
    missing_org = api.put(url, json={"organization_id": 9999})
    assert missing_org.status_code == 422 and missing_org.json["errors"][0]["field"] == "organization_id"
    assert api.put("/api/v1/vendor-customers/9999/mapping", json={"organization_id": contoso.id}).status_code == 404
    assert api.delete(url, headers={"If-Match": mapped.headers["ETag"]}).status_code == 204
    assert api.get(url).json["status"] == "not_mapped"
    actions = [a for (a,) in db.session.execute(db.select(AuditEvent.action).where(
        AuditEvent.entity_type == "vendor_customer", AuditEvent.entity_id == str(fabrikam.id),
        AuditEvent.action.startswith("mapping.")).order_by(AuditEvent.id))]
    assert actions == ["mapping.map", "mapping.unmap"]
    actor = db.session.execute(db.select(AuditEvent.actor).filter_by(action="mapping.map")
                               .order_by(AuditEvent.id.desc())).scalars().first()
    assert actor.startswith("API token")


def test_detached_customer_cannot_be_mapped_but_unmapping_archives_it(api, mapped_world):
    northwind = mapped_world["customers"]["c-3"]
    refused = api.put(f"/api/v1/vendor-customers/{northwind.id}/mapping",
                      json={"organization_id": mapped_world["orgs"]["Contoso"].id})
    assert refused.status_code == 409 and "Detached" in refused.json["detail"]
    assert api.delete(f"/api/v1/vendor-customers/{northwind.id}/mapping").status_code == 204
    archived = db.session.get(VendorCustomer, northwind.id)  # kept for history, out of every listing
    assert archived.archived_at is not None
    listed = api.get("/api/v1/vendor-customers?vendor=fake&limit=100").json["items"]
    assert northwind.id not in {c["id"] for c in listed}


def test_bulk_accept_and_create_organization(api, mapped_world):
    c = mapped_world["customers"]
    contoso = mapped_world["orgs"]["Contoso"]
    result = api.post("/api/v1/mapping-suggestions/accept", json={"pairs": [
        {"customer_id": c["c-2"].id, "organization_id": contoso.id},
        {"customer_id": 9999, "organization_id": contoso.id}]})
    assert result.status_code == 200
    assert [r["name"] for r in result.json["mapped"]] == ["Fabrikam"]
    assert result.json["failed"][0]["index"] == 1 and result.json["failed"][0]["field"] == "customer_id"
    assert api.post("/api/v1/mapping-suggestions/accept", json={"pairs": []}).status_code == 422
    created = api.post(f"/api/v1/vendor-customers/{c['c-4'].id}/create-organization")
    assert created.status_code == 201 and created.json["organization"]["name"] == "Tailspin Toys"
    org = api.get(created.headers["Location"]).json
    assert org["name"] == "Tailspin Toys"
    again = api.post(f"/api/v1/vendor-customers/{c['c-4'].id}/create-organization")
    assert again.status_code == 409
    suggestions = api.get("/api/v1/mapping-suggestions?vendor=fake")
    assert suggestions.status_code == 200 and isinstance(suggestions.json["items"], list)


def test_counts_carry_their_extra(api, mapped_world, fake_vendor):
    from tests.web.conftest import sync_fake

    fake_vendor.count_extras[("c-1", "seats")] = {"terms": "5 Annual (1-Year, ends 2026-01-01)"}
    sync_fake()
    rows = {r["name"]: r for r in api.get("/api/v1/vendor-customers?vendor=fake&limit=100").json["items"]}
    assert rows["Contoso Ltd"]["licenses"] == [{"sku": "seats", "name": "Fake seats", "quantity": "5",
                                                "extra": {"terms": "5 Annual (1-Year, ends 2026-01-01)"},
                                                "details": "terms: 5 Annual (1-Year, ends 2026-01-01)"}]
    assert rows["Fabrikam"]["licenses"] == [{"sku": "seats", "name": "Fake seats", "quantity": "2", "extra": {},
                                             "details": ""}]
