"""The Customer Mapping Tool through the test client: page, table API, map, unmap, create, suggestions."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from hub import mapping
from hub.audit import Actor
from hub.extensions import db
from hub.models import AuditEvent, Organization, VendorCustomer
from tests.web.conftest import sync_fake


def api_rows(client, **params):
    params.setdefault("vendor", "fake")
    response = client.get("/api/mapping/customers", query_string=params)
    assert response.status_code == 200, response.data
    return response.json


def names(data) -> list[str]:
    return [row["name"] for row in data["rows"]]


def test_without_an_enabled_integration_the_page_sends_you_to_the_app_center(client, auth, users):
    auth.login("billing")
    response = client.get("/admin/mapping/")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/apps/"
    assert "needs an enabled vendor integration" in client.get("/admin/apps/").data.decode()


def test_page_shows_each_status_with_its_color(client, auth, mapped_world):
    auth.login("viewer")
    html = client.get("/admin/mapping/").data.decode()
    assert '<span class="badge badge-mapped">Mapped</span>' in html
    assert '<span class="badge badge-not_mapped">Not mapped</span>' in html
    assert '<span class="badge badge-detached">Detached</span>' in html
    assert "Contoso Ltd" in html and ">Contoso</a>" in html
    assert "Fake seats: 5" in html
    assert 'class="org-pick"' not in html and 'class="unmap"' not in html  # viewers read only
    auth.logout()
    auth.login("billing")
    html = client.get("/admin/mapping/").data.decode()
    assert 'class="org-pick"' in html and 'class="unmap"' in html


def test_vendor_dropdown_selects_the_vendor(app, client, auth, mapped_world):
    from hub import integrations
    from tests.fakes.fake_vendor import FAKE_CONFIG, FakeVendor

    other = FakeVendor("other")
    app.extensions["hub.plugins"].register(other, "other")
    integrations.configure("other", dict(FAKE_CONFIG), Actor.cli("test"), enable=True)
    other.add("o-1", "Only In Other")
    sync_fake("other")
    auth.login("viewer")
    html = client.get("/admin/mapping/?vendor=other").data.decode()
    assert "Only In Other" in html and "Contoso Ltd" not in html
    assert '<option value="other" selected>' in html
    assert "Only In Other" not in client.get("/admin/mapping/?vendor=fake").data.decode()


def test_search_matches_customer_id_and_organization(client, auth, mapped_world):
    auth.login("viewer")
    assert names(api_rows(client, q="fab")) == ["Fabrikam"]
    assert names(api_rows(client, q="C-4")) == ["Tailspin Toys"]
    assert names(api_rows(client, q="contoso")) == ["Contoso Ltd"]  # via its Organization too
    assert names(api_rows(client, q="%")) == []  # wildcards are literal
    assert names(api_rows(client, q="zzz")) == []


@pytest.mark.parametrize(("sort", "expected"), [
    ("name", ["Adventure Works", "Contoso Ltd", "Fabrikam", "Northwind Traders", "Tailspin Toys", "Wingtip"]),
    ("status", ["Contoso Ltd", "Adventure Works", "Fabrikam", "Tailspin Toys", "Wingtip", "Northwind Traders"]),
    ("organization", ["Contoso Ltd", "Northwind Traders", "Adventure Works", "Fabrikam", "Tailspin Toys", "Wingtip"]),
    ("vendor_status", ["Contoso Ltd", "Fabrikam", "Northwind Traders", "Tailspin Toys", "Wingtip", "Adventure Works"]),
    # seats 5, 2 and 1; the three without counts tie at zero and fall back to the name
    ("licenses", ["Adventure Works", "Tailspin Toys", "Wingtip", "Northwind Traders", "Fabrikam", "Contoso Ltd"]),
])
def test_every_column_sorts_both_ways(client, auth, mapped_world, sort, expected):
    auth.login("viewer")
    assert names(api_rows(client, sort=sort, dir="asc")) == expected
    descending = names(api_rows(client, sort=sort, dir="desc"))
    if sort == "organization":  # rows without an Organization stay last
        assert descending == ["Northwind Traders", "Contoso Ltd", "Wingtip", "Tailspin Toys", "Fabrikam",
                              "Adventure Works"]
    else:
        assert descending == list(reversed(expected))


def test_server_side_paging(client, auth, mapped_world):
    auth.login("viewer")
    first = api_rows(client, per_page=4, page=1)
    second = api_rows(client, per_page=4, page=2)
    assert first["page"] == {"page": 1, "per_page": 4, "total": 6, "pages": 2, "first_item": 1, "last_item": 4}
    assert len(first["rows"]) == 4 and len(second["rows"]) == 2
    assert not set(names(first)) & set(names(second))
    past_the_end = api_rows(client, per_page=4, page=99)
    assert past_the_end["page"]["page"] == 2 and names(past_the_end) == names(second)
    junk = api_rows(client, per_page="lots", page="-3", sort="drop table", dir="sideways")
    assert junk["page"]["page"] == 1 and len(junk["rows"]) == 6
    html = client.get("/admin/mapping/?per_page=4").data.decode()
    assert "1–4 of 6" in html and 'rel="next"' in html


def test_status_filter_and_counts(client, auth, mapped_world):
    auth.login("viewer")
    data = api_rows(client, status="not_mapped")
    assert set(names(data)) == {"Adventure Works", "Fabrikam", "Tailspin Toys", "Wingtip"}
    assert "counts" not in data  # unchanged by filters; asked for when needed
    assert api_rows(client, counts="1")["counts"] == {"mapped": 1, "not_mapped": 4, "detached": 1}


def test_map_then_unmap(client, auth, mapped_world):
    fabrikam = mapped_world["customers"]["c-2"]
    contoso = mapped_world["orgs"]["Contoso"]
    auth.login("billing")
    response = client.post(f"/api/mapping/customers/{fabrikam.id}/map", json={"organization_id": contoso.id})
    assert response.status_code == 200
    assert response.json["row"]["status"] == "mapped"
    assert response.json["row"]["organization"] == {"id": contoso.id, "name": "Contoso"}
    assert response.json["counts"]["mapped"] == 2
    event_ = db.session.execute(db.select(AuditEvent).filter_by(action="mapping.map", entity_id=str(fabrikam.id))).scalar_one()
    assert event_.actor == "billing@example.com" and event_.new_value == str(contoso.id)

    response = client.post(f"/api/mapping/customers/{fabrikam.id}/unmap")
    assert response.json["row"]["status"] == "not_mapped" and response.json["removed"] is False
    assert db.session.execute(db.select(AuditEvent).filter_by(action="mapping.unmap")).scalar_one()


def test_unmapping_a_detached_customer_takes_it_off_the_table_and_archives_it(client, auth, mapped_world):
    northwind = mapped_world["customers"]["c-3"]
    auth.login("billing")
    response = client.post(f"/api/mapping/customers/{northwind.id}/unmap")
    assert response.json == {"row": None, "removed": True,
                             "counts": {"mapped": 1, "not_mapped": 4, "detached": 0}}
    listed = client.get("/api/mapping/customers?vendor=fake&per_page=100").json["rows"]
    assert northwind.id not in {row["id"] for row in listed} and len(listed) == 5
    db.session.expire_all()
    assert db.session.get(VendorCustomer, northwind.id).archived_at is not None  # kept for history


@pytest.mark.parametrize(("path", "body", "status", "field"), [
    ("c-2/map", {"organization_id": 999999}, 404, "organization_id"),
    ("c-2/map", {"organization_id": "abc"}, 400, "organization_id"),
    ("c-2/map", {}, 400, "organization_id"),
    ("c-3/map", {"organization_id": "ORG"}, 400, "customer_id"),  # Detached cannot be mapped
    ("c-2/unmap", None, 400, "customer_id"),  # not mapped
    ("c-1/create-organization", None, 400, "customer_id"),  # already mapped
    ("999999/map", {"organization_id": "ORG"}, 404, "customer_id"),
])
def test_errors_name_the_field_and_change_nothing(client, auth, mapped_world, path, body, status, field):
    contoso = mapped_world["orgs"]["Contoso"]
    if body and body.get("organization_id") == "ORG":
        body = {"organization_id": contoso.id}
    external, action = path.split("/")
    customer_id = mapped_world["customers"][external].id if external in mapped_world["customers"] else external
    before = _snapshot()
    auth.login("billing")
    response = client.post(f"/api/mapping/customers/{customer_id}/{action}", json=body)
    assert response.status_code == status, response.json
    assert response.json["field"] == field and response.json["error"]
    assert _snapshot() == before


def _snapshot():
    db.session.expire_all()
    return (sorted((c.id, c.organization_id, c.detached_at) for c in db.session.execute(db.select(VendorCustomer)).scalars()),
            db.session.execute(db.select(db.func.count()).select_from(AuditEvent)).scalar_one(),
            db.session.execute(db.select(db.func.count()).select_from(Organization)).scalar_one())


def test_create_an_organization_from_a_customer_in_one_step(client, auth, mapped_world):
    tailspin = mapped_world["customers"]["c-4"]
    auth.login("billing")
    response = client.post(f"/api/mapping/customers/{tailspin.id}/create-organization")
    assert response.status_code == 200
    row = response.json["row"]
    assert row["status"] == "mapped" and row["organization"]["name"] == "Tailspin Toys"
    assert {"organization.create", "mapping.map"} <= {
        e.action for e in db.session.execute(db.select(AuditEvent)).scalars()}
    again = client.post(f"/api/mapping/customers/{mapped_world['customers']['c-5'].id}/create-organization")
    assert again.status_code == 200



def test_create_organization_uses_the_typed_name(client, auth, mapped_world):
    tailspin = mapped_world["customers"]["c-4"]
    auth.login("billing")
    response = client.post(f"/api/mapping/customers/{tailspin.id}/create-organization", json={"name": "Tailspin Group"})
    assert response.status_code == 200, response.json
    assert response.json["row"]["organization"]["name"] == "Tailspin Group"
    assert db.session.execute(db.select(Organization).filter_by(name="Tailspin Toys")).first() is None


@pytest.mark.parametrize("name", ["", "   ", "y" * 20_000, 7, "Contoso"])
def test_create_organization_refuses_a_bad_typed_name(client, auth, mapped_world, name):
    tailspin = mapped_world["customers"]["c-4"]
    before = _snapshot()
    auth.login("billing")
    response = client.post(f"/api/mapping/customers/{tailspin.id}/create-organization", json={"name": name})
    assert response.status_code == 400 and response.json["field"] == "name"
    assert len(response.json["error"]) < 200
    assert _snapshot() == before

def test_create_refuses_a_name_that_exists(client, auth, mapped_world, fake_vendor):
    fake_vendor.add("c-7", "contoso")
    sync_fake()
    customer = db.session.execute(db.select(VendorCustomer).filter_by(external_id="c-7")).scalar_one()
    auth.login("billing")
    response = client.post(f"/api/mapping/customers/{customer.id}/create-organization")
    assert response.status_code == 400 and response.json["field"] == "name"


def test_organization_autocomplete_prefix_first(client, auth, app_ctx, users):
    for name in ("Big Contoso", "Contoso", "Alpha", "50% Off Ltd"):
        mapping.create_organization(name, Actor.cli("test"))
    db.session.commit()
    auth.login("viewer")
    found = client.get("/api/organizations?q=CONT").json["organizations"]
    assert [o["name"] for o in found] == ["Contoso", "Big Contoso"]
    assert [o["name"] for o in client.get("/api/organizations?q=%25").json["organizations"]] == ["50% Off Ltd"]
    assert len(client.get("/api/organizations").json["organizations"]) == 4


def test_suggestions_by_domain_name_earlier_mapping_and_similarity(app, client, auth, mapped_world, fake_vendor):
    from hub import integrations
    from tests.fakes.fake_vendor import FAKE_CONFIG, FakeVendor

    orgs = mapped_world["orgs"]
    for name, domain in (("Fabrikam, Inc.", None), ("Wide World Importers", "wideworld.com"),
                         ("Adventure-Works Cycles", None)):
        mapping.create_organization(name, Actor.cli("test"), domain=domain)
    db.session.commit()
    # an earlier mapping in another vendor: "Tailspin Toys" is mapped to Northwind there
    other = FakeVendor("other")
    app.extensions["hub.plugins"].register(other, "other")
    integrations.configure("other", dict(FAKE_CONFIG), Actor.cli("test"), enable=True)
    other.add("o-1", "Tailspin Toys")
    sync_fake("other")
    tailspin_other = db.session.execute(db.select(VendorCustomer).filter_by(external_id="o-1")).scalar_one()
    mapping.map_customer(tailspin_other.id, orgs["Northwind"].id, Actor.cli("test"))
    # a domain only the vendor knows
    wingtip = mapped_world["customers"]["c-5"]
    wingtip.extra = {"domain": "www.WideWorld.com"}
    db.session.commit()

    auth.login("billing")
    found = {s["customer_name"]: s for s in client.get("/api/mapping/suggestions?vendor=fake").json["suggestions"]}
    assert found["Wingtip"]["organization_name"] == "Wide World Importers"
    assert found["Wingtip"]["reasons"] == ["same domain wideworld.com"]
    assert found["Fabrikam"]["organization_name"] == "Fabrikam, Inc." and "same name" in found["Fabrikam"]["reasons"]
    assert found["Tailspin Toys"]["organization_name"] == "Northwind"
    assert found["Tailspin Toys"]["reasons"] == ["mapped to it in other"]
    assert found["Adventure Works"]["organization_name"] == "Adventure-Works Cycles"
    assert found["Adventure Works"]["reasons"][0].startswith("similar name")
    assert found["Wingtip"]["score"] > found["Adventure Works"]["score"]
    assert "Contoso Ltd" not in found and "Northwind Traders" not in found  # mapped / detached
    scores = [s["score"] for s in client.get("/api/mapping/suggestions?vendor=fake").json["suggestions"]]
    assert scores == sorted(scores, reverse=True)


def test_bulk_accept_maps_each_and_reports_failures(client, auth, mapped_world):
    c = mapped_world["customers"]
    orgs = mapped_world["orgs"]
    auth.login("billing")
    response = client.post("/api/mapping/suggestions/accept", json={"pairs": [
        {"customer_id": c["c-2"].id, "organization_id": orgs["Contoso"].id},
        {"customer_id": c["c-4"].id, "organization_id": orgs["Northwind"].id},
        {"customer_id": c["c-3"].id, "organization_id": orgs["Contoso"].id},  # detached: refused
        {"customer_id": "x", "organization_id": 1},
    ]})
    assert response.status_code == 200
    assert sorted(r["name"] for r in response.json["mapped"]) == ["Fabrikam", "Tailspin Toys"]
    assert [(f["index"], f["field"]) for f in response.json["failed"]] == [(2, "customer_id"), (3, "pairs[3]")]
    assert len(db.session.execute(db.select(AuditEvent).filter_by(action="mapping.map",
                                                                   actor="billing@example.com")).all()) == 2
    assert client.post("/api/mapping/suggestions/accept", json={"pairs": []}).json["field"] == "pairs"


def test_the_table_api_uses_a_fixed_number_of_queries(app, client, auth, mapped_world, fake_vendor):
    """A count, the page's rows and their licenses: the same few queries whatever the page size (no N+1)."""
    for n in range(40):
        fake_vendor.add(f"x-{n}", f"Extra {n}", seats=n, gb=1)
    sync_fake()
    auth.login("viewer")
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    def run(per_page):
        statements.clear()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            data = api_rows(client, per_page=per_page, sort="organization")
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return data, [s for s in statements if "vendor_customers" in s or "license_counts" in s]

    small, few = run(5)
    large, many = run(40)
    assert len(small["rows"]) == 5 and len(large["rows"]) == 40
    assert len(few) == len(many) == 2  # the rows with their total, then their licenses


@pytest.mark.parametrize("query, name", [("vendor=acronsi", "vendor"), ("status=unmapped", "status")])
def test_unknown_filter_values_are_refused_by_name(client, auth, mapped_world, query, name):
    auth.login("viewer")
    page = client.get(f"/admin/mapping/?{query}")
    assert page.status_code == 400 and f"Unknown {name}" in page.data.decode()
    if name == "status":
        api = client.get(f"/api/mapping/customers?vendor=fake&{query}")
        assert api.status_code == 400 and api.json["error"].startswith("Unknown status 'unmapped': choose one of")


def test_a_counts_extra_is_shown_beside_it_and_a_count_without_shows_nothing_more(app, client, auth, users,
                                                                                  fake_integration, fake_vendor):
    fake_vendor.add("c-1", "Contoso Ltd", seats=17, mail=2)
    fake_vendor.count_extras[("c-1", "seats")] = {"terms": "12 Monthly + 5 Annual (1-Year, ends 2026-01-01)"}
    sync_fake()
    org = mapping.create_organization("Contoso", Actor.cli("test"))
    db.session.commit()
    customer = db.session.execute(db.select(VendorCustomer).filter_by(external_id="c-1")).scalar_one()
    mapping.map_customer(customer.id, org.id, Actor.cli("test"))
    auth.login("viewer")
    terms = "terms: 12 Monthly + 5 Annual (1-Year, ends 2026-01-01)"

    html = client.get("/admin/mapping/?vendor=fake").data.decode()
    assert f'<small class="lic-extra">{terms}</small>' in html
    assert html.count('class="lic-extra"') == 1  # mail has none
    licenses = {lic["sku"]: lic for lic in api_rows(client)["rows"][0]["licenses"]}
    assert (licenses["seats"]["details"], licenses["mail"]["details"]) == (terms, "")

    html = client.get(f"/organizations/{org.id}").data.decode()
    assert f'<small class="lic-extra">{terms}</small>' in html
