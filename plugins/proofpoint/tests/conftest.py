"""Fixtures for the Proofpoint plugin's tests.

- ``api``: a strict ``responses`` mock of the Proofpoint API; ``api.get(path, ...)`` registers an
  answer that only matches when the X-User/X-Password headers are the configured ones.
- ``handle`` / ``session``: the plugin registered with the hub's real plugin registry, and the
  VendorSession the hub would build for it, with ``sleep`` recorded instead of slept.
- ``sim``: the plugin's simulator served on a free loopback port.
- from the hub's test kit (``hub.testing``'s pytest plugin), named by ``hub_plugin`` below:
  ``hub_harness``, ``hub_app`` (a real hub app with this plugin loaded from its entry point, on SQLite,
  or PostgreSQL when HUB_TEST_DATABASE_URL is set), ``simulator`` (served on loopback).
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
import responses
from responses import matchers

import hub_proofpoint.plugin
from hub.plugin_host import PluginRegistry
from hub.testing import serve
from hub_proofpoint.schema import ProofpointConfig
from hub_proofpoint.simulator import DEMO_CONFIG, make_app

FIXTURES = Path(__file__).parent / "fixtures"
BASE_URL = "https://us1.proofpointessentials.com"
API = BASE_URL + "/api/v1"
RAW_CONFIG = {"base_url": BASE_URL, "username": "billing@msp.example", "password": "s3cret-Pass!word",
              "partner_domain": "msp.example"}
AUTH_HEADERS = {"X-User": RAW_CONFIG["username"], "X-Password": RAW_CONFIG["password"]}


def load_fixture(name: str):
    return json.loads((FIXTURES / name).read_text())


class MockedApi:
    """``responses`` registrations for the Proofpoint API, every one requiring the auth headers."""

    def __init__(self, rsps: responses.RequestsMock) -> None:
        self.rsps = rsps

    def get(self, path: str, *, fixture: str | None = None, json=None, body=None, status: int = 200,
            headers: dict | None = None, auth: dict | None = None):
        kwargs = {"status": status, "headers": headers or {},
                  "match": [matchers.header_matcher(auth or AUTH_HEADERS)]}
        if fixture is not None:
            kwargs["json"] = load_fixture(fixture)
        elif json is not None:
            kwargs["json"] = json
        else:
            kwargs["body"] = body if body is not None else ""
        return self.rsps.add(responses.GET, API + path, **kwargs)

    def happy(self, listing: str = "orgs.json", *, connection: bool = True):
        """/me and the partner org (with ``connection``), its listing and the sub-partner's listing."""
        if connection:
            self.get("/me", fixture="me.json")
            self.get("/orgs/msp.example", fixture="partner_org.json")
        self.get("/orgs/msp.example/orgs", fixture=listing)
        if listing == "orgs.json":
            self.get("/orgs/summit-it.example/orgs", fixture="orgs_sub_partner.json")

    @staticmethod
    def load(name: str):
        """A recorded payload from tests/fixtures."""
        return load_fixture(name)

    @staticmethod
    def url(path: str) -> str:
        return API + path

    def calls_to(self, path: str) -> int:
        return sum(1 for call in self.rsps.calls if call.request.url.split("?")[0] == API + path)


@pytest.fixture
def api():
    with responses.RequestsMock() as rsps:
        yield MockedApi(rsps)


@pytest.fixture
def hub_plugin():
    """The entry-point name the hub's test kit loads (its fixtures find the plugin through it)."""
    return "proofpoint"


@pytest.fixture
def raw_config():
    return dict(RAW_CONFIG)


@pytest.fixture
def config(raw_config):
    return ProofpointConfig().load(raw_config)


@pytest.fixture
def registry():
    registry = PluginRegistry()
    assert registry.register(hub_proofpoint.plugin, "proofpoint") is not None, registry.errors
    return registry


@pytest.fixture
def handle(registry):
    return registry.handle("proofpoint")


@pytest.fixture
def sleeps():
    """Every wait the session asked for (retries, Retry-After, rate-limit spacing); none is slept."""
    return []


@pytest.fixture
def session(handle, config, sleeps):
    with handle.make_session(config, sleep=sleeps.append) as session:
        yield session


@pytest.fixture
def sim():
    """The plugin's simulator (12 customers) on a free loopback port: ``app``, ``state``, ``faults``,
    ``base_url``, and ``config(**overrides)``, the settings pointing at it."""
    with serve(make_app(12), name="proofpoint-sim") as served:
        yield SimpleNamespace(app=served.app, base_url=served.base_url, state=served.app.state,
                              faults=served.faults,
                              config=lambda **overrides: {**DEMO_CONFIG, "base_url": served.base_url, **overrides})
