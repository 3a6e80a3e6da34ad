"""Fixtures for the Bitdefender plugin's tests.

- ``gz``: GravityZone's HTTP mocked with ``responses``; replies keyed on the JSON-RPC method (and params),
  bodies from ``tests/fixtures`` (recorded shapes), ids echoed like the real server does.
- ``tree``: the happy-path company tree registered on ``gz`` (see ``IDS``).
- ``clock``: a fake clock whose ``sleep`` only moves time, shared by the session and the simulator.
- ``hub_app`` (the hub's test kit fixture, named by ``hub_plugin`` below): a real hub (SQLite, or
  PostgreSQL with ``HUB_TEST_DATABASE_URL``) that loads the plugin from its entry point.
- ``sim``: the plugin's simulator served on loopback, on the fake clock.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import requests
import responses

from hub.plugins import VendorSession
from hub.testing import serve
from hub_bitdefender import plugin, simulator
from hub_bitdefender.schema import BitdefenderConfig

FIXTURES = Path(__file__).parent / "fixtures"
BASE = "https://cloud.gravityzone.bitdefender.com/api"
API_KEY = "9f8e7d6c5b4a39281706f5e4d3c2b1a0"
IDS = SimpleNamespace(
    root="5f0c6a1e2b3d4c5e6f708192", reseller="64f1c2aab1a43d1b2c3d4e01", subreseller="64f1c2aab1a43d1b2c3d4e02",
    contoso="64f1c2aab1a43d1b2c3d4e60", fabrikam="64f1c2aab1a43d1b2c3d4e61", tailspin="64f1c2aab1a43d1b2c3d4e62",
    litware="64f1c2aab1a43d1b2c3d4e63", wingtip="64f1c2aab1a43d1b2c3d4e64",
)
CUSTOMERS = ("contoso", "fabrikam", "tailspin", "litware", "wingtip")
PARTNERS, CUSTOMER_TYPE = {"companyType": 0}, {"companyType": 1}
TRIALS = {"companyType": 1, "licenseType": 1}


def fixture(name: str) -> Any:
    text = (FIXTURES / name).read_text()
    return json.loads(text) if name.endswith(".json") else text


# -- clock ---------------------------------------------------------------------------------------


class FakeClock:
    """``now``/``sleep`` for VendorSession and the simulator. ``sleep`` moves time, never waits.

    Each thread remembers the time it last read or slept to, so ``thread_time()`` is the moment
    that thread's request is sent in virtual time (the rate limiter reads the clock, then sleeps).
    """

    def __init__(self, start: float = 1000.0) -> None:
        self.t = start
        self.slept: list[float] = []
        self._lock = threading.Lock()
        self._local = threading.local()

    def now(self) -> float:
        with self._lock:
            self._local.t = self.t
            return self.t

    def sleep(self, seconds: float) -> None:
        with self._lock:
            target = getattr(self._local, "t", self.t) + seconds
            self.t = max(self.t, target)
            self.slept.append(seconds)
            self._local.t = target

    def thread_time(self) -> float:
        return getattr(self._local, "t", self.t)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


# -- GravityZone over `responses` ----------------------------------------------------------------


@dataclass
class Reply:
    fixture: str | None = None
    body: Any = None
    status: int = 200
    headers: dict = field(default_factory=dict)
    raises: Exception | None = None


@dataclass
class Call:
    service: str
    method: str
    params: dict
    at: float
    auth: str | None


class GzMock:
    """Registers JSON-RPC replies by (service, method, params); ``params=None`` matches any params
    (and replaces the replies registered for that method).

    Several replies for one key are answered in turn, the last one repeated.
    """

    def __init__(self, rsps: responses.RequestsMock, base: str, clock: FakeClock) -> None:
        self.rsps, self.base, self.clock = rsps, base, clock
        self.routes: dict[tuple[str, str, str | None], list[Reply]] = {}
        self.served: dict[tuple[str, str, str | None], int] = {}
        self.calls: list[Call] = []
        self._registered: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def on(self, service: str, method: str, params: dict | None = None, *replies: Reply | str) -> None:
        if (service, method) not in self._registered:
            self._registered.add((service, method))
            self.rsps.add_callback(responses.POST, f"{self.base}/v1.0/jsonrpc/{service}",
                                   callback=lambda request, s=service: self._answer(s, request),
                                   match=[_method_is(method)])
        if params is None:  # "any params" replaces what was registered for this method
            for old in [k for k in self.routes if k[:2] == (service, method)]:
                del self.routes[old]
        key = (service, method, None if params is None else json.dumps(params, sort_keys=True))
        self.routes[key] = [Reply(fixture=r) if isinstance(r, str) else r for r in replies]
        self.served[key] = 0

    def _answer(self, service: str, request) -> tuple[int, dict, str]:
        sent = json.loads(request.body)
        with self._lock:
            self.calls.append(Call(service, sent["method"], sent["params"], self.clock.thread_time(),
                                   request.headers.get("Authorization")))
            key = (service, sent["method"], json.dumps(sent["params"], sort_keys=True))
            if key not in self.routes:
                key = (service, sent["method"], None)
            if key not in self.routes:
                raise AssertionError(f"unexpected call {service}/{sent['method']} {sent['params']}")
            replies = self.routes[key]
            reply = replies[min(self.served[key], len(replies) - 1)]
            self.served[key] += 1
        if reply.raises is not None:
            raise reply.raises
        body = fixture(reply.fixture) if reply.fixture else reply.body
        headers = dict(reply.headers)
        if isinstance(body, dict):
            body = json.dumps({**body, "id": sent["id"]})
            headers.setdefault("Content-Type", "application/json")
        elif isinstance(body, str) and body.lstrip().startswith("<"):
            headers.setdefault("Content-Type", "text/html")
        return reply.status, headers, body or ""

    def methods(self) -> list[str]:
        return [f"{c.service}/{c.method}" for c in self.calls]


def _method_is(method: str):
    def match(request) -> tuple[bool, str]:
        try:
            sent = json.loads(request.body)
        except (TypeError, ValueError):
            return False, "body is not JSON"
        ok = isinstance(sent, dict) and sent.get("jsonrpc") == "2.0" and "id" in sent and sent.get("method") == method
        return ok, "" if ok else f"method is not {method}"
    return match


@pytest.fixture
def gz(clock):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield GzMock(rsps, BASE, clock)


def register_tree(gz: GzMock) -> None:
    """The happy path: a reseller and a sub-reseller, a suspended and a trial customer."""
    gz.on("general", "getApiKeyDetails", None, "api_key_details.json")
    gz.on("companies", "getCompanyDetails", {}, "company_details_root.json")
    gz.on("network", "getCompaniesList", {"filters": PARTNERS}, "companies_root_partners.json")
    gz.on("network", "getCompaniesList", {"filters": CUSTOMER_TYPE}, "companies_root_customers.json")
    gz.on("network", "getCompaniesList", {"filters": TRIALS}, "companies_root_trials.json")
    for parent, partners, customers in ((IDS.reseller, "companies_reseller_partners.json",
                                         "companies_reseller_customers.json"),
                                        (IDS.subreseller, "companies_empty.json",
                                         "companies_subreseller_customers.json")):
        gz.on("network", "getCompaniesList", {"parentId": parent, "filters": PARTNERS}, partners)
        gz.on("network", "getCompaniesList", {"parentId": parent, "filters": CUSTOMER_TYPE}, customers)
        gz.on("network", "getCompaniesList", {"parentId": parent, "filters": TRIALS}, "companies_empty.json")
    for name in CUSTOMERS:
        cid = getattr(IDS, name)
        gz.on("companies", "getCompanyDetails", {"companyId": cid}, f"company_details_{name}.json")
        gz.on("licensing", "getMonthlyUsagePerProductType", _usage_params(cid), f"usage_{name}.json")


def _usage_params(company_id: str, policy: str = "current") -> dict:
    from hub_bitdefender.usage import target_month

    return {"companyId": company_id, "targetMonth": target_month(policy)}


@pytest.fixture
def tree(gz):
    register_tree(gz)
    return gz


@pytest.fixture
def bd():
    """Constants and helpers for test modules (which cannot import this conftest)."""
    return SimpleNamespace(ids=IDS, customers=CUSTOMERS, base=BASE, api_key=API_KEY, Reply=Reply,
                           fixture=fixture, usage_params=_usage_params, partners=PARTNERS,
                           customer_type=CUSTOMER_TYPE, trials=TRIALS)


@pytest.fixture
def config():
    return BitdefenderConfig().load({"base_url": BASE, "api_key": API_KEY})


def make_session(clock: FakeClock, **overrides) -> VendorSession:
    info = plugin.hub_vendor_info()
    options = dict(requests_per_second=info.requests_per_second, rate_limits=dict(info.rate_limits),
                   max_concurrency=info.max_concurrency, secrets=[API_KEY], sleep=clock.sleep, clock=clock.now)
    options.update(overrides)
    return VendorSession(**options)


@pytest.fixture
def session(clock):
    with make_session(clock) as s:
        yield s


@pytest.fixture
def new_session(clock):
    """``new_session(**VendorSession options)``: a session like the hub's, on the fake clock."""
    return lambda **overrides: make_session(clock, **overrides)


# -- a real hub (the hub's test kit fixtures) and the simulator on loopback --------------------------


@pytest.fixture
def hub_plugin():
    """The entry-point name the kit's fixtures (``hub_harness``, ``hub_app``) load."""
    return "bitdefender"


@pytest.fixture
def sim(clock):
    """The plugin's simulator (12 customers) on a free loopback port; ``sim.app`` is the WSGI app.

    ``make_app``, not the kit's ``simulator`` fixture: the demo app behind that one only counts calls
    over GravityZone's limits, on the real clock; this one refuses them, on the fake clock."""
    with serve(simulator.make_app(12, clock=clock.now), name="bitdefender-sim") as served:
        yield SimpleNamespace(app=served.app, base_url=served.base_url, config=simulator.config_for(served.base_url))


@pytest.fixture
def http():
    """Plain requests to the simulator (for its own tests)."""
    with requests.Session() as s:
        yield s
