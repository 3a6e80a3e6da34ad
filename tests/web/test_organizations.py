"""Organizations: list, search, create, edit, and their mapped vendor customers."""

from __future__ import annotations

import re

import pytest

from hub.extensions import db
from hub.models import AuditEvent, Organization


def _orgs() -> list[tuple[str, str | None]]:
    db.session.expire_all()
    return sorted((o.name, o.domain) for o in db.session.execute(db.select(Organization)).scalars())


def test_create_and_edit_are_audited(client, auth, users):
    auth.login("billing")
    response = client.post("/organizations/new", data={"name": "  Contoso  ", "domain": "https://www.Contoso.com/"})
    assert response.status_code == 302
    assert _orgs() == [("Contoso", "contoso.com")]
    org_id = int(response.headers["Location"].rsplit("/", 1)[1])
    response = client.post(f"/organizations/{org_id}/edit", data={"name": "Contoso Group", "domain": ""})
    assert response.status_code == 302
    assert _orgs() == [("Contoso Group", None)]
    changes = [(e.field, e.old_value, e.new_value) for e in db.session.execute(
        db.select(AuditEvent).filter_by(action="organization.update").order_by(AuditEvent.id)).scalars()]
    assert changes == [("name", "Contoso", "Contoso Group"), ("domain", "contoso.com", None)]


@pytest.mark.parametrize(("data", "field"), [
    ({"name": ""}, "name"),
    ({"name": "x" * 201}, "name"),
    ({"name": "Ok", "domain": "not a domain"}, "domain"),
    ({"name": "existing"}, "name"),
])
def test_create_errors_name_the_field_and_create_nothing(client, auth, users, data, field):
    auth.login("billing")
    client.post("/organizations/new", data={"name": "Existing"})
    events = db.session.execute(db.select(db.func.count()).select_from(AuditEvent)).scalar_one()
    response = client.post("/organizations/new", data=data)
    assert response.status_code == 400
    assert re.search(rf'<p class="field-error" id="{field}-error">[^<]+</p>', response.data.decode())
    assert _orgs() == [("Existing", None)]
    assert db.session.execute(db.select(db.func.count()).select_from(AuditEvent)).scalar_one() == events


def test_edit_refuses_another_organizations_name(client, auth, users):
    auth.login("billing")
    client.post("/organizations/new", data={"name": "One"})
    client.post("/organizations/new", data={"name": "Two"})
    two = db.session.execute(db.select(Organization).filter_by(name="Two")).scalar_one()
    response = client.post(f"/organizations/{two.id}/edit", data={"name": "ONE"})
    assert response.status_code == 400 and 'id="name-error"' in response.data.decode()
    assert _orgs() == [("One", None), ("Two", None)]
    same = client.post(f"/organizations/{two.id}/edit", data={"name": "two"})  # its own name, new case
    assert same.status_code == 302 and _orgs() == [("One", None), ("two", None)]


def test_list_search_and_counts(client, auth, mapped_world):
    auth.login("viewer")
    html = client.get("/organizations/").data.decode()
    assert re.search(r">Contoso</a></td>\s*<td>contoso.com</td>\s*<td class=\"num\">1</td>", html)
    html = client.get("/organizations/?q=north").data.decode()
    assert "Northwind" in html and "Contoso" not in html
    assert "New Organization" not in html  # viewers cannot create


def test_detail_lists_mapped_vendor_customers(client, auth, mapped_world):
    auth.login("viewer")
    contoso = mapped_world["orgs"]["Contoso"]
    html = client.get(f"/organizations/{contoso.id}").data.decode()
    assert "Contoso Ltd" in html and "seats: 5" in html and "badge-mapped" in html
    northwind = mapped_world["orgs"]["Northwind"]
    assert "badge-detached" in client.get(f"/organizations/{northwind.id}").data.decode()
    assert client.get("/organizations/99999").status_code == 404


def test_detail_links_to_the_organizations_recurring_invoices_and_invoices(client, auth, mapped_world):
    auth.login("viewer")
    contoso = mapped_world["orgs"]["Contoso"]
    html = client.get(f"/organizations/{contoso.id}").data.decode()
    assert f'href="/billing/recurring?organization_id={contoso.id}"' in html
    assert f'href="/billing/invoices?organization_id={contoso.id}"' in html


def test_external_ref_is_kept_by_the_form_and_unique(client, auth):
    from hub.models import Organization

    auth.login("billing")
    client.post("/organizations/new", data={"name": "Contoso", "domain": "", "external_ref": "psa-1"})
    org = db.session.execute(db.select(Organization).filter_by(name="Contoso")).scalar_one()
    assert org.external_ref == "psa-1"
    form = client.get(f"/organizations/{org.id}/edit").get_data(as_text=True)
    assert 'value="psa-1"' in form  # an edit that does not touch it keeps it
    taken = client.post("/organizations/new", data={"name": "Other", "domain": "", "external_ref": "psa-1"})
    assert taken.status_code == 400 and "another Organization already has" in taken.get_data(as_text=True)
    assert db.session.execute(db.select(Organization).filter_by(name="Other")).first() is None
