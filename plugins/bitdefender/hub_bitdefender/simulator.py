"""A local GravityZone Cloud partner API: JSON-RPC 2.0 over werkzeug, for demo mode and tests.

Faithful where the plugin depends on it: ``POST {access}/v1.0/jsonrpc/{service}``, Basic auth with
the key as user, bare-list ``getCompaniesList`` per level, ``isSuspended`` only in company details,
usage entries that carry every counter (one misspelled), errors on HTTP 200 and a 401 with a JSON-RPC
body, nginx HTML pages for 429/5xx, and the documented per-key rate limits (no more than 10 requests in
any one second; 5 for the licensing methods), answered with 429 and ``Retry-After: n, n``.
"""

from __future__ import annotations

import base64
import json
import math
import re
import threading
import time
from collections import Counter
from typing import Any, Callable

from werkzeug.wrappers import Request, Response

from hub.plugins.simulator import Faults

from .sim_limits import RateLimits
from .sim_state import COUNTERS, CUSTOMER, MISSPELLED, PARTNER, SimState

DEMO_API_KEY = "gz-demo-4f1c9a7e2b6d8035"
LICENSING_LIMITED = {"getLicenseInfo", "getMonthlyUsage", "getMonthlyUsagePerProductType"}
_PATH = re.compile(r"/v1\.[01]/jsonrpc/([a-z]+)/?$")
_MONTH = re.compile(r"^(0[1-9]|1[0-2])/\d{4}$")


class RpcError(Exception):
    def __init__(self, code: int, message: str, details: str | None = None, status: int = 200) -> None:
        super().__init__(message)
        self.code, self.message, self.details, self.status = code, message, details, status


class GravityZoneSimulator:
    """The WSGI app. ``state`` holds the data, ``faults`` the misbehaviour, ``clock`` drives the limits."""

    def __init__(self, state: SimState, api_key: str = DEMO_API_KEY,
                 clock: Callable[[], float] = time.monotonic, enforce_rate_limits: bool = True) -> None:
        self.state = state
        self.api_key = api_key
        self.faults = Faults()
        self.limits = RateLimits(clock, enforce=enforce_rate_limits)
        #: calls answered per "service/method", and every HTTP request seen
        self.calls: Counter = Counter()
        self.requests = 0
        #: (clock time, "service/method") of every JSON-RPC call as it arrived, refused ones too
        self.arrivals: list[tuple[float, str]] = []
        self._count_lock = threading.Lock()

    @property
    def clock(self) -> Callable[[], float]:
        return self.limits.clock

    @clock.setter
    def clock(self, clock: Callable[[], float]) -> None:
        self.limits.clock = clock

    def console(self):
        """The demo's vendor console over this account (``hub.plugins.simulator.VendorConsole``)."""
        from .console import BitdefenderConsole

        return BitdefenderConsole(self.state)

    def listed_customer_count(self) -> int:
        """How many customers a complete listing returns."""
        return len(self.state.customer_ids())

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        return self.handle(Request(environ))(environ, start_response)

    def handle(self, request: Request) -> Response:
        with self._count_lock:
            self.requests += 1
        faults = self.faults
        if faults.latency:
            time.sleep(faults.latency)
        arrived = self.clock()  # before any parsing: what the vendor's limiter would time
        match = _PATH.search(request.path)
        if match is None:
            return _html(404, "Not Found")
        if request.method != "POST":
            return _html(405, "Not Allowed")
        if faults.unavailable:
            return _html(faults.unavailable, "Service Temporarily Unavailable")
        if faults.rate_limit_retry_after is not None:
            return _too_many(faults.rate_limit_retry_after)
        service = match.group(1)
        try:
            payload = json.loads(request.get_data(as_text=True))
        except ValueError:
            return _rpc(None, RpcError(-32700, "Parse error"))
        rpc_id = payload.get("id") if isinstance(payload, dict) else None
        if not isinstance(payload, dict) or payload.get("jsonrpc") != "2.0" or not isinstance(payload.get("method"), str):
            return _rpc(rpc_id, RpcError(-32600, "Invalid Request"))
        method = payload["method"]
        key = _basic_user(request.headers.get("Authorization", ""))
        with self._count_lock:
            self.arrivals.append((arrived, f"{service}/{method}"))
        wait = self.limits.admit(key, ["key"] + (["licensing"] if method in LICENSING_LIMITED else []), now=arrived)
        if wait is not None:
            return _too_many(max(1, math.ceil(wait)))
        with self._count_lock:
            self.calls[f"{service}/{method}"] += 1
        try:
            if faults.auth or key != self.api_key:
                raise RpcError(-32000, "Server error",
                               "Invalid API key. Please generate an API key in Control Center.", status=401)
            if service not in self.state.enabled_apis:
                raise RpcError(-32001, "Server error",
                               f"You are not allowed to access the selected API: {service.capitalize()}", status=403)
            handler = HANDLERS.get((service, method))
            if handler is None:
                raise RpcError(-32601, "Method not found", f"The method {method} does not exist in {service}")
            params = payload.get("params") or {}
            if not isinstance(params, dict):
                raise RpcError(-32602, "Invalid params", "params must be an object")
            listing_fault = _listing_fault(self, method, params)
            if listing_fault is not None:
                return listing_fault
            with self.state.lock:
                result = handler(self.state, params)
        except RpcError as err:
            return _rpc(rpc_id, err)
        return _rpc(rpc_id, result=result)


# -- methods -------------------------------------------------------------------------------------


def get_companies_list(state: SimState, params: dict) -> list[dict]:
    allowed = {"parentId", "filters"}
    if set(params) - allowed:  # live tenants reject page/perPage here
        raise RpcError(-32602, "Invalid params", f"Unknown parameter(s): {', '.join(sorted(set(params) - allowed))}")
    parent_id = params.get("parentId") or state.root_id
    parent = state.companies.get(parent_id)
    if parent is None or parent.type != PARTNER or parent.ghost or not state.in_account(parent_id):
        raise RpcError(-32602, "Invalid params", "Invalid value for 'parentId'")
    filters = params.get("filters") or {}
    company_type, license_type = filters.get("companyType"), filters.get("licenseType")
    if company_type not in (None, PARTNER, CUSTOMER) or license_type not in (None, 1, 2, 3):
        raise RpcError(-32602, "Invalid params", "Invalid value for 'filters'")
    return [{"id": c.id, "name": c.name} for c in state.children(parent_id, company_type, license_type)]


def get_company_details(state: SimState, params: dict) -> dict:
    company = _company(state, params.get("companyId") or state.root_id, code=-32602)
    return {"type": company.type, "name": company.name, "id": company.id, "address": "", "phone": "",
            "canBeManagedByAbove": True, "enforce2FA": False, "skip2FAPeriod": 0,
            "isSuspended": company.suspended, "createdAt": company.created_at, "country": company.country,
            "state": "N/A", "industry": 30}


def get_monthly_usage(state: SimState, params: dict) -> dict:
    company = _usage_company(state, params)
    entry = _entry(company.usage.get(0, {}), misspell=True)
    entry["minimumUsage"] = {"endpointMonthlyUsage": 0}
    return entry


def get_monthly_usage_per_product_type(state: SimState, params: dict) -> dict:
    company = _usage_company(state, params)
    usage = company.usage or {0: {}}
    return {"usages": [{"productType": product, **_entry(counts, misspell=product == 0)}
                       for product, counts in sorted(usage.items())]}


def get_api_key_details(state: SimState, params: dict) -> dict:
    return {"enabledApis": sorted(api.capitalize() for api in state.enabled_apis), "createdAt": "2024-01-09T08:00:00"}


HANDLERS = {
    ("network", "getCompaniesList"): get_companies_list,
    ("companies", "getCompanyDetails"): get_company_details,
    ("licensing", "getMonthlyUsage"): get_monthly_usage,
    ("licensing", "getMonthlyUsagePerProductType"): get_monthly_usage_per_product_type,
    ("general", "getApiKeyDetails"): get_api_key_details,
}


def _company(state: SimState, company_id: Any, code: int):
    company = state.companies.get(company_id) if isinstance(company_id, str) else None
    if company is None or company.ghost or not state.in_account(company_id):
        raise RpcError(code, "Invalid params" if code == -32602 else "Not found", "Invalid value for 'companyId'")
    return company


def _usage_company(state: SimState, params: dict):
    month = params.get("targetMonth")
    if month is not None and (not isinstance(month, str) or not _MONTH.match(month)):
        raise RpcError(-32602, "Invalid params", "Invalid value for 'targetMonth'; expected mm/yyyy")
    return _company(state, params.get("companyId") or state.root_id, code=-32002)


def _entry(counts: dict[str, int], misspell: bool) -> dict[str, int]:
    entry = {name: int(counts.get(name, 0)) for name in COUNTERS}
    entry.update({k: int(v) for k, v in counts.items() if k not in entry})
    if misspell:
        for right, wrong in MISSPELLED.items():
            entry[wrong] = entry.pop(right)
    return entry


# -- faults and wire formats ---------------------------------------------------------------------


def _listing_fault(app: GravityZoneSimulator, method: str, params: dict) -> Response | None:
    if method != "getCompaniesList":
        return None
    faults, state = app.faults, app.state
    if faults.malformed:
        return Response("<html><body>Access denied by proxy</body></html>", status=200, content_type="text/html")
    if faults.cut_listing:
        parent = params.get("parentId") or state.root_id
        has_resellers = bool(state.children(state.root_id, PARTNER, None))
        customers_of_root = (params.get("filters") or {}).get("companyType") == CUSTOMER
        if parent != state.root_id or (not has_resellers and customers_of_root):
            # the body stops mid-array, as when the connection to a sub-partner's shard drops
            body = json.dumps({"jsonrpc": "2.0", "id": 1, "result": [{"id": "64f1c2aab1a43d1b2c3d4e60",
                                                                      "name": "Contoso Ltd"}] * 3})
            return Response(body[: len(body) // 2], status=200, content_type="application/json")
    return None


def _rpc(rpc_id: Any, error: RpcError | None = None, result: Any = None) -> Response:
    if error is not None:
        body: dict = {"jsonrpc": "2.0", "id": rpc_id,
                      "error": {"code": error.code, "message": error.message}}
        if error.details:
            body["error"]["data"] = {"details": error.details}
        return Response(json.dumps(body), status=error.status, content_type="application/json")
    return Response(json.dumps({"jsonrpc": "2.0", "id": rpc_id, "result": result}), status=200,
                    content_type="application/json")


def _html(status: int, title: str) -> Response:
    text = (f"<html>\r\n<head><title>{status} {title}</title></head>\r\n<body>\r\n"
            f"<center><h1>{status} {title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")
    return Response(text, status=status, content_type="text/html")


def _too_many(seconds: int) -> Response:
    response = _html(429, "Too Many Requests")
    response.headers["Retry-After"] = f"{seconds}, {seconds}"  # as observed live: a repeated value
    return response


def _basic_user(header: str) -> str:
    if not header.startswith("Basic "):
        return ""
    try:
        return base64.b64decode(header[6:]).decode("utf-8").split(":", 1)[0]
    except (ValueError, UnicodeDecodeError):
        return ""


def make_app(customers: int = 30, *, seed: int = 7, clock: Callable[[], float] = time.monotonic,
             enforce_rate_limits: bool = True) -> GravityZoneSimulator:
    """A simulator seeded with about ``customers`` customers under one partner key (``DEMO_API_KEY``)."""
    state = SimState(seed=seed)
    state.seed(customers)
    return GravityZoneSimulator(state, clock=clock, enforce_rate_limits=enforce_rate_limits)


def make_demo_app(customers: int) -> GravityZoneSimulator:
    """For ``hub_demo_simulator``: limits counted, not enforced.

    The hub's demo mode and conformance kit both start it; the kit's sessions skip every wait
    (retries and rate-limit spacing cost no time there), so a real-time limit would refuse them
    for that alone. Tests and the benchmark use ``make_app``, which enforces.
    """
    return make_app(customers, enforce_rate_limits=False)


def config_for(base_url: str) -> dict:
    """Plugin settings that point at a served simulator (its Access URL ends in /api, like the cloud's)."""
    return {"base_url": f"{base_url.rstrip('/')}/api", "api_key": DEMO_API_KEY}
