"""Fixtures for the web panel's tests: users of each role, a login helper, a synced fake vendor.

Test users get cheap password hashes (pbkdf2 with one round) so that logging in dozens of times stays
fast; ``test_users.py`` checks that real accounts get scrypt hashes.
"""

from __future__ import annotations

import re

import pytest
from werkzeug.security import generate_password_hash

from hub.audit import Actor
from hub.extensions import db
from hub.models import Organization, Role, User
from tests.conftest import make_test_config

PASSWORD = "correct horse battery"
ROLES = (Role.ADMIN.value, Role.BILLING.value, Role.VIEWER.value)


@pytest.fixture
def app_config(tmp_path, database_url):
    # syncs started from the panel run inside the request, so tests see their outcome at once
    return make_test_config(tmp_path, database_url, HUB_SYNC_IN_BACKGROUND=False)


def add_user(email: str, role: str, password: str = PASSWORD, active: bool = True) -> User:
    user = User(email=email, role=role, active=active,
                password_hash=generate_password_hash(password, method="pbkdf2:sha256:1"))
    db.session.add(user)
    db.session.commit()
    return user


@pytest.fixture
def users(app_ctx):
    """One user per role: admin@example.com, billing@example.com, viewer@example.com."""
    return {role: add_user(f"{role}@example.com", role) for role in ROLES}


class Auth:
    def __init__(self, client) -> None:
        self.client = client

    def login(self, role_or_email: str, password: str = PASSWORD):
        email = role_or_email if "@" in role_or_email else f"{role_or_email}@example.com"
        return self.client.post("/login", data={"email": email, "password": password})

    def logout(self):
        return self.client.post("/logout")


@pytest.fixture
def auth(client, users):
    return Auth(client)


def csrf_token_from(html: str) -> str:
    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert match, "the page has no csrf-token meta tag"
    return match.group(1)


def sync_fake(slug: str = "fake"):
    from hub.sync import run_sync

    run = run_sync(slug, trigger="cli", triggered_by="test")
    assert run.status == "succeeded", run.error_message
    return run


@pytest.fixture
def mapped_world(fake_integration, fake_vendor):
    """A synced fake vendor: Contoso Ltd mapped, Northwind Traders detached (was mapped), the rest not mapped."""
    from hub import mapping

    fake_vendor.add("c-1", "Contoso Ltd", seats=5)
    fake_vendor.add("c-2", "Fabrikam", seats=2)
    fake_vendor.add("c-3", "Northwind Traders", seats=1)
    fake_vendor.add("c-4", "Tailspin Toys")
    fake_vendor.add("c-5", "Wingtip")
    fake_vendor.add("c-6", "Adventure Works", status="suspended")  # six customers: one detach stays under the 20% review threshold
    sync_fake()
    contoso = mapping.create_organization("Contoso", Actor.cli("test"), domain="contoso.com")
    northwind = mapping.create_organization("Northwind", Actor.cli("test"))
    db.session.commit()
    customers = {c.external_id: c for c in _customers()}
    mapping.map_customer(customers["c-1"].id, contoso.id, Actor.cli("test"))
    mapping.map_customer(customers["c-3"].id, northwind.id, Actor.cli("test"))
    fake_vendor.remove("c-3")
    sync_fake()
    return {"customers": {c.external_id: c for c in _customers()},
            "orgs": {o.name: o for o in db.session.execute(db.select(Organization)).scalars()}}


def _customers():
    from hub.models import VendorCustomer

    return list(db.session.execute(db.select(VendorCustomer)).scalars())
