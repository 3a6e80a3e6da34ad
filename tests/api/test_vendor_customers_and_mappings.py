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


def _all_pages(api, url: str) -> list[dict]:
    rows = []
    while url:
        page = api.get(url)
        assert page.status_code == 200, page.json
        rows += page.json["items"]
        url = page.json["next"] and page.json["next"].replace("http://localhost", "")
    return rows


def test_sort_by_organization_both_ways_with_unmapped_last_and_stable_cursors(api, mapped_world):
    from hub import mapping
    from hub.audit import Actor

    c, orgs = mapped_world["customers"], mapped_world["orgs"]
    alpha = mapping.create_organization("alpha Services", Actor.cli("test"))
    mapping.map_customer(c["c-2"].id, alpha.id, Actor.cli("test"))          # Fabrikam -> alpha Services
    mapping.map_customer(c["c-5"].id, orgs["Contoso"].id, Actor.cli("test"))  # Wingtip -> Contoso (a tie)
    every = {r["name"]: r for r in _all_pages(api, "/api/v1/vendor-customers?vendor=fake&limit=100")}
    mapped = sorted((r for r in every.values() if r["organization"]),
                    key=lambda r: (r["organization"]["name"].lower(), r["name"].lower(), r["id"]))
    unmapped = sorted((r for r in every.values() if not r["organization"]), key=lambda r: (r["name"].lower(), r["id"]))
    assert len(mapped) == 4 and len(unmapped) == 2  # Northwind Traders: Detached, still with its Organization

    ascending = [r["name"] for r in _all_pages(api, "/api/v1/vendor-customers?vendor=fake&sort=organization&limit=1")]
    assert ascending == [r["name"] for r in mapped] + [r["name"] for r in unmapped]
    assert ascending[:3] == ["Fabrikam", "Contoso Ltd", "Wingtip"]  # case-insensitive, ties by customer name
    descending = [r["name"] for r in _all_pages(api, "/api/v1/vendor-customers?vendor=fake&sort=-organization&limit=2")]
    # the Organizations reversed, the customers without one still last (in the reversed order among them)
    assert descending == [r["name"] for r in reversed(mapped)] + [r["name"] for r in reversed(unmapped)]
    assert len(set(descending)) == len(every)
    # a cursor of one order does not serve another
    first = api.get("/api/v1/vendor-customers?vendor=fake&sort=organization&limit=1").json["next"]
    cursor = first.split("cursor=")[1]
    assert api.get(f"/api/v1/vendor-customers?vendor=fake&sort=name&cursor={cursor}").status_code == 422


def test_create_organization_takes_a_typed_name_checked_like_any_name(api, mapped_world):
    c, orgs = mapped_world["customers"], mapped_world["orgs"]
    url = f"/api/v1/vendor-customers/{c['c-4'].id}/create-organization"
    empty = api.post(url, json={"name": ""})
    assert empty.status_code == 422 and [e["field"] for e in empty.json["errors"]] == ["name"]
    blank = api.post(url, json={"name": "   "})
    assert blank.status_code == 422 and [e["field"] for e in blank.json["errors"]] == ["name"]
    too_long = api.post(url, json={"name": "x" * 201})
    assert too_long.status_code == 422 and too_long.json["errors"][0]["field"] == "name"
    not_text = api.post(url, json={"name": 12})
    assert not_text.status_code == 422 and not_text.json["errors"][0]["field"] == "name"
    taken = api.post(url, json={"name": "contoso"})  # another Organization's name, compared case-folded
    assert taken.status_code == 409 and taken.json["errors"][0]["field"] == "name"
    assert db.session.get(VendorCustomer, c["c-4"].id).organization_id is None  # nothing changed
    created = api.as_role("billing").post(url, json={"name": "  Tailspin Holdings  "},
                                          headers={"Idempotency-Key": "tailspin-1"})
    assert created.status_code == 201, created.json
    assert created.json["organization"]["name"] == "Tailspin Holdings"
    replay = api.as_role("billing").post(url, json={"name": "  Tailspin Holdings  "},
                                         headers={"Idempotency-Key": "tailspin-1"})
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    assert api.get(created.headers["Location"]).json["name"] == "Tailspin Holdings"
    # no body at all (as before): the vendor customer's name
    plain = api.post(f"/api/v1/vendor-customers/{c['c-5'].id}/create-organization")
    assert plain.status_code == 201 and plain.json["organization"]["name"] == "Wingtip"
    assert orgs["Contoso"].name == "Contoso"


def test_a_customer_names_the_organizations_it_belonged_to(api, mapped_world, client, auth):
    """Remapped, the customer keeps who held it before and until when, in the API and on its counts page."""
    customer = mapped_world["customers"]["c-2"]
    contoso, northwind = mapped_world["orgs"]["Contoso"], mapped_world["orgs"]["Northwind"]
    url = f"/api/v1/vendor-customers/{customer.id}/mapping"
    assert api.get(f"/api/v1/vendor-customers/{customer.id}").json["past_mappings"] == []
    api.put(url, json={"organization_id": contoso.id})
    api.put(url, json={"organization_id": northwind.id})
    api.delete(url)
    got = api.get(f"/api/v1/vendor-customers/{customer.id}").json["past_mappings"]
    assert [(p["organization"]["name"], p["mapped_from"] is None) for p in got] == [("Contoso", True),
                                                                                     ("Northwind", False)]
    assert got[0]["mapped_until"] == got[1]["mapped_from"] and got[1]["mapped_until"].endswith("+00:00")
    auth.login("viewer")
    html = client.get(f"/billing/reports/usage/customers/{customer.id}").data.decode()
    page = html.split('id="past-mappings"', 1)[1].split("</ul>", 1)[0]
    assert page.index("Contoso") < page.index("Northwind") and "until" in page
