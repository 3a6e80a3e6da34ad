"""A vendor portal's license export, for demo mode and tests (a werkzeug WSGI app).

``GET /export/licenses.csv`` with ``Authorization: Bearer <token>`` answers the account as a CSV
file in the import's format, the way a portal's "export to CSV" link would: UTF-8 with a byte-order
mark (as Excel saves it), a header row, one row per customer and SKU.

``app.state`` is the account (:class:`SimState`), ``app.faults`` the hub's shared
:class:`~hub.plugins.simulator.Faults` knobs, honoured on every request.
"""

from __future__ import annotations

import csv
import io
import random
import threading
import time
from collections import deque
from dataclasses import dataclass, field

from werkzeug.wrappers import Request, Response

from hub.plugins.simulator import Faults

TOKEN = "demo-csv-export-token-0123456789"
PATH = "/export/licenses.csv"
DEMO_CONFIG = {"token": TOKEN, "complete_listing": True, "default_unit": "device"}

_FIRST = ("Blue Peak", "Harbor Lane", "Cedar Ridge", "Ironwood", "Maple Grove", "Silver Creek", "Oakhurst",
          "Redstone", "Willow Bay", "Granite", "Lakeside", "Pinecrest", "Summit View", "Riverbend", "Fairfield")
_SECOND = ("Dental", "Legal", "Accounting", "Veterinary", "Logistics", "Architects", "Clinic", "Realty")
_SKUS = (("DATTO-SIRIS-1TB", "device"), ("DATTO-SAAS-M365", "user"), ("DATTO-RMM", "endpoint"))


@dataclass
class SimCustomer:
    id: str
    name: str
    status: str = "active"
    counts: dict[str, int] = field(default_factory=dict)


class SimState:
    def __init__(self, token: str = TOKEN) -> None:
        self.lock = threading.RLock()
        self.token = token
        self.customers: dict[str, SimCustomer] = {}

    def add_customer(self, customer_id: str, name: str, **counts: int) -> SimCustomer:
        with self.lock:
            customer = SimCustomer(customer_id, name, counts=dict(counts))
            self.customers[customer_id] = customer
            return customer

    def remove_customer(self, customer_id: str) -> None:
        with self.lock:
            del self.customers[customer_id]

    def set_count(self, customer_id: str, sku: str, quantity: int) -> None:
        with self.lock:
            self.customers[customer_id].counts[sku] = quantity

    def to_csv(self) -> bytes:
        units = dict(_SKUS)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(["Customer ID", "Customer Name", "SKU", "Quantity", "Status", "Unit"])
        with self.lock:
            for customer in self.customers.values():
                if not customer.counts:
                    writer.writerow([customer.id, customer.name, "", "", customer.status, ""])
                for sku, quantity in customer.counts.items():
                    writer.writerow([customer.id, customer.name, sku, quantity, customer.status, units.get(sku, "")])
        return out.getvalue().encode("utf-8-sig")


def seed(state: SimState, customers: int) -> SimState:
    rng = random.Random(customers * 13 + 5)
    for n in range(customers):
        name = f"{rng.choice(_FIRST)} {rng.choice(_SECOND)}"
        if any(c.name == name for c in state.customers.values()):
            name = f"{name} {n}"
        counts = {sku: rng.randint(1, 80) for sku, _ in _SKUS if rng.random() < 0.6} or {_SKUS[0][0]: 1}
        customer = state.add_customer(f"DT-{10000 + n}", name, **counts)
        if n % 10 == 3:
            customer.status = "suspended"
    return state


def make_app(customers: int = 30) -> "ExportSimulator":
    return ExportSimulator(seed(SimState(), customers))


class ExportSimulator:
    def __init__(self, state: SimState | None = None, faults: Faults | None = None) -> None:
        self.state = state or SimState()
        self.faults = faults or Faults()
        self.calls: deque[str] = deque(maxlen=1000)

    def console(self):
        """The demo's vendor console over this account (``hub.plugins.simulator.VendorConsole``)."""
        from .console import ExportConsole

        return ExportConsole(self.state, _SKUS)

    def listed_customer_count(self) -> int:
        return len(self.state.customers)

    def __call__(self, environ, start_response):
        return self.dispatch(Request(environ))(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        faults = self.faults
        if faults.latency:
            time.sleep(faults.latency)
        self.calls.append(f"{request.method} {request.path}")
        if faults.unavailable:
            return Response("Service Unavailable", status=faults.unavailable)
        if faults.rate_limit_retry_after is not None:
            return Response("Too Many Requests", status=429,
                            headers={"Retry-After": str(faults.rate_limit_retry_after)})
        if faults.auth or request.headers.get("Authorization") != f"Bearer {self.state.token}":
            return Response("Unauthorized", status=401)
        if request.path != PATH or request.method != "GET":
            return Response("Not Found", status=404)
        if faults.malformed:
            return Response(b"<html><body>Session expired, please sign in</body></html>", status=200,
                            content_type="text/html")
        body = self.state.to_csv()
        if faults.cut_listing:
            # the download broke off inside a row, a few letters into a customer's name
            line_start = body.rfind(b"\n", 0, len(body) // 2) + 1
            body = body[:body.index(b",", line_start) + 4]
        return Response(body, status=200, content_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": "attachment; filename=licenses.csv"})
