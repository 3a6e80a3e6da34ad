"""Fixtures for the public API's tests: a token per role and a client that sends it."""

from __future__ import annotations

import pytest

from hub import api_tokens
from hub.audit import Actor
from tests.web.conftest import app_config, auth, mapped_world, users  # noqa: F401  (the panel's fixtures, reused)


class ApiClient:
    """The Flask test client with ``Authorization: Bearer`` set, JSON in and out."""

    def __init__(self, client, secret: str | None) -> None:
        self.client = client
        self.secret = secret

    def open(self, method: str, url: str, json=None, headers=None, **kwargs):
        sent = dict(headers or {})
        if self.secret is not None:
            sent.setdefault("Authorization", f"Bearer {self.secret}")
        return self.client.open(url, method=method, json=json, headers=sent, **kwargs)

    def get(self, url, **kw):
        return self.open("GET", url, **kw)

    def post(self, url, json=None, **kw):
        return self.open("POST", url, json=json, **kw)

    def patch(self, url, json=None, **kw):
        return self.open("PATCH", url, json=json, **kw)

    def put(self, url, json=None, **kw):
        return self.open("PUT", url, json=json, **kw)

    def delete(self, url, **kw):
        return self.open("DELETE", url, **kw)


def make_token(role: str, name: str | None = None, **kwargs) -> str:
    return api_tokens.create_token(name or f"{role} token", role, Actor.cli("test"), **kwargs).secret


@pytest.fixture
def tokens(app_ctx):
    """One token secret per role."""
    return {role: make_token(role) for role in ("admin", "billing", "viewer")}


@pytest.fixture
def api(client, tokens):
    """An admin's API client; ``api.as_role("viewer")`` for another role."""
    admin = ApiClient(client, tokens["admin"])
    admin.as_role = lambda role: ApiClient(client, tokens[role])
    admin.anonymous = lambda: ApiClient(client, None)
    return admin


@pytest.fixture
def billing_world(mapped_world, fake_vendor, users):
    """The billing pages' world (tests/web/billing_fixtures.py): products, a recurring invoice, an issued invoice."""
    from tests.web.billing_fixtures import build_billing

    return {**mapped_world, **build_billing(fake_vendor, mapped_world)}
