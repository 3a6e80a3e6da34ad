"""Fixtures for the Huntress plugin's tests.

- ``api``: a strict ``responses`` mock of the Huntress API whose registrations only match requests
  carrying the configured HTTP Basic credentials.
- ``handle`` / ``session``: the plugin registered with the hub's real plugin registry, and the
  VendorSession the hub would build for it, with waits recorded instead of slept.
- from the hub's test kit (``hub.testing``'s pytest plugin), named by ``hub_plugin`` below:
  ``hub_harness``, ``hub_app``, ``simulator`` (served on loopback), ``hub_sync``.
"""

from __future__ import annotations

import base64

import pytest
import responses
from responses import matchers

import hub_huntress.plugin
from hub.plugin_host import PluginRegistry
from hub_huntress.schema import HuntressConfig

BASE_URL = "https://api.huntress.io"
API = BASE_URL + "/v1"
RAW_CONFIG = {"api_key": "hk_0123456789abcdef", "api_secret": "hs_s3cret-Huntress!"}
BASIC = "Basic " + base64.b64encode(b"hk_0123456789abcdef:hs_s3cret-Huntress!").decode()


def _organization(org_id: int, name: str, **fields) -> dict:
    """An organization object shaped like the real API's (fact sheet section 8.3)."""
    return {"id": org_id, "name": name, "key": name.lower().replace(" ", "-"), "account_id": 440,
            "agents_count": 10, "billable_identity_count": 7, "microsoft_365_users_count": 12,
            "microsoft_365_tenant_id": None, "identity_provider_tenant_id": None, "sat_learner_count": 0,
            "logs_sources_count": 0, "incident_reports_count": 0, "notify_emails": [],
            "report_recipients": [], "created_at": "2024-01-15T14:22:00Z",
            "updated_at": "2026-04-23T19:34:23Z", **fields}


def _page(orgs: list[dict], *, total: int, token: str | None = None, current: int = 1) -> dict:
    return {"organizations": orgs,
            "pagination": {"current_page": current, "current_page_count": len(orgs), "limit": 500,
                           "total_count": total, "next_page": current + 1 if token else None,
                           "next_page_token": token,
                           "next_page_url": f"{API}/organizations?limit=500&page_token={token}" if token else None}}


class MockedApi:
    def __init__(self, rsps: responses.RequestsMock) -> None:
        self.rsps = rsps

    def get(self, path: str, *, json=None, body=None, status: int = 200, headers: dict | None = None,
            params: dict | None = None, auth: str = BASIC):
        match = [matchers.header_matcher({"Authorization": auth})]
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
def hub_plugin():
    """The entry-point name the hub's test kit loads (its fixtures find the plugin through it)."""
    return "huntress"


@pytest.fixture
def config():
    return HuntressConfig().load(dict(RAW_CONFIG))


@pytest.fixture
def handle():
    registry = PluginRegistry()
    assert registry.register(hub_huntress.plugin, "huntress") is not None, registry.errors
    return registry.handle("huntress")


@pytest.fixture
def sleeps():
    """Every wait the session asked for (retries, Retry-After, rate-limit spacing); none is slept."""
    return []


@pytest.fixture
def session(handle, config, sleeps):
    with handle.make_session(config, sleep=sleeps.append) as session:
        yield session


@pytest.fixture
def organization():
    """``organization(id, name, **fields)``: an organization object as the real API shapes it."""
    return _organization


@pytest.fixture
def page():
    """``page(orgs, total=, token=, current=)``: one page of ``GET /v1/organizations``."""
    return _page
