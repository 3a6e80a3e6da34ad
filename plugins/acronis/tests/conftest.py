"""Fixtures for the Acronis plugin's tests.

Two boundaries are faked, never the hub: Acronis' HTTP API through ``responses`` with recorded-shape
payloads (``fixtures/*.json``), or the plugin's own simulator served on a loopback port. Hub-level
tests build a real app (SQLite per test; PostgreSQL when ``HUB_TEST_DATABASE_URL`` is set) that
loads this plugin from its ``hub`` entry point. Nothing sleeps: sessions get a recording ``sleep``.
"""

from __future__ import annotations

import base64
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import responses
import sqlalchemy as sa
from cryptography.fernet import Fernet
from werkzeug.serving import WSGIRequestHandler, make_server

from hub.plugins import VendorSession
from hub.testing.databases import throwaway_database
from hub_acronis.client import AcronisClient
from hub_acronis.schema import AcronisConfig
from hub_acronis.simulator import SIM_CLIENT_ID, SIM_CLIENT_SECRET, make_app

FIXTURES = Path(__file__).parent / "fixtures"
PG_URL = os.environ.get("HUB_TEST_DATABASE_URL")


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


# -- the simulator on loopback -----------------------------------------------------------------


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:
        pass


@dataclass
class ServedSimulator:
    app: Any
    base_url: str

    @property
    def state(self):
        return self.app.state

    @property
    def faults(self):
        return self.app.faults

    @property
    def config(self) -> dict:
        return {"base_url": self.base_url, "client_id": SIM_CLIENT_ID, "client_secret": SIM_CLIENT_SECRET}


@pytest.fixture
def sim_customers() -> int:
    """Override in a module to seed another number of customers."""
    return 12


@pytest.fixture
def sim(sim_customers):
    """The simulator with a small page size (several pages), served on a free loopback port."""
    app = make_app(sim_customers, page_size=5)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield ServedSimulator(app, f"http://127.0.0.1:{server.server_port}")
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


# -- a real hub app that loads plugins from their entry points -------------------------------------


@pytest.fixture(scope="session")
def database_url():
    """A throwaway PostgreSQL database for the session, or None (SQLite file per test)."""
    if not PG_URL:
        yield None
        return
    with throwaway_database(PG_URL, "hub_acronis_test") as url:
        yield url


@pytest.fixture
def hub_app(tmp_path, database_url):
    from hub import create_app
    from hub.extensions import db

    app = create_app({
        "TESTING": True,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SQLALCHEMY_DATABASE_URI": database_url or f"sqlite:///{tmp_path / 'hub.sqlite3'}",
        "SECRET_KEY": "acronis-plugin-tests",
        "HUB_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "HUB_LOAD_ENTRY_POINTS": True,
        "WTF_CSRF_ENABLED": False,
    })
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        if db.engine.dialect.name == "postgresql":
            tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            with db.engine.begin() as conn:
                conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.engine.dispose()


@pytest.fixture
def hub_ctx(hub_app):
    with hub_app.app_context():
        yield hub_app
