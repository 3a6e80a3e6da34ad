"""A local Huntress public REST API v1 for demo mode and tests (a werkzeug WSGI app).

Same URLs, auth and shapes as the real API (vendor-apis.md section 8): HTTP Basic with key and
secret, ``{"organizations": [...], "pagination": {...}}`` pages of at most 500 (default 10) read with
``page_token`` (or the older numbered ``page``), deleted organizations gone (404), and the documented
limit of 60 requests per minute in a sliding window, answered with 429 (no ``Retry-After``: whether
Huntress sends one is not known).

``app.state`` is the account (a :class:`~hub_huntress.sim_state.SimState`), ``app.faults`` the
hub's shared :class:`~hub.plugins.simulator.Faults` knobs, honoured on every request, and
``app.arrivals`` the arrival time of every request, so tests and benchmarks count what the vendor
received in any sliding window.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
import time
from collections import deque

from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from hub.plugins.simulator import Faults

from .sim_state import ACCOUNT_NAME, API_KEY, API_SECRET, SimState, seed

API = "/v1"
MAX_LIMIT = 500
DEFAULT_LIMIT = 10
#: the documented budget: requests per sliding window of this many seconds
WINDOW_REQUESTS, WINDOW_SECONDS = 60, 60.0

DEMO_CONFIG = {"api_key": API_KEY, "api_secret": API_SECRET, "bill_siem_sources": False}


def make_app(customers: int = 30) -> "HuntressSimulator":
    """A simulator seeded with ``customers`` organizations (deterministic).

    It counts arrivals but does not refuse over the limit: demo mode and the kit run many short
    syncs back to back, each from a fresh session, which a real account would see minutes apart.
    Pacing tests build ``HuntressSimulator(enforce_rate_limit=True)``.
    """
    return HuntressSimulator(seed(SimState(), customers), enforce_rate_limit=False)


class HuntressSimulator:
    #: the organization listing reports total_count, so the kit checks a listing short of it
    reports_listing_totals = True

    def __init__(self, state: SimState | None = None, faults: Faults | None = None, *,
                 enforce_rate_limit: bool = True) -> None:
        self.state = state or SimState()
        self.faults = faults or Faults()
        self.enforce_rate_limit = enforce_rate_limit
        #: the latest requests as "METHOD /path?query" (tests read it; bounded for long demo runs)
        self.calls: deque[str] = deque(maxlen=1000)
        #: monotonic arrival times of every request (bounded), for sliding-window counts
        self.arrivals: deque[float] = deque(maxlen=100_000)
        self._lock = threading.Lock()
        self.url_map = Map([
            Rule(f"{API}/account", endpoint="account", methods=["GET"]),
            Rule(f"{API}/actor", endpoint="account", methods=["GET"]),
            Rule(f"{API}/organizations", endpoint="organizations", methods=["GET"]),
            Rule(f"{API}/organizations/<int:org_id>", endpoint="organization", methods=["GET"]),
        ], strict_slashes=False)

    def console(self):
        """The demo's vendor console over this account (``hub.plugins.simulator.VendorConsole``)."""
        from .console import HuntressConsole

        return HuntressConsole(self.state)

    def listed_customer_count(self) -> int:
        """How many customers a complete sync should list: every organization."""
        return len(self.state.orgs)

    def max_in_window(self, seconds: float = WINDOW_SECONDS) -> int:
        """The most requests that arrived inside any sliding window of ``seconds``."""
        times = sorted(self.arrivals)
        best, start = 0, 0
        for end, t in enumerate(times):
            while t - times[start] >= seconds:
                start += 1
            best = max(best, end - start + 1)
        return best

    def __call__(self, environ, start_response):
        return self.dispatch(Request(environ))(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        faults = self.faults
        if faults.latency:
            time.sleep(faults.latency)
        now = time.monotonic()
        with self._lock:
            recent = sum(1 for t in self.arrivals if now - t < WINDOW_SECONDS)
            self.arrivals.append(now)
        self.calls.append(f"{request.method} {request.full_path.rstrip('?')}")
        if faults.unavailable:
            return _error(faults.unavailable, "Service Unavailable")
        if faults.rate_limit_retry_after is not None:
            return _error(429, "Rate limit exceeded", {"Retry-After": str(faults.rate_limit_retry_after)})
        if self.enforce_rate_limit and recent >= WINDOW_REQUESTS:
            return _error(429, "Rate limit exceeded: 60 requests per minute")
        if faults.auth or not self._signed_in(request):
            return _error(401, "Unauthorized: invalid API key or secret")
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, args = adapter.match()
        except NotFound:
            return _error(404, "Not Found")
        except HTTPException as err:
            return _error(err.code or 400, err.description or "Bad Request")
        return getattr(self, f"on_{endpoint}")(request, **args)

    def _signed_in(self, request: Request) -> bool:
        auth = request.authorization
        return bool(auth and auth.type == "basic" and auth.username == self.state.api_key
                    and auth.password == self.state.api_secret)

    # -- endpoints -------------------------------------------------------------------------------

    def on_account(self, request: Request) -> Response:
        return _json({"account": {"id": self.state.account_id, "name": ACCOUNT_NAME,
                                  "subdomain": "northwind", "status": "enabled"}})

    def on_organization(self, request: Request, org_id: int) -> Response:
        org = self.state.orgs.get(org_id)
        if org is None:
            return _error(404, "Not Found")
        return _json({"organization": org.to_json(self.state.account_id)})

    def on_organizations(self, request: Request) -> Response:
        try:
            limit = int(request.args.get("limit", DEFAULT_LIMIT))
            offset = _offset(request)
        except ValueError as err:
            return _error(400, str(err) or "invalid paging parameters")
        if not 1 <= limit <= MAX_LIMIT:
            return _error(400, f"limit must be between 1 and {MAX_LIMIT}")
        if self.faults.malformed:
            return Response(b"<html><body><h1>502 Bad Gateway</h1></body></html>", status=200,
                            content_type="text/html")
        orgs = self.state.listing()
        total = len(orgs)
        if self.faults.short_listing and orgs:
            orgs = orgs[:-1]  # one organization lost at the vendor; total_count still counts it
        page = orgs[offset: offset + limit]
        more = offset + limit < len(orgs)
        if self.faults.cut_listing:
            # the vendor dropped the tail of the listing: a shorter page that claims to be the last
            page, more = page[: max(1, len(page) // 2)], False
        token = _token(offset + limit) if more else None
        base = request.host_url.rstrip("/") + API + "/organizations"
        return _json({
            "organizations": [o.to_json(self.state.account_id) for o in page],
            "pagination": {
                "current_page": offset // limit + 1, "current_page_count": len(page), "limit": limit,
                "total_count": total, "next_page": offset // limit + 2 if more else None,
                "next_page_token": token,
                "next_page_url": f"{base}?limit={limit}&page_token={token}" if token else None,
            },
        })


def _offset(request: Request) -> int:
    token = request.args.get("page_token")
    if token:
        try:
            text = base64.urlsafe_b64decode(token.encode() + b"==").decode()
        except (binascii.Error, UnicodeDecodeError):
            raise ValueError("invalid page_token") from None
        if not text.startswith("o:") or not text[2:].isdigit():
            raise ValueError("invalid page_token")
        return int(text[2:])
    page = int(request.args.get("page", 1))
    limit = int(request.args.get("limit", DEFAULT_LIMIT))
    if page < 1:
        raise ValueError("page must be 1 or more")
    return (page - 1) * limit


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def _json(payload: dict, status: int = 200) -> Response:
    return Response(json.dumps(payload), status=status, content_type="application/json")


def _error(status: int, message: str, headers: dict | None = None) -> Response:
    response = _json({"errors": [message], "status": status}, status)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response
