"""A local Pax8 Partner API v1 and its token endpoint, for demo mode and tests (a werkzeug WSGI app).

Same URLs, auth and shapes as the real API (vendor-apis.md section 6): ``POST /oauth/token`` with
the credentials and ``audience`` in a JSON body, answering a bearer token with a relative
``expires_in``; ``/v1/companies``, ``/v1/subscriptions`` and ``/v1/products/{id}`` with zero-based
``page``/``size`` paging (``size`` default 10, capped at 200) answering ``{content, page: {size,
totalElements, totalPages, number}}``; deleted companies still listed with status ``Deleted``;
Pax8's error envelope ``{type, message, instance, status}`` and OAuth errors on the token endpoint.

``app.state`` is the account (a :class:`~hub_pax8.sim_state.SimState`), ``app.faults`` the hub's
shared :class:`~hub.plugins.simulator.Faults` knobs, honoured on every request, and
``app.token_lifetime`` the ``expires_in`` it hands out (tokens expire on the simulator's clock).
"""

from __future__ import annotations

import json
import secrets
import time
from collections import deque
from decimal import Decimal

from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from hub.plugins.simulator import Faults

from .sim_state import CLIENT_ID, CLIENT_SECRET, SimCompany, SimState, seed

AUDIENCE = "https://api.pax8.com"
MAX_SIZE, DEFAULT_SIZE = 200, 10

DEMO_CONFIG = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
               "billable_statuses": "Active,PendingCancel,Activated"}


def make_app(customers: int = 30) -> "Pax8Simulator":
    """A simulator seeded with about ``customers`` companies (deterministic)."""
    return Pax8Simulator(seed(SimState(), customers))


class Pax8Simulator:
    #: listings report page.totalElements, so the kit checks a listing short of it
    reports_listing_totals = True

    def __init__(self, state: SimState | None = None, faults: Faults | None = None) -> None:
        self.state = state or SimState()
        self.faults = faults or Faults()
        self.token_lifetime = 86400
        self.tokens: dict[str, float] = {}  # token -> expiry (monotonic)
        #: the latest requests as "METHOD /path?query" (tests read it; bounded for long demo runs)
        self.calls: deque[str] = deque(maxlen=1000)
        self.url_map = Map([
            Rule("/oauth/token", endpoint="token", methods=["POST"]),
            Rule("/v1/companies", endpoint="companies", methods=["GET"]),
            Rule("/v1/companies/<company_id>", endpoint="company", methods=["GET"]),
            Rule("/v1/subscriptions", endpoint="subscriptions", methods=["GET"]),
            Rule("/v1/products/<product_id>", endpoint="product", methods=["GET"]),
        ], strict_slashes=False)

    def console(self):
        """The demo's vendor console over this account (``hub.plugins.simulator.VendorConsole``)."""
        from .console import Pax8Console

        return Pax8Console(self.state)

    def listed_customer_count(self) -> int:
        """How many customers a complete sync lists: every company not Deleted."""
        return len(self.state.listed_companies())

    def expire_tokens(self) -> None:
        """Every token handed out so far answers 401 from now on (tests of re-authentication)."""
        self.tokens = {token: 0.0 for token in self.tokens}

    def __call__(self, environ, start_response):
        return self.dispatch(Request(environ))(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        faults = self.faults
        if faults.latency:
            time.sleep(faults.latency)
        self.calls.append(f"{request.method} {request.full_path.rstrip('?')}")
        if faults.unavailable:
            return _error(faults.unavailable, "INTERNAL_SERVER_ERROR", "Service unavailable", request.path)
        if faults.rate_limit_retry_after is not None:
            response = _error(429, "TOO_MANY_REQUESTS", "Too many requests", request.path)
            response.headers["Retry-After"] = str(faults.rate_limit_retry_after)
            return response
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, args = adapter.match()
        except NotFound:
            return _error(404, "NOT_FOUND", "Not found", request.path)
        except HTTPException as err:
            return _error(err.code or 400, "BAD_REQUEST", err.description or "Bad request", request.path)
        if endpoint != "token" and not self._authorised(request):
            return _error(401, "UNAUTHORIZED", "Unauthorized", request.path)
        return getattr(self, f"on_{endpoint}")(request, **args)

    def _authorised(self, request: Request) -> bool:
        header = request.headers.get("Authorization", "")
        token = header[7:] if header.startswith("Bearer ") else None
        return not self.faults.auth and token is not None and self.tokens.get(token, 0.0) > time.monotonic()

    # -- endpoints -------------------------------------------------------------------------------

    def on_token(self, request: Request) -> Response:
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or body.get("grant_type") != "client_credentials":
            return _json({"error": "invalid_request", "error_description": "grant_type must be client_credentials"},
                         400)
        if (self.faults.auth or body.get("client_id") != self.state.client_id
                or body.get("client_secret") != self.state.client_secret):
            return _json({"error": "access_denied", "error_description": "Unauthorized"}, 401)
        if body.get("audience") != AUDIENCE:
            return _json({"error": "access_denied", "error_description": "Service not enabled within domain"}, 403)
        token = secrets.token_urlsafe(24)
        self.tokens[token] = time.monotonic() + self.token_lifetime
        return _json({"access_token": token, "expires_in": self.token_lifetime, "token_type": "Bearer"})

    def on_companies(self, request: Request) -> Response:
        status = request.args.get("status")
        with self.state.lock:
            items = sorted(self.state.companies.values(), key=lambda c: c.id)
            if status:
                items = [c for c in items if c.status == status]
            return self._page(request, items, SimCompany.to_json, listing=True)

    def on_company(self, request: Request, company_id: str) -> Response:
        company = self.state.companies.get(company_id)
        if company is None:
            return _error(404, "NOT_FOUND", f"Company {company_id} not found", request.path)
        return _json(company.to_json())

    def on_subscriptions(self, request: Request) -> Response:
        names = {pid: p[0] for pid, p in self.state.products.items()}
        with self.state.lock:
            subs = sorted(self.state.subscriptions.values(), key=lambda s: s.id)
            company = request.args.get("companyId")
            if company is not None and company not in self.state.companies:
                return _error(403, "FORBIDDEN", "Invalid companyId", request.path)
            items = [s for s in subs if company is None or s.company_id == company]
            return self._page(request, items, lambda s: s.to_json(names), listing=False)

    def on_product(self, request: Request, product_id: str) -> Response:
        product = self.state.products.get(product_id)
        if product is None:
            return _error(404, "NOT_FOUND", f"Product {product_id} not found", request.path)
        name, vendor, sku = product
        return _json({"id": product_id, "name": name, "vendorName": vendor, "sku": sku, "vendorSku": None,
                      "shortDescription": name, "requiresCommitment": False, "description": name})

    def _page(self, request: Request, items: list, shape, *, listing: bool) -> Response:
        """One page of ``items`` (the objects in listing order), each shaped by ``shape``: only the page
        asked for (shaping the whole listing for every page cost the benchmark's process more CPU than
        the sync it serves)."""
        try:
            number = int(request.args.get("page", 0))
            size = min(int(request.args.get("size", DEFAULT_SIZE)), MAX_SIZE)
        except ValueError:
            return _error(400, "BAD_REQUEST", "page and size must be numbers", request.path)
        if number < 0 or size < 1:
            return _error(400, "BAD_REQUEST", "page must be >= 0 and size >= 1", request.path)
        if listing and self.faults.malformed:
            return Response(b"<html><body>Bad gateway</body></html>", status=200, content_type="text/html")
        total = len(items)
        if listing and self.faults.short_listing and items:
            items = items[:-1]  # one company lost at the vendor; totalElements still counts it
        pages = max(1, -(-len(items) // size))
        content = items[number * size: (number + 1) * size]
        if listing and self.faults.cut_listing:
            # the vendor dropped the tail of the listing: the first page is all there is
            pages = 1
        return _json({"content": [shape(item) for item in content],
                      "page": {"size": size, "totalElements": total, "totalPages": pages, "number": number}})


def _encode(value):
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(type(value).__name__)


def _json(payload, status: int = 200) -> Response:
    return Response(json.dumps(payload, default=_encode), status=status, content_type="application/json")


def _error(status: int, kind: str, message: str, instance: str) -> Response:
    return _json({"type": kind, "message": message, "instance": instance, "status": status, "details": []}, status)
