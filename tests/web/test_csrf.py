"""CSRF protection on, as in production: forms and fetches without the token are refused and change nothing."""

from __future__ import annotations

import pytest

from hub.extensions import db
from hub.models import AuditEvent, Organization, VendorCustomer
from tests.conftest import make_test_config
from tests.web.conftest import PASSWORD, csrf_token_from


@pytest.fixture
def app_config(tmp_path, database_url):
    return make_test_config(tmp_path, database_url, HUB_SYNC_IN_BACKGROUND=False, WTF_CSRF_ENABLED=True)


def _login(client) -> str:
    token = csrf_token_from(client.get("/login").data.decode())
    response = client.post("/login", data={"email": "billing@example.com", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    return csrf_token_from(client.get("/").data.decode())


def test_login_without_token_is_refused(client, users):
    response = client.post("/login", data={"email": "billing@example.com", "password": PASSWORD})
    assert response.status_code == 400
    assert "Reload the page" in response.data.decode()
    assert client.get("/").status_code == 302  # not signed in


def test_form_post_without_token_changes_nothing(client, users):
    token = _login(client)
    response = client.post("/organizations/new", data={"name": "Sneaky"})
    assert response.status_code == 400
    assert db.session.execute(db.select(Organization)).first() is None
    assert client.post("/organizations/new", data={"name": "Honest", "csrf_token": "forged"}).status_code == 400
    ok = client.post("/organizations/new", data={"name": "Honest", "csrf_token": token})
    assert ok.status_code == 302
    assert [o.name for o in db.session.execute(db.select(Organization)).scalars()] == ["Honest"]


def test_fetch_without_the_header_is_refused_with_json(client, users, mapped_world):
    token = _login(client)
    customer = mapped_world["customers"]["c-2"]
    org = mapped_world["orgs"]["Contoso"]
    events_before = db.session.execute(db.select(db.func.count()).select_from(AuditEvent)).scalar_one()
    url = f"/api/mapping/customers/{customer.id}/map"
    refused = client.post(url, json={"organization_id": org.id})
    assert refused.status_code == 400
    assert refused.json["field"] == "csrf_token"
    db.session.expire_all()
    assert db.session.get(VendorCustomer, customer.id).organization_id is None
    assert db.session.execute(db.select(db.func.count()).select_from(AuditEvent)).scalar_one() == events_before

    accepted = client.post(url, json={"organization_id": org.id}, headers={"X-CSRFToken": token})
    assert accepted.status_code == 200 and accepted.json["row"]["status"] == "mapped"


def test_logout_needs_the_token(client, users):
    token = _login(client)
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200  # still signed in
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/").status_code == 302


def test_every_page_form_carries_the_token(client, users, mapped_world):
    """Each POST form rendered on the main pages has a csrf_token field."""
    import re

    _login(client)
    for url in ("/", "/admin/apps/", "/admin/apps/fake", "/organizations/new", "/admin/mapping/"):
        html = client.get(url).data.decode()
        for form in re.findall(r"<form[^>]*method=\"post\"[^>]*>.*?</form>", html, flags=re.S):
            assert 'name="csrf_token"' in form, (url, form[:200])
