"""Acme: a small vendor whose plugin is correct, for proving the conformance kit passes and fails.

The API is REST with an ``X-Api-Key`` header, a customer listing in pages of 25 and a batch usage
call. The simulator honours every ``Faults`` knob. ``AcmeVendor`` is written the way a good plugin
is; ``broken_plugins.py`` breaks it one rule at a time.
"""

from __future__ import annotations

import json
import time

from marshmallow import Schema, fields
from werkzeug.wrappers import Request, Response

from hub.plugins import (
    ConnectionCheck,
    CustomerStatus,
    DemoSimulator,
    LicenseCount,
    SkuMapping,
    VendorCustomer,
    VendorDataError,
    VendorInfo,
    check_listing_total,
    hookimpl,
    quantity_of,
    required_field,
    json_or_data_error,
    raise_for_vendor_status,
)
from hub.plugins.simulator import Faults

API_KEY = "acme-key-5d41402abc4b2a76"
PAGE_SIZE = 25
SKUS = {"seats": ("Backup seats", True), "storage_gb": ("Cloud storage", True), "mfa": ("MFA flag", False)}


class AcmeSimulator:
    """The Acme API in memory: customers ``c-0001``..., every 7th suspended, every 5th without storage.

    Each listing page reports the listing's ``total``, so ``Faults.short_listing`` can be told apart.
    """

    reports_listing_totals = True

    def __init__(self, customers: int) -> None:
        self.faults = Faults()
        self.customers = [{"id": f"c-{n:04d}", "name": f"Customer {n:04d}", "suspended": n % 7 == 0}
                          for n in range(1, customers + 1)]
        self.requests = 0

    def listed_customer_count(self) -> int:
        return len(self.customers)

    def usage(self, customer_id: str) -> list[dict]:
        n = int(customer_id.split("-")[1])
        rows = [{"customer": customer_id, "sku": "seats", "quantity": n % 9 + 1},
                {"customer": customer_id, "sku": "mfa", "quantity": 1}]
        if n % 5:
            rows.append({"customer": customer_id, "sku": "storage_gb", "quantity": f"{n * 1.5:.1f}"})
        return rows

    def __call__(self, environ, start_response):
        request = Request(environ)
        return self.answer(request)(environ, start_response)

    def answer(self, request: Request) -> Response:
        self.requests += 1
        f = self.faults
        if f.latency:
            time.sleep(f.latency)
        if f.auth or request.headers.get("X-Api-Key") != API_KEY:
            return _json({"error": "invalid API key"}, 401)
        if f.unavailable:
            return _json({"error": "maintenance"}, f.unavailable)
        if f.rate_limit_retry_after is not None:
            return _json({"error": "slow down"}, 429, {"Retry-After": str(f.rate_limit_retry_after)})
        if request.path == "/api/me":
            return _json({"account": "Acme MSP"})
        if request.path == "/api/customers":
            page = int(request.args.get("page", 1))
            if f.malformed:
                return Response('{"items": [{"id": "c-00', status=200, content_type="application/json")
            if f.cut_listing and page > 1:
                return _json({"error": "internal error"}, 500)
            listed = self.customers[:-1] if f.short_listing else self.customers  # the total still counts it
            items = listed[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
            more = page * PAGE_SIZE < len(listed)
            return _json({"items": items, "next_page": page + 1 if more else None, "total": len(self.customers)})
        if request.path == "/api/usage":
            ids = [i for i in request.args.get("ids", "").split(",") if i]
            known = {c["id"] for c in self.customers}
            return _json({"items": [row for i in ids if i in known for row in self.usage(i)]})
        return _json({"error": "not found"}, 404)


def _json(body, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(body), status=status, headers=headers, content_type="application/json")


class AcmeConfig(Schema):
    base_url = fields.Url(required=True, require_tld=False)
    api_key = fields.String(required=True, metadata={"secret": True})


class AcmeVendor:
    """A correct plugin. Methods other than hooks are the seams the broken variants override."""

    slug = "acme"

    @hookimpl
    def hub_vendor_info(self):
        return VendorInfo(slug=self.slug, display_name="Acme Backup", version="1.0.0",
                          description="Acme's backup seats and storage", config_schema=AcmeConfig,
                          requests_per_second=50)

    @hookimpl
    def hub_test_connection(self, config, session):
        account = required_field(self.get(config, session, "/api/me"), "account", str, "GET /api/me")
        return ConnectionCheck(ok=True, message=f"signed in as {account}", account_name=account)

    @hookimpl
    def hub_list_customers(self, config, session):
        page, listed, total = 1, 0, None
        while page:
            body = self.get(config, session, "/api/customers", page=page)
            for item in required_field(body, "items", list, "GET /api/customers"):
                listed += 1
                yield self.customer(item)
            page, total = body.get("next_page"), body.get("total")
            if page is not None:
                required_field(body, "next_page", int, "GET /api/customers")
        check_listing_total(listed, total, "GET /api/customers")

    @hookimpl
    def hub_fetch_license_counts(self, config, session, customers):
        ids = [c.external_id for c in customers]
        for start in range(0, len(ids), 50):
            asked = ids[start:start + 50]
            body = self.get(config, session, "/api/usage", ids=",".join(asked))
            for row in required_field(body, "items", list, "GET /api/usage"):
                yield self.count(row, asked)

    @hookimpl
    def hub_map_skus(self, config, skus):
        return [SkuMapping(sku=s, name=SKUS[s][0], billable=SKUS[s][1], unit="GB" if s == "storage_gb" else "seat")
                for s in skus if s in SKUS]

    @hookimpl
    def hub_demo_simulator(self):
        return DemoSimulator(make_app=AcmeSimulator,
                             config_for=lambda base_url: {"base_url": base_url, "api_key": API_KEY})

    # -- seams -----------------------------------------------------------------------------------

    def customer(self, item: dict) -> VendorCustomer:
        where = "GET /api/customers"
        suspended = required_field(item, "suspended", bool, where)
        return VendorCustomer(external_id=required_field(item, "id", str, where),
                              name=required_field(item, "name", str, where),
                              status=CustomerStatus.SUSPENDED if suspended else CustomerStatus.ACTIVE)

    def count(self, row: dict, asked: list[str]) -> LicenseCount:
        customer = required_field(row, "customer", str, "GET /api/usage")
        if customer not in asked:
            raise VendorDataError(f"GET /api/usage counted {customer!r}, which was not asked for")
        sku = required_field(row, "sku", str, "GET /api/usage")
        return LicenseCount(customer, sku, quantity_of(row.get("quantity"), f"GET /api/usage {customer}/{sku}"))

    def get(self, config, session, path: str, **params) -> dict:
        response = session.get(config["base_url"].rstrip("/") + path, params=params,
                               headers={"X-Api-Key": config["api_key"]})
        raise_for_vendor_status(response, session)
        body = json_or_data_error(response, session)
        if not isinstance(body, dict):
            raise VendorDataError(f"GET {path} answered a {type(body).__name__}, not an object")
        return body
