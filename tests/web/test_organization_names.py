"""Organization names compare on one normalised key (issue 9, defect 3): NFKC + Unicode case folding,
stored in ``organizations.name_key`` (unique), the same on SQLite and PostgreSQL. And an unexpected
error is a page of ours: rolled back first, with the security headers."""

from __future__ import annotations

import pytest
from flask import Blueprint

from hub import mapping
from hub.audit import Actor
from hub.extensions import db
from hub.models import Organization, VendorCustomer
from hub.web.access import roles
from tests.web.conftest import sync_fake

CLI = Actor.cli("test")


def _count() -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(Organization))


@pytest.mark.parametrize(("first", "second"), [
    ("Ünï Dup", "Ünï Dup"),
    ("Ünï Dup", "ÜNÏ DUP"),
    ("Ærøskøbing Æbler ApS", "ærøskøbing  æbler aps"),
    ("Straße GmbH", "STRASSE GMBH"),
    ("Ｆｕｌｌ Width", "full width"),  # NFKC: full-width letters are the plain ones
])
def test_a_second_spelling_of_a_name_is_refused_naming_the_field(app_ctx, first, second):
    mapping.create_organization(first, CLI)
    with pytest.raises(mapping.MappingError) as err:
        mapping.create_organization(second, CLI)
    assert err.value.field == "name"
    db.session.rollback()
    assert _count() == 1


def test_the_panel_answers_a_duplicate_non_ascii_name_with_a_400(client, auth, users):
    auth.login("billing")
    assert client.post("/organizations/new", data={"name": "Ünï Dup"}).status_code == 302
    again = client.post("/organizations/new", data={"name": "ÜNÏ DUP"})
    assert again.status_code == 400
    assert "already exists" in again.get_data(as_text=True)
    assert _count() == 1


def test_renaming_onto_another_spelling_is_refused(client, auth, users):
    auth.login("billing")
    mapping.create_organization("Ærøskøbing Æbler ApS", CLI)
    other = mapping.create_organization("Other", CLI)
    response = client.post(f"/organizations/{other.id}/edit", data={"name": "ÆRØSKØBING ÆBLER APS"})
    assert response.status_code == 400 and "already exists" in response.get_data(as_text=True)
    assert db.session.get(Organization, other.id).name == "Other"


def test_create_organization_from_a_second_vendors_customer_with_the_same_name(client, auth, users,
                                                                            fake_integration, fake_vendor):
    mapping.create_organization("Ærøskøbing Æbler ApS", CLI)  # made for the first vendor's customer
    fake_vendor.add("dk-1", "ÆRØSKØBING ÆBLER APS")
    sync_fake()
    customer = db.session.execute(db.select(VendorCustomer).filter_by(external_id="dk-1")).scalar_one()
    auth.login("billing")
    response = client.post(f"/api/mapping/customers/{customer.id}/create-organization")
    assert response.status_code == 400
    assert response.get_json()["field"] == "name"
    assert _count() == 1
    assert db.session.get(VendorCustomer, customer.id).organization_id is None


def test_the_key_follows_renames(app_ctx):
    organization = mapping.create_organization("Alpha", CLI)
    organization.name = "Ünï"
    db.session.commit()
    assert db.session.get(Organization, organization.id).name_key == "ünï"
    mapping.create_organization("Alpha", CLI)  # the old name is free again


@pytest.fixture
def failing_view(app):
    """A page that breaks its transaction (a duplicate key at flush) and lets the error escape, served the
    way a production server serves it (exceptions not propagated to the caller)."""
    bp = Blueprint("breaks", __name__)

    @bp.get("/breaks")
    @roles()
    def breaks():
        db.session.add_all([Organization(name="Same"), Organization(name="same")])
        db.session.flush()

    app.register_blueprint(bp)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    return "/breaks"


def test_an_unexpected_error_is_rolled_back_and_sent_with_the_security_headers(client, auth, users, failing_view):
    auth.login("viewer")
    response = client.get(failing_view)
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "nothing was saved" in body and "Werkzeug" not in body
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    # the session was rolled back: the next request works and nothing was written
    assert client.get("/organizations/").status_code == 200
    assert _count() == 0
    api = client.get(failing_view, headers={"Accept": "application/json"})
    assert api.status_code == 500 and "error" in api.get_json()
    assert api.headers["X-Content-Type-Options"] == "nosniff"
