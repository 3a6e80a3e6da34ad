"""The fake vendor again, but reached over HTTP through the hub's ``VendorSession``.

The plugin side speaks to ``base_url`` like a real plugin does (paged listing, one usage call per
customer, ``raise_for_vendor_status``, ``json_or_data_error``); the vendor side is a ``responses``
callback serving the same in-memory data as :class:`FakeVendor`. Faults are queued per endpoint, so a
test can make the third request answer 503, time out or return broken JSON, and the hub's real
retries, timeouts and error mapping run.
"""

from __future__ import annotations

import json
import re
import threading
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import requests

from hub.plugins import (
    ConnectionCheck,
    CountFailure,
    CustomerStatus,
    LicenseCount,
    VendorCustomer,
    VendorDataError,
    hookimpl,
    json_or_data_error,
    raise_for_vendor_status,
)

from .fake_vendor import FAKE_CONFIG, FakeVendor

MALFORMED = object()  #: a fault: answer 200 with a body that is not JSON


class HttpFakeVendor(FakeVendor):
    per_page = 2

    def __init__(self, slug: str = "fakehttp") -> None:
        super().__init__(slug)
        self.valid_key = FAKE_CONFIG["api_key"]
        #: endpoint ("account", "customers", "usage" or "usage:<external id>") -> faults, used one per request:
        #: an HTTP status, (status, headers), an exception instance, or MALFORMED
        self.faults: dict[str, list] = {}
        #: the listing's "total" is reported this much higher than what is served (paging cut short)
        self.hide_customers = 0
        self.served: list[str] = []
        self._lock = threading.Lock()

    # -- the vendor's side: a responses callback -------------------------------------------------

    def serve(self, rsps, base_url: str = FAKE_CONFIG["base_url"]) -> None:
        base = re.escape(base_url.rstrip("/"))
        rsps.add_callback("GET", re.compile(base + r"/account$"), callback=self._account)
        rsps.add_callback("GET", re.compile(base + r"/customers/[^/?]+/usage$"), callback=self._usage)
        rsps.add_callback("GET", re.compile(base + r"/customers(\?.*)?$"), callback=self._customers)

    def _fault(self, *endpoints: str):
        with self._lock:
            for endpoint in endpoints:
                queue = self.faults.get(endpoint)
                if queue:
                    return queue.pop(0)
        return None

    def _answer(self, request, endpoints, body_fn):
        with self._lock:
            self.served.append(urlsplit(request.url).path)
        fault = self._fault(*endpoints)
        if isinstance(fault, BaseException):
            return fault
        if fault is MALFORMED:
            return 200, {"Content-Type": "application/json"}, '{"items": [{"id": "c1", "na'
        if isinstance(fault, int):
            return fault, {}, json.dumps({"error": f"HTTP {fault}"})
        if isinstance(fault, tuple):
            return fault[0], fault[1], json.dumps({"error": f"HTTP {fault[0]}"})
        if request.headers.get("X-Api-Key") != self.valid_key:
            return 401, {}, json.dumps({"error": "invalid API key"})
        return body_fn(request)

    def _account(self, request):
        return self._answer(request, ["account"],
                            lambda r: (200, {}, json.dumps({"name": "Fake MSP", "id": "msp-1"})))

    def _customers(self, request):
        def body(r):
            query = parse_qs(urlsplit(r.url).query)
            page, per_page = int(query.get("page", ["1"])[0]), int(query.get("perPage", ["2"])[0])
            everyone = list(self.customers.items())
            total = len(everyone) + self.hide_customers
            items = everyone[(page - 1) * per_page: page * per_page]
            return 200, {}, json.dumps({
                "page": page, "perPage": per_page, "total": total,
                "pagesCount": max(1, -(-total // per_page)),
                "items": [{"id": ext, "name": name, "status": status} for ext, (name, status) in items],
            })

        return self._answer(request, ["customers"], body)

    def _usage(self, request):
        external_id = urlsplit(request.url).path.rstrip("/").split("/")[-2]

        def body(r):
            if external_id not in self.customers:
                return 404, {}, json.dumps({"error": "no such customer"})
            usage = [{"sku": sku, "quantity": str(qty)} for sku, qty in self.counts.get(external_id, {}).items()]
            return 200, {}, json.dumps({"customerId": external_id, "usage": usage})

        return self._answer(request, [f"usage:{external_id}", "usage"], body)

    # -- the plugin's side -----------------------------------------------------------------------

    @staticmethod
    def _auth(config) -> dict:
        return {"X-Api-Key": config["api_key"]}

    @hookimpl
    def hub_test_connection(self, config, session):
        self.calls.append("test_connection")
        response = raise_for_vendor_status(
            session.get(f"{config['base_url']}/account", headers=self._auth(config)), session)
        account = json_or_data_error(response, session)
        return ConnectionCheck(ok=True, message=f"connected as {account['name']}", account_name=account["name"])

    @hookimpl
    def hub_list_customers(self, config, session):
        self.calls.append("list_customers")
        page, seen = 1, 0
        while True:
            response = raise_for_vendor_status(session.get(
                f"{config['base_url']}/customers", params={"page": page, "perPage": self.per_page},
                headers=self._auth(config)), session)
            data = json_or_data_error(response, session)
            try:
                items, pages, total = data["items"], int(data["pagesCount"]), int(data["total"])
                listed = [VendorCustomer(str(i["id"]), str(i["name"]), CustomerStatus(i["status"])) for i in items]
            except (KeyError, TypeError, ValueError) as err:
                raise VendorDataError(f"customers page {page} is malformed: {err!r}") from None
            seen += len(listed)
            yield from listed
            if page >= pages or not items:
                break
            page += 1
        if seen != total:
            raise VendorDataError(f"the customer listing ended after {seen} of {total} customers")

    @hookimpl
    def hub_fetch_license_counts(self, config, session, customers):
        self.calls.append("fetch_license_counts")

        def usage_of(customer):
            response = session.get(f"{config['base_url']}/customers/{customer.external_id}/usage",
                                   headers=self._auth(config))
            if response.status_code == 404:
                return [CountFailure(customer.external_id, f"usage of {customer.external_id}: HTTP 404")]
            data = json_or_data_error(raise_for_vendor_status(response, session), session)
            return [LicenseCount(customer.external_id, u["sku"], Decimal(u["quantity"])) for u in data["usage"]]

        for answer in session.map_concurrent(usage_of, customers):
            yield from answer


def timeout() -> requests.exceptions.ConnectTimeout:
    return requests.exceptions.ConnectTimeout("connect timed out")
