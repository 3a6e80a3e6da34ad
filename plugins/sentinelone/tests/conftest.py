"""Fixtures for the SentinelOne plugin's tests.

- ``api``: a strict ``responses`` mock of the console API whose registrations only match requests
  carrying ``Authorization: ApiToken <token>``; ``site(...)`` and ``sites_page(...)`` build payloads
  shaped like the real ones.
- ``handle`` / ``session``: the plugin registered with the hub's real plugin registry, and the
  VendorSession the hub would build for it, with waits recorded instead of slept.
- from the hub's test kit: ``hub_harness``, ``hub_app``, ``simulator``, ``hub_sync``.
"""

from __future__ import annotations

import pytest
import responses
from responses import matchers

import hub_sentinelone.plugin
from hub.plugin_host import PluginRegistry
from hub_sentinelone.schema import SentinelOneConfig

BASE_URL = "https://usea1-northwind.sentinelone.net"
API = BASE_URL + "/web/api/v2.1"
TOKEN = "eyJraWQiOiJ0ZXN0In0.s3cret-token-value.sig"


def _site(site_id: str, name: str, *, account_id: str = "1392053568574369781", sku: str = "Complete",
          active: int = 10, addons: tuple[str, ...] = (), **fields) -> dict:
    bundles = [{"name": b.lower(), "displayName": b, "majorVersion": 1, "minorVersion": 0,
                "surfaces": [{"name": "Total Agents", "count": 25}], "totalSurfaces": 25} for b in (sku, *addons)]
    return {"id": site_id, "name": name, "accountId": account_id, "accountName": "MSP Managed",
            "isDefault": False, "activeLicenses": active, "totalLicenses": 25, "unlimitedLicenses": False,
            "sku": sku, "suite": sku, "siteType": "Paid", "state": "active", "expiration": None,
            "externalId": None, "licenses": {"bundles": bundles, "modules": [], "settings": []}, **fields}


def _sites_page(sites: list[dict], *, cursor: str | None = None, total: int | None = None) -> dict:
    return {"data": {"allSites": {"activeLicenses": 815, "totalLicenses": 25}, "sites": sites},
            "pagination": {"nextCursor": cursor, "totalItems": len(sites) if total is None else total}}


class MockedApi:
    def __init__(self, rsps: responses.RequestsMock) -> None:
        self.rsps = rsps

    def get(self, path: str, *, json=None, body=None, status: int = 200, params: dict | None = None,
            headers: dict | None = None, token: str = TOKEN):
        match = [matchers.header_matcher({"Authorization": f"ApiToken {token}"})]
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
def site():
    """``site(id, name, sku=, active=, addons=, **fields)``: a site object as the API shapes it."""
    return _site


@pytest.fixture
def sites_page():
    """``sites_page(sites, cursor=, total=)``: one page of ``GET /sites``."""
    return _sites_page


@pytest.fixture
def hub_plugin():
    """The entry-point name the hub's test kit loads (its fixtures find the plugin through it)."""
    return "sentinelone"


@pytest.fixture
def config():
    return SentinelOneConfig().load({"base_url": BASE_URL, "api_token": TOKEN})


@pytest.fixture
def handle():
    registry = PluginRegistry()
    assert registry.register(hub_sentinelone.plugin, "sentinelone") is not None, registry.errors
    return registry.handle("sentinelone")


@pytest.fixture
def session(handle, config):
    with handle.make_session(config, sleep=lambda seconds: None) as session:
        yield session
