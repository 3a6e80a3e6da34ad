"""A local Acronis data center (WSGI, werkzeug only) for demo mode and tests.

Same URLs and shapes as Account Management API v2: the OAuth2 token endpoint, ``/clients/{id}``,
``/tenants`` with cursor paging, ``/tenants/{id}``, ``/tenants/{id}/children``, the usage endpoints,
and ``errorScheme`` error bodies. ``app.faults`` (hub.plugins.simulator.Faults) makes it misbehave;
``app.state`` (SimState) is the data tests change between syncs.
"""

from __future__ import annotations

import base64
import json
import time
from datetime import datetime, timezone
from typing import Any, Callable

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from hub.plugins.simulator import Faults

from .sim_state import BACKUP_APP_ID, CATALOG, SIM_CLIENT_ID, SIM_CLIENT_SECRET, SimState, SimTenant, seed

__all__ = ["AcronisSimulator", "make_app", "SIM_CLIENT_ID", "SIM_CLIENT_SECRET"]

DEFAULT_LIMIT = 5000
BASIC_FIELDS = ("id", "parent_id", "version", "created_at", "updated_at", "deleted_at", "contacts",
                "offering_items", "name", "kind", "enabled")


def make_app(customers: int, *, page_size: int = 50, clock: Callable[[], float] = time.time,
             sleep: Callable[[float], None] = time.sleep) -> "AcronisSimulator":
    """A simulator seeded with ``customers`` live customers (plus folders, a sub-partner, deleted ones)."""
    return AcronisSimulator(seed(SimState(page_size=page_size, clock=clock), customers), sleep=sleep)


def error_body(status: int, message: str, code: Any = None, info: str | None = None, **context: Any) -> dict:
    return {"error": {"code": code if code is not None else status, "domain": "PlatformAccountServer",
                      "message": message, "details": {"info": info or message}, "context": context}}


class ApiError(Exception):
    def __init__(self, status: int, message: str, code: Any = None, headers: dict | None = None, **context):
        super().__init__(message)
        self.status, self.body, self.headers = status, error_body(status, message, code, **context), headers or {}


class AcronisSimulator:
    def __init__(self, state: SimState, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.state = state
        self.faults = Faults()
        self._sleep = sleep
        self.url_map = Map([
            Rule("/api/2/idp/token", endpoint="token", methods=["POST"]),
            Rule("/api/2/clients/<client_id>", endpoint="client", methods=["GET"]),
            Rule("/api/2/tenants", endpoint="tenants", methods=["GET"]),
            Rule("/api/2/tenants/usages", endpoint="batch_usages", methods=["GET"]),
            Rule("/api/2/tenants/<tenant_id>", endpoint="tenant", methods=["GET"]),
            Rule("/api/2/tenants/<tenant_id>/children", endpoint="children", methods=["GET"]),
            Rule("/api/2/tenants/<tenant_id>/usages", endpoint="tenant_usages", methods=["GET"]),
        ])

    def console(self):
        """The demo's vendor console over this partner (``hub.plugins.simulator.VendorConsole``)."""
        from .console import AcronisConsole

        return AcronisConsole(self.state)

    def listed_customer_count(self) -> int:
        """How many customers a complete listing holds right now."""
        return len(self.state.customers())

    def __call__(self, environ, start_response):
        request = Request(environ)
        return self.respond(request)(environ, start_response)

    def respond(self, request: Request) -> Response:
        faults = self.faults
        with self.state.lock:
            self.state.requests.append((request.method, request.path, dict(request.args)))
            self.state.request_times.append(time.monotonic())
        if faults.latency:
            self._sleep(faults.latency)
        try:
            if faults.rate_limit_retry_after is not None:
                raise ApiError(429, "Too many requests", headers={"Retry-After": str(faults.rate_limit_retry_after)})
            if faults.unavailable:
                raise ApiError(faults.unavailable, "Service temporarily unavailable", code=1000)
            endpoint, args = self.url_map.bind_to_environ(request.environ).match()
            if endpoint == "token":
                return self.token(request)
            self._authorize(request)
            with self.state.lock:
                return getattr(self, endpoint)(request, **args)
        except ApiError as err:
            return _json(err.body, err.status, err.headers)
        except (NotFound, MethodNotAllowed) as err:
            return _json(error_body(err.code, err.name), err.code)
        except HTTPException as err:  # pragma: no cover - werkzeug's other routing answers
            return _json(error_body(err.code or 500, err.name), err.code or 500)

    # -- auth ----------------------------------------------------------------------------------

    def token(self, request: Request) -> Response:
        auth = request.authorization
        known = auth is not None and self.state.clients.get(auth.username or "") == auth.password
        if self.faults.auth or not known:
            return _json({"error": "invalid_client", "error_description": "Client authentication failed",
                          "domain": "Access", "reason": "InvalidClient"}, 401)
        if request.form.get("grant_type") != "client_credentials":
            return _json({"error": "unsupported_grant_type",
                          "error_description": "grant_type must be client_credentials"}, 400)
        with self.state.lock:
            token = f"sim.{len(self.state.tokens) + 1}.{self.state._rng.getrandbits(64):016x}"
            expires_on = int(self.state.clock()) + self.state.token_lifetime
            self.state.tokens[token] = expires_on
        return _json({"access_token": token, "token_type": "bearer", "expires_on": expires_on,
                      "id_token": "eyJhbGciOiJub25lIn0.eyJzdWIiOiJzaW0ifQ."})

    def _authorize(self, request: Request) -> None:
        header = request.headers.get("Authorization", "")
        token = header[7:] if header.lower().startswith("bearer ") else None
        expires_on = self.state.tokens.get(token or "")
        if self.faults.auth or expires_on is None or self.state.clock() >= expires_on:
            raise ApiError(401, "Unauthorized", info="The access token is missing, invalid or expired")

    # -- endpoints -----------------------------------------------------------------------------

    def client(self, request: Request, client_id: str) -> Response:
        if client_id not in self.state.client_tenant:
            raise ApiError(404, "Client not found", code=1005)
        return _json({"id": client_id, "type": "api_client", "tenant_id": self.state.client_tenant[client_id],
                      "token_endpoint_auth_method": "client_secret_basic", "status": "enabled",
                      "data": {"client_name": "MSP billing hub"}, "created_at": "2024-02-01T10:00:00"})

    def tenant(self, request: Request, tenant_id: str) -> Response:
        tenant = self._visible(tenant_id, allow_deleted=_flag(request, "allow_deleted"))
        return _json(self._render(tenant, "full", self._parents()))

    def children(self, request: Request, tenant_id: str) -> Response:
        self._visible(tenant_id)
        allow_deleted = _flag(request, "allow_deleted")
        ids = [t.id for t in self.state.tenants.values()
               if t.parent_id == tenant_id and (allow_deleted or self.state.is_live(t.id))]
        return _json({"items": ids})

    def tenants(self, request: Request) -> Response:
        if "after" in request.args:
            query = _decode_cursor(request.args["after"])
            if self.faults.cut_listing:  # the next page never comes
                raise ApiError(500, "Internal server error", code=1000)
        else:
            query = self._listing_query(request)
        selected = self._select(query)
        size = max(1, min(query["limit"], self.state.page_size))
        offset = query.get("offset", 0)
        page = selected[offset:offset + size]
        parents = self._parents()
        body: dict[str, Any] = {"timestamp": self.state.now_iso(),
                                "items": [self._render(t, query["lod"], parents) for t in page]}
        if offset + size < len(selected):
            body["paging"] = {"cursors": {"after": _encode_cursor({**query, "offset": offset + size})}}
        elif self.faults.cut_listing and offset == 0:  # a one-page listing cut short: the body breaks off
            del body["items"]
        if self.faults.malformed:
            return Response(json.dumps(body)[:60], 200, content_type="application/json")
        return _json(body)

    def batch_usages(self, request: Request) -> Response:
        ids = [i for i in request.args.get("tenants", "").split(",") if i]
        if not ids:
            raise ApiError(400, "Bad Request", info="tenants is required")
        if len(ids) > self.state.max_usage_batch:
            raise ApiError(400, "Bad Request", info=f"at most {self.state.max_usage_batch} tenants per call")
        for tenant_id in ids:
            self._visible(tenant_id)
            if tenant_id in self.state.usage_errors:
                raise ApiError(self.state.usage_errors[tenant_id], "Usage is not available", tenant_id=tenant_id)
        return _json({"items": [{"tenant": i, "usages": self._usages(self.state.tenants[i])} for i in ids]})

    def tenant_usages(self, request: Request, tenant_id: str) -> Response:
        return _json({"items": self._usages(self._visible(tenant_id))})

    # -- helpers -------------------------------------------------------------------------------

    def _visible(self, tenant_id: str, *, allow_deleted: bool = False) -> SimTenant:
        tenant = self.state.tenants.get(tenant_id)
        if tenant is None or (not allow_deleted and not self.state.is_live(tenant_id)):
            raise ApiError(404, "Tenant not found", code=1005, tenant_id=tenant_id)
        if not self.state.within(tenant_id, self.state.partner_id):
            raise ApiError(403, "Access denied", code=1002)
        return tenant

    def _listing_query(self, request: Request) -> dict:
        selectors = [k for k in ("uuids", "parent_id", "subtree_root_id") if request.args.get(k)]
        if len(selectors) != 1:
            raise ApiError(400, "Bad Request", info="exactly one of uuids, parent_id, subtree_root_id is required")
        lod = request.args.get("lod", "full")
        if lod not in ("stamps", "basic", "full"):
            raise ApiError(400, "Bad Request", info="lod must be stamps, basic or full")
        try:
            limit = int(request.args.get("limit", DEFAULT_LIMIT))
        except ValueError:
            raise ApiError(400, "Bad Request", info="limit must be an integer") from None
        key = selectors[0]
        value = request.args[key]
        for tenant_id in (value.split(",") if key == "uuids" else [value]):
            self._visible(tenant_id, allow_deleted=True)
        return {"by": key, "value": value, "lod": lod, "limit": limit,
                "allow_deleted": _flag(request, "allow_deleted")}

    def _select(self, query: dict) -> list[SimTenant]:
        tenants, state = self.state.tenants, self.state
        if query["by"] == "uuids":
            chosen = [tenants[i] for i in query["value"].split(",") if i in tenants]
        elif query["by"] == "parent_id":
            chosen = [t for t in tenants.values() if t.parent_id == query["value"]]
        else:  # the root itself and everything below it, sorted by level
            chosen = sorted((t for t in tenants.values() if state.within(t.id, query["value"])),
                            key=lambda t: self._level(t))
        return [t for t in chosen if query["allow_deleted"] or state.is_live(t.id)]

    def _level(self, tenant: SimTenant) -> int:
        level = 0
        while tenant.parent_id and tenant.parent_id in self.state.tenants:
            tenant, level = self.state.tenants[tenant.parent_id], level + 1
        return level

    def _parents(self) -> set[str | None]:
        return {t.parent_id for t in self.state.tenants.values() if self.state.is_live(t.id)}

    def _render(self, tenant: SimTenant, lod: str, parents: set[str | None]) -> dict:
        full = {"id": tenant.id, "parent_id": tenant.parent_id, "version": tenant.version,
                "created_at": tenant.created_at, "updated_at": tenant.updated_at, "deleted_at": tenant.deleted_at,
                "contacts": [], "offering_items": [], "name": tenant.name, "kind": tenant.kind,
                "enabled": tenant.enabled, "customer_type": "default", "customer_id": tenant.customer_id,
                "brand_id": 1, "brand_uuid": "a3c1f7a0-2b8e-4d7b-9f53-0d6e8e1c0b11", "internal_tag": None,
                "language": "en", "owner_id": None, "has_children": tenant.id in parents,
                "ancestral_access": True, "mfa_status": "disabled", "pricing_mode": tenant.pricing_mode,
                "update_lock": {"enabled": False, "owner_id": None}, "contact": {}}
        if lod == "full":
            return full
        keep = BASIC_FIELDS if lod == "basic" else BASIC_FIELDS[:8]
        return {k: full[k] for k in keep}

    def _usages(self, tenant: SimTenant) -> list[dict]:
        start = datetime.fromtimestamp(self.state.clock(), timezone.utc).strftime("%Y-%m-01T00:00:00")
        rows = []
        for (name, infra_id), value in sorted(tenant.usage.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
            item = CATALOG.get(name)
            row = {"application_id": BACKUP_APP_ID, "name": name, "edition": item.edition if item else None,
                   "usage_name": item.usage_name if item else name, "type": item.type if item else "count",
                   "measurement_unit": item.measurement_unit if item else "quantity", "range_start": start,
                   "value": value, "absolute_value": value, "tenant_id": tenant.v1_id,
                   "offering_item": {"status": 1, "quota": {"value": None, "overage": None, "version": 1}}}
            if infra_id:
                row["infra_id"] = infra_id
            rows.append(row)
        return rows


def _json(body: Any, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(body), status, headers=headers, content_type="application/json")


def _flag(request: Request, name: str) -> bool:
    return request.args.get(name, "false").lower() == "true"


def _encode_cursor(query: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(query, sort_keys=True).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> dict:
    try:
        return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except ValueError:
        raise ApiError(400, "Bad Request", info="after is not a valid cursor") from None
