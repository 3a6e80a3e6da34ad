"""A local Proofpoint Essentials Interface API v1 for demo mode and tests (a werkzeug WSGI app).

Same URLs, headers and shapes as the real API (see vendor-apis.md section 3): ``X-User``/``X-Password``
on every call, orgs addressed by domain, whole collections in one body (no paging), suspended orgs
listed with ``is_active: false``, deleted orgs gone (404), JSON error bodies with ``message``.

``app.state`` is the account (a :class:`~hub_proofpoint.sim_state.SimState`) and ``app.faults`` the
hub's shared :class:`~hub.plugins.simulator.Faults` knobs, honoured on every request.
"""

from __future__ import annotations

import json
import time
from collections import deque

from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from hub.plugins.simulator import Faults

from .sim_state import PARTNER_DOMAIN, PASSWORD, USERNAME, SimState, seed

API = "/api/v1"

#: what ``config_for`` points the plugin at (``base_url`` added by the caller)
DEMO_CONFIG = {"username": USERNAME, "password": PASSWORD, "partner_domain": PARTNER_DOMAIN,
               "quantity_source": "active_users", "bill_trials": False}

_MAINTENANCE_PAGE = b"<html><head><title>Proofpoint Essentials</title></head><body><h1>Scheduled maintenance" \
                    b"</h1><p>We'll be back shortly.</p></body></html>"


def make_app(customers: int = 30) -> "ProofpointSimulator":
    """A simulator seeded with ``customers`` organizations (deterministic)."""
    return ProofpointSimulator(seed(SimState(), customers))


class ProofpointSimulator:
    def __init__(self, state: SimState | None = None, faults: Faults | None = None) -> None:
        self.state = state or SimState()
        self.faults = faults or Faults()
        #: the latest requests as "METHOD /path" (tests read it; bounded for long demo runs)
        self.calls: deque[str] = deque(maxlen=1000)
        self.url_map = Map([
            Rule(f"{API}/me", endpoint="me", methods=["GET"]),
            Rule(f"{API}/endpoints/<domain>", endpoint="endpoints", methods=["GET"]),
            Rule(f"{API}/orgs/<domain>", endpoint="org", methods=["GET", "PATCH", "DELETE"]),
            Rule(f"{API}/orgs/<domain>/orgs", endpoint="child_orgs", methods=["GET"]),
            Rule(f"{API}/orgs/<domain>/users", endpoint="users", methods=["GET"]),
        ], strict_slashes=False)

    def console(self):
        """The demo's vendor console over this account (``hub.plugins.simulator.VendorConsole``)."""
        from .console import ProofpointConsole

        return ProofpointConsole(self.state)

    def listed_customer_count(self) -> int:
        """How many customers a complete sync should list: every organization in the partner tree."""
        return len(self.state.customers())

    def __call__(self, environ, start_response):
        return self.dispatch(Request(environ))(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        faults = self.faults
        if faults.latency:
            time.sleep(faults.latency)
        self.calls.append(f"{request.method} {request.path}")
        if faults.unavailable:
            return _error(faults.unavailable, "The service is temporarily unavailable")
        if faults.rate_limit_retry_after is not None:
            return _error(429, "Too many requests", {"Retry-After": str(faults.rate_limit_retry_after)})
        if faults.auth or not self._signed_in(request):
            return _error(401, "Authentication failed: invalid X-User or X-Password")
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, args = adapter.match()
        except NotFound:
            return _error(404, "Resource not found")
        except HTTPException as err:
            return _error(err.code or 400, err.description or "Bad request")
        return getattr(self, f"on_{endpoint}")(request, **args)

    def _signed_in(self, request: Request) -> bool:
        return (request.headers.get("X-User", "").lower() == self.state.username.lower()
                and request.headers.get("X-Password") == self.state.password)

    # -- endpoints -------------------------------------------------------------------------------

    def on_me(self, request: Request) -> Response:
        partner = self.state.find(self.state.partner_domain)
        return _json({"uid": 1001, "primary_email": self.state.username, "firstname": "Billing", "surname": "Admin",
                      "type": "channel_admin", "is_admin": True, "is_partner_admin": True, "read_only_user": False,
                      "entity_type": "channel", "entity_primary_domain": self.state.partner_domain,
                      "eid": partner.eid if partner else None})

    def on_endpoints(self, request: Request, domain: str) -> Response:
        elsewhere = self.state.other_stacks.get(domain.lower())
        if elsewhere:
            return _json({"endpoints": [elsewhere]})
        if self.state.find(domain) is None:
            return _error(404, f"Domain {domain} not found")
        return _json({"endpoints": [request.host]})

    def on_org(self, request: Request, domain: str) -> Response:
        org = self._visible(domain)
        if org is None:
            return _error(404, f"Organization {domain} not found")
        if request.method == "DELETE":
            try:
                self.state.remove_org(org.primary_domain)
            except ValueError as err:
                return _error(409, str(err))
            return Response(status=204)
        if request.method == "PATCH":
            body = request.get_json(silent=True)
            if not isinstance(body, dict):
                return _error(422, "Request body must be a JSON object")
            allowed = {"name", "is_active"}
            if set(body) - allowed:
                return _error(422, f"Cannot change: {', '.join(sorted(set(body) - allowed))}")
            org = self.state.update(org.primary_domain, **body)
        return _json(org.to_json())

    def on_child_orgs(self, request: Request, domain: str) -> Response:
        org = self._visible(domain)
        if org is None:
            return _error(404, f"Organization {domain} not found")
        if self.faults.malformed:
            return Response(_MAINTENANCE_PAGE, status=200, content_type="text/html")
        body = json.dumps({"orgs": [o.to_json() for o in self.state.children(org.primary_domain)]})
        if self.faults.cut_listing:
            # the connection dropped mid-list: a clean end of a body that stops inside the array
            return Response(body[: max(len('{"orgs": [') + 1, len(body) // 2)], status=200,
                            content_type="application/json")
        return Response(body, status=200, content_type="application/json")

    def on_users(self, request: Request, domain: str) -> Response:
        org = self._visible(domain)
        if org is None:
            return _error(404, f"Organization {domain} not found")
        return _json({"users": org.users()})

    def _visible(self, domain: str):
        """Orgs served by another stack are unknown here, as on the real service."""
        if domain.lower() in self.state.other_stacks or domain.isdigit():
            return None
        return self.state.find(domain)


def _json(payload: dict, status: int = 200) -> Response:
    return Response(json.dumps(payload), status=status, content_type="application/json")


def _error(status: int, message: str, headers: dict | None = None) -> Response:
    response = _json({"message": message, "code": status}, status)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response
