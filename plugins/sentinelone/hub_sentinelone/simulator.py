"""A local SentinelOne Management Console API v2.1 for demo mode and tests (a werkzeug WSGI app).

Same URLs, auth and shapes as the real API (vendor-apis.md section 7): ``Authorization: ApiToken``
on every call (``Bearer`` is refused), ``GET /sites`` answering ``{"data": {"allSites": {...},
"sites": [...]}, "pagination": {"nextCursor", "totalItems"}}``, ``GET /accounts`` answering a ``data``
list, cursor paging with ``limit`` 1-1000 (default 10; larger answers 400), deleted sites only with
``states=deleted``, and ``errors[]`` bodies.

``app.state`` is the scope (a :class:`~hub_sentinelone.sim_state.SimState`), ``app.faults`` the hub's
shared :class:`~hub.plugins.simulator.Faults` knobs, honoured on every request.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections import deque

from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from hub.plugins.simulator import Faults

from .sim_state import API_TOKEN, SimState, seed

API = "/web/api/v2.1"
MAX_LIMIT, DEFAULT_LIMIT = 1000, 10

DEMO_CONFIG = {"api_token": API_TOKEN, "customer_level": "site", "include_default_sites": False,
               "bill_trials": False}


def make_app(customers: int = 30) -> "SentinelOneSimulator":
    """A simulator seeded with about ``customers`` customer sites (deterministic)."""
    return SentinelOneSimulator(seed(SimState(), customers))


class SentinelOneSimulator:
    #: listings report pagination.totalItems, so the kit checks a listing short of it
    reports_listing_totals = True

    def __init__(self, state: SimState | None = None, faults: Faults | None = None) -> None:
        self.state = state or SimState()
        self.faults = faults or Faults()
        #: the latest requests as "METHOD /path?query" (tests read it; bounded for long demo runs)
        self.calls: deque[str] = deque(maxlen=1000)
        self.url_map = Map([
            Rule(f"{API}/sites", endpoint="sites", methods=["GET"]),
            Rule(f"{API}/sites/<site_id>", endpoint="site", methods=["GET"]),
            Rule(f"{API}/accounts", endpoint="accounts", methods=["GET"]),
        ], strict_slashes=False)

    def console(self):
        """The demo's vendor console over this account (``hub.plugins.simulator.VendorConsole``)."""
        from .console import SentinelOneConsole

        return SentinelOneConsole(self.state)

    def listed_customer_count(self) -> int:
        """How many customers a complete sync lists at the default level: the non-default sites."""
        return len(self.state.customer_sites())

    def __call__(self, environ, start_response):
        return self.dispatch(Request(environ))(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        faults = self.faults
        if faults.latency:
            time.sleep(faults.latency)
        self.calls.append(f"{request.method} {request.full_path.rstrip('?')}")
        if faults.unavailable:
            return _error(faults.unavailable, 5000000, "Server Error")
        if faults.rate_limit_retry_after is not None:
            return _error(429, 4290010, "Too Many Requests", {"Retry-After": str(faults.rate_limit_retry_after)})
        if faults.auth or request.headers.get("Authorization") != f"ApiToken {self.state.api_token}":
            return _error(401, 4010010, "Authentication Failed")
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, args = adapter.match()
        except NotFound:
            return _error(404, 4040010, "Not Found")
        except HTTPException as err:
            return _error(err.code or 400, 4000010, err.description or "Bad Request")
        return getattr(self, f"on_{endpoint}")(request, **args)

    # -- endpoints -------------------------------------------------------------------------------

    def on_sites(self, request: Request) -> Response:
        states = {s.strip() for s in request.args.get("states", request.args.get("state", "")).split(",") if s}
        with self.state.lock:
            sites = sorted(self.state.sites.values(), key=lambda s: s.id)
            if states:
                sites = [s for s in sites if s.state in states]
            else:
                sites = [s for s in sites if s.state != "deleted"]
            aggregate = {"activeLicenses": sum(s.active_licenses for s in sites),
                         "totalLicenses": sum(s.total_licenses for s in sites if not s.unlimited)}
            # only the page asked for is shaped: shaping every site for each page made the simulator,
            # which shares the benchmark's process, cost more CPU than the sync it serves
            return self._page(request, sites, lambda page: {"allSites": aggregate,
                                                            "sites": [s.to_json() for s in page]})

    def on_site(self, request: Request, site_id: str) -> Response:
        site = self.state.sites.get(site_id)
        if site is None:
            return _error(404, 4040010, "Not Found")
        return _json({"data": site.to_json()})

    def on_accounts(self, request: Request) -> Response:
        with self.state.lock:
            sites = list(self.state.sites.values())
            accounts = sorted(self.state.accounts.values(), key=lambda a: a.id)
            return self._page(request, accounts, lambda page: [a.to_json(sites) for a in page])

    def _page(self, request: Request, items: list, wrap) -> Response:
        """One page of ``items`` (the objects in listing order); ``wrap`` shapes the page's data."""
        try:
            limit = int(request.args.get("limit", DEFAULT_LIMIT))
            offset = _offset(request.args.get("cursor"))
        except ValueError as err:
            return _error(400, 4000010, "Validation Error", detail=str(err))
        if not 1 <= limit <= MAX_LIMIT:
            return _error(400, 4000010, "Validation Error", detail={"limit": [f"Must be between 1 and {MAX_LIMIT}."]})
        if self.faults.malformed:
            return Response(b"<html><body><h1>502 Bad Gateway</h1></body></html>", status=200,
                            content_type="text/html")
        total = len(items)
        if self.faults.short_listing and items:
            items = items[:-1]  # one item lost at the vendor; totalItems still counts it
        page = items[offset: offset + limit]
        more = offset + limit < len(items)
        if self.faults.cut_listing:
            # the vendor dropped the tail of the listing: a shorter page with no next cursor
            page, more = page[: max(1, len(page) // 2)], False
        return _json({"data": wrap(page),
                      "pagination": {"nextCursor": _cursor(offset + limit) if more else None,
                                     "totalItems": total}})


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        text = base64.b64decode(cursor.encode() + b"==").decode()
    except (binascii.Error, UnicodeDecodeError):
        raise ValueError("invalid cursor") from None
    if not text.startswith("offset:") or not text[7:].isdigit():
        raise ValueError("invalid cursor")
    return int(text[7:])


def _cursor(offset: int) -> str:
    # standard base64 with '=' and maybe '+' or '/': the client must URL-encode it
    return base64.b64encode(f"offset:{offset}".encode()).decode()


def _json(payload: dict, status: int = 200) -> Response:
    return Response(json.dumps(payload), status=status, content_type="application/json")


def _error(status: int, code: int, title: str, headers: dict | None = None, detail=None) -> Response:
    response = _json({"errors": [{"code": code, "title": title, "detail": detail}]}, status)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response
