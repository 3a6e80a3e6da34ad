"""Fixtures for the Pax8 plugin's tests.

- ``api``: a strict ``responses`` mock of the Pax8 API: ``api.token()`` registers the token call
  (matching the JSON body with the audience), ``api.get(path, ...)`` answers that only match the
  bearer token it handed out; ``company``/``subscription``/``page_of`` build payloads.
- ``handle`` / ``session``: the plugin registered with the hub's real plugin registry, and the
  VendorSession the hub would build for it, with waits skipped.
- from the hub's test kit: ``hub_harness``, ``hub_app``, ``simulator``, ``hub_sync``.
"""

from __future__ import annotations

import pytest
import responses
from responses import matchers

import hub_pax8.plugin
from hub.plugin_host import PluginRegistry
from hub_pax8.schema import Pax8Config

API = "https://api.pax8.com/v1"
TOKEN_URL = "https://token-manager.pax8.com/oauth/token"
CREDENTIALS = {"client_id": "cid-123", "client_secret": "s3cret-Pax8!"}
M365_BP = "4f76b357-1e4a-4c1b-9b6e-2f0d8a9b0c01"
DEFENDER = "4f76b357-1e4a-4c1b-9b6e-2f0d8a9b0c04"


def _company(company_id: str, name: str, **fields) -> dict:
    return {"id": company_id, "name": name, "status": "Active", "externalId": None, **fields}


def _subscription(sub_id: str, company_id: str, product_id: str = M365_BP, quantity=10, **fields) -> dict:
    return {"id": sub_id, "companyId": company_id, "productId": product_id, "quantity": quantity,
            "status": "Active", "billingTerm": "Monthly", **fields}


def _page_of(content: list[dict], *, number: int = 0, pages: int = 1, total: int | None = None) -> dict:
    return {"content": content, "page": {"size": 200, "number": number, "totalPages": pages,
                                         "totalElements": len(content) if total is None else total}}


class MockedApi:
    def __init__(self, rsps: responses.RequestsMock) -> None:
        self.rsps = rsps

    def token(self, access_token: str = "tok-1", expires_in: int = 86400, status: int = 200, json=None):
        body = {**CREDENTIALS, "audience": "https://api.pax8.com", "grant_type": "client_credentials"}
        answer = json if json is not None else {"access_token": access_token, "expires_in": expires_in,
                                                "token_type": "Bearer"}
        return self.rsps.add(responses.POST, TOKEN_URL, json=answer, status=status,
                             match=[matchers.json_params_matcher(body)])

    def get(self, path: str, *, json=None, body=None, status: int = 200, params: dict | None = None,
            headers: dict | None = None, token: str = "tok-1"):
        match = [matchers.header_matcher({"Authorization": f"Bearer {token}"})]
        if params is not None:
            match.append(matchers.query_param_matcher(params))
        kwargs = {"status": status, "headers": headers or {}, "match": match}
        if json is not None:
            kwargs["json"] = json
        else:
            kwargs["body"] = body if body is not None else ""
        return self.rsps.add(responses.GET, API + path, **kwargs)


@pytest.fixture
def api():
    with responses.RequestsMock() as rsps:
        yield MockedApi(rsps)


@pytest.fixture
def company():
    return _company


@pytest.fixture
def subscription():
    return _subscription


@pytest.fixture
def page_of():
    return _page_of


@pytest.fixture
def hub_plugin():
    """The entry-point name the hub's test kit loads (its fixtures find the plugin through it)."""
    return "pax8"


@pytest.fixture
def config():
    return Pax8Config().load(dict(CREDENTIALS))


@pytest.fixture
def handle():
    registry = PluginRegistry()
    assert registry.register(hub_pax8.plugin, "pax8") is not None, registry.errors
    return registry.handle("pax8")


@pytest.fixture
def session(handle, config):
    with handle.make_session(config, sleep=lambda seconds: None) as session:
        yield session
