"""The simulated Pax8 partner account: companies, the product catalog and subscriptions.

Tests and demo mode edit it between syncs (``app.state``): add or delete companies, add, change or
cancel subscriptions. Seeding is deterministic.
"""

from __future__ import annotations

import random
import threading
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

CLIENT_ID = "demo-pax8-client-id-0123456789"
CLIENT_SECRET = "demo-Pax8-client-secret-abcdefghijklmnop"

#: (id, name, vendor, Pax8 SKU): ids are global at Pax8, so fixed here
PRODUCTS = (
    ("4f76b357-1e4a-4c1b-9b6e-2f0d8a9b0c01", "Microsoft 365 Business Premium", "Microsoft", "MST-365-BP"),
    ("4f76b357-1e4a-4c1b-9b6e-2f0d8a9b0c02", "Microsoft 365 Business Basic", "Microsoft", "MST-365-BB"),
    ("4f76b357-1e4a-4c1b-9b6e-2f0d8a9b0c03", "Exchange Online (Plan 1)", "Microsoft", "MST-EXO-P1"),
    ("4f76b357-1e4a-4c1b-9b6e-2f0d8a9b0c04", "Microsoft Defender for Business", "Microsoft", "MST-DFB"),
    ("4f76b357-1e4a-4c1b-9b6e-2f0d8a9b0c05", "Dropsuite Microsoft 365 Backup", "Dropsuite", "DRP-365-BKP"),
    ("4f76b357-1e4a-4c1b-9b6e-2f0d8a9b0c06", "Azure usage", "Microsoft", "MST-AZ-PLAN"),
)
_FIRST = ("Blue Peak", "Harbor Lane", "Cedar Ridge", "Ironwood", "Maple Grove", "Silver Creek", "Oakhurst",
          "Redstone", "Willow Bay", "Granite", "Lakeside", "Pinecrest", "Summit View", "Riverbend", "Fairfield")
_SECOND = ("Dental", "Legal", "Accounting", "Veterinary", "Logistics", "Architects", "Clinic", "Realty",
           "Engineering", "Insurance", "Auto Repair", "Construction", "Pharmacy", "Consulting")


@dataclass
class SimCompany:
    id: str
    name: str
    status: str = "Active"
    external_id: str | None = None

    def to_json(self) -> dict:
        return {"id": self.id, "name": self.name, "status": self.status, "externalId": self.external_id,
                "address": {"street": "1 Main St", "street2": None, "city": "Denver", "stateOrProvince": "CO",
                            "postalCode": "80202", "country": "US"},
                "phone": "+1 555 0100", "website": None, "billOnBehalfOfEnabled": False,
                "selfServiceAllowed": False, "orderApprovalRequired": False, "updatedDate": "2026-05-01T10:00:00Z"}


@dataclass
class SimSubscription:
    id: str
    company_id: str
    product_id: str
    quantity: Decimal
    status: str = "Active"
    billing_term: str = "Monthly"
    commitment: str | None = None

    def to_json(self, product_names: dict[str, str]) -> dict:
        body = {"id": self.id, "companyId": self.company_id, "productId": self.product_id,
                "quantity": self.quantity, "status": self.status, "billingTerm": self.billing_term,
                "startDate": "2025-01-01T08:30:00Z", "billingStart": "2025-01-01", "endDate": None,
                "createdDate": "2025-01-01T08:00:00Z", "updatedDate": "2026-05-01T10:00:00Z",
                "price": Decimal("22.00"), "partnerCost": Decimal("18.70"), "currencyCode": "USD",
                "vendorSubscriptionId": f"vs-{self.id[:8]}", "parentSubscriptionId": None,
                "productName": product_names.get(self.product_id)}
        if self.commitment:
            body["commitmentTerm"] = {"id": f"ct-{self.id[:8]}", "term": self.commitment,
                                      "endDate": "2027-01-01T00:00:00Z"}
        return body


@dataclass
class SimState:
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET
    companies: dict[str, SimCompany] = field(default_factory=dict)
    subscriptions: dict[str, SimSubscription] = field(default_factory=dict)
    products: dict[str, tuple[str, str, str]] = field(
        default_factory=lambda: {p[0]: p[1:] for p in PRODUCTS})
    lock: threading.RLock = field(default_factory=threading.RLock)
    _rng: random.Random = field(default_factory=lambda: random.Random(20260801))

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def add_company(self, name: str, **fields) -> SimCompany:
        with self.lock:
            company = SimCompany(id=self._uuid(), name=name, **fields)
            self.companies[company.id] = company
            return company

    def delete_company(self, company_id: str) -> None:
        """Pax8 keeps a deleted company listed with status Deleted; its subscriptions end Cancelled."""
        with self.lock:
            self.companies[company_id].status = "Deleted"
            for sub in self.subscriptions.values():
                if sub.company_id == company_id:
                    sub.status = "Cancelled"

    def subscribe(self, company_id: str, product_id: str, quantity, **fields) -> SimSubscription:
        with self.lock:
            sub = SimSubscription(id=self._uuid(), company_id=company_id, product_id=product_id,
                                  quantity=Decimal(str(quantity)), **fields)
            self.subscriptions[sub.id] = sub
            return sub

    def update_subscription(self, sub_id: str, **fields) -> SimSubscription:
        with self.lock:
            sub = self.subscriptions[sub_id]
            for name, value in fields.items():
                if not hasattr(sub, name) or name in ("id", "company_id"):
                    raise AttributeError(f"cannot set {name}")
                setattr(sub, name, Decimal(str(value)) if name == "quantity" else value)
            return sub

    def listed_companies(self) -> list[SimCompany]:
        with self.lock:
            return [c for c in self.companies.values() if c.status != "Deleted"]


def seed(state: SimState, customers: int) -> SimState:
    """About ``customers`` companies: most on Microsoft 365 (some with a Monthly and an Annual
    subscription to the same product), add-ons, a trial, cancelled and pending rows, one Inactive
    company in twelve, and one Deleted company."""
    rng = random.Random(customers * 7 + 1)
    product_ids = [p[0] for p in PRODUCTS]
    for n in range(customers):
        name = f"{rng.choice(_FIRST)} {rng.choice(_SECOND)}"
        if any(c.name == name for c in state.companies.values()):
            name = f"{name} {n}"
        company = state.add_company(name, status="Inactive" if n % 12 == 5 else "Active",
                                    external_id=f"PSA-{2000 + n}" if n % 3 == 0 else None)
        main = product_ids[0] if n % 3 else product_ids[1]
        state.subscribe(company.id, main, rng.randint(3, 60))
        if n % 4 == 0:  # the same product again on an annual term: the quantities add up
            state.subscribe(company.id, main, rng.randint(2, 20), billing_term="Annual", commitment="1-Year")
        if n % 5 == 0:
            state.subscribe(company.id, product_ids[4], rng.randint(3, 60))
        if n % 7 == 0:
            state.subscribe(company.id, product_ids[3], rng.randint(3, 30), status="Trial", billing_term="Trial")
        if n % 9 == 0:
            state.subscribe(company.id, product_ids[2], rng.randint(1, 10), status="Cancelled")
        if n % 11 == 0:
            state.subscribe(company.id, product_ids[2], rng.randint(1, 10), status="PendingManual")
    if customers >= 3:
        gone = state.add_company("Closed Customer Inc")
        state.subscribe(gone.id, product_ids[0], 5)
        state.delete_company(gone.id)
    return state
