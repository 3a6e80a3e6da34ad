"""Fixtures for the Acronis plugin's tests.

Two boundaries are faked, never the hub: Acronis' HTTP API through ``responses`` with recorded-shape
payloads (``fixtures/*.json``), or the plugin's own simulator served on a loopback port. Hub-level
tests use the hub's test kit fixtures (``hub.testing``'s pytest plugin, named by ``hub_plugin``
below): ``hub_app`` is a real app (SQLite per test; PostgreSQL when ``HUB_TEST_DATABASE_URL`` is set)
that loads this plugin from its ``hub`` entry point, ``simulator`` the simulator it serves. Nothing
sleeps: sessions get a recording ``sleep``.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import responses

from hub.plugins import VendorSession
from hub_acronis.client import AcronisClient
from hub_acronis.schema import AcronisConfig

FIXTURES = Path(__file__).parent / "fixtures"


class Ids:
    """The ids used in fixtures/*.json."""

    DC = "https://eu2-cloud.acronis.com"
    API = DC + "/api/2"
    CLIENT_ID = "f902a40f-cac9-4722-826c-1dbe6eae41b0"
    SECRET = "s3cr3t-acronis-client-secret"
    PARTNER = "5a1c0f2e-0000-4000-8000-000000000001"
    FOLDER = "6b2d1f30-0000-4000-8000-000000000010"
    C1, C2, C3, C4, C5, C6 = (f"9d3e22aa-0000-4000-8000-00000000000{n}" for n in range(2, 8))
    #: token.json's expires_on minus its 2-hour lifetime
    ISSUED_AT = 1767225600 - 7200


class FakeClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def load_fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


class MockedAcronis:
    """``responses`` registrations for the calls every scenario makes, plus shortcuts."""

    def __init__(self, rsps: responses.RequestsMock) -> None:
        self.rsps = rsps
        self.ids = Ids

    def token(self, fixture: str = "token.json", status: int = 200, **kw) -> responses.BaseResponse:
        basic = base64.b64encode(f"{Ids.CLIENT_ID}:{Ids.SECRET}".encode()).decode()
        return self.rsps.post(f"{Ids.API}/idp/token", json=load_fixture(fixture), status=status, match=[
            responses.matchers.urlencoded_params_matcher({"grant_type": "client_credentials"}),
            responses.matchers.header_matcher({"Authorization": f"Basic {basic}"}),
        ], **kw)

    def client_lookup(self) -> responses.BaseResponse:
        return self.rsps.get(f"{Ids.API}/clients/{Ids.CLIENT_ID}", json=load_fixture("client.json"))

    def page(self, fixture: str, *, after: str | None = None, status: int = 200, **kw) -> responses.BaseResponse:
        query = {"after": after} if after else {"subtree_root_id": Ids.PARTNER, "lod": "full"}
        if "body" not in kw and "json" not in kw:
            kw["json"] = load_fixture(fixture) if fixture else None
        return self.rsps.get(f"{Ids.API}/tenants", status=status,
                             match=[responses.matchers.query_param_matcher(query)], **kw)

    def all_pages(self) -> None:
        self.page("tenants_page1.json")
        self.page("tenants_page2.json", after="bWFnaWMtY3Vyc29yLTI")
        self.page("tenants_page3.json", after="bWFnaWMtY3Vyc29yLTM")

    def calls_to(self, path: str) -> list:
        return [c for c in self.rsps.calls if c.request.url.split("?")[0] == Ids.API + path]


@pytest.fixture
def ids():
    return Ids


@pytest.fixture
def load():
    return load_fixture


@pytest.fixture
def config():
    return AcronisConfig().load({"base_url": Ids.DC, "client_id": Ids.CLIENT_ID, "client_secret": Ids.SECRET})


@pytest.fixture
def sleeps() -> list[float]:
    """Every wait the session asked for (retries honour Retry-After); nothing really sleeps."""
    return []


@pytest.fixture
def session(sleeps):
    with VendorSession(sleep=sleeps.append, secrets=[Ids.SECRET], max_concurrency=1) as s:
        yield s


@pytest.fixture
def clock():
    return FakeClock(Ids.ISSUED_AT)


@pytest.fixture
def client(config, session, clock):
    return AcronisClient(config, session, clock=clock)


@pytest.fixture
def api():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        yield MockedAcronis(rsps)


# -- the simulator on loopback, and a real hub app: the hub's test kit fixtures ---------------------


@pytest.fixture
def hub_plugin():
    """The entry-point name the kit's fixtures (``hub_harness``, ``hub_app``, ``simulator``) load."""
    return "acronis"


@pytest.fixture
def sim(hub_harness, simulator):
    """The kit's served simulator (12 customers) with a small page size, so listings take several pages."""
    simulator.app.state.page_size = 5
    return SimpleNamespace(app=simulator.app, base_url=simulator.base_url, state=simulator.app.state,
                           faults=simulator.faults, config=hub_harness.raw_config(simulator))
