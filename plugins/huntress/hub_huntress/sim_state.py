"""The simulated Huntress account: its organizations and their counts.

Tests and demo mode edit it between syncs (``app.state``): add, delete, rename, change counts.
Seeding is deterministic, so the same ``customers`` number always gives the same organizations.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass

API_KEY = "hk_demo0123456789abcdef"
API_SECRET = "hs_demo-Huntress-secret-0123456789"
ACCOUNT_NAME = "Northwind Managed Services"

_FIRST = ("Blue Peak", "Harbor Lane", "Cedar Ridge", "Ironwood", "Maple Grove", "Silver Creek", "Oakhurst",
          "Redstone", "Willow Bay", "Granite", "Lakeside", "Pinecrest", "Summit View", "Riverbend", "Fairfield")
_SECOND = ("Dental", "Legal", "Accounting", "Veterinary", "Logistics", "Architects", "Family Practice",
           "Realty", "Engineering", "Insurance", "Auto Repair", "Construction", "Pharmacy", "Consulting")


@dataclass
class SimOrganization:
    id: int
    name: str
    key: str
    agents_count: int = 10
    billable_identity_count: int = 0
    microsoft_365_users_count: int = 0
    sat_learner_count: int = 0
    logs_sources_count: int = 0

    def to_json(self, account_id: int) -> dict:
        """The organization object as the real API shapes it (fact sheet section 8.3)."""
        tenant = f"{self.id:08x}-0000-4000-8000-{self.id:012x}" if self.microsoft_365_users_count else None
        return {
            "id": self.id, "name": self.name, "key": self.key, "account_id": account_id,
            "agents_count": self.agents_count, "billable_identity_count": self.billable_identity_count,
            "microsoft_365_users_count": self.microsoft_365_users_count, "microsoft_365_tenant_id": tenant,
            "identity_provider_tenant_id": tenant, "sat_learner_count": self.sat_learner_count,
            "logs_sources_count": self.logs_sources_count, "incident_reports_count": self.id % 3,
            "notify_emails": [], "report_recipients": [],
            "created_at": "2024-01-15T14:22:00Z", "updated_at": "2026-04-23T19:34:23Z",
        }


class SimState:
    """All organizations by id. Thread-safe: the server is threaded."""

    def __init__(self, api_key: str = API_KEY, api_secret: str = API_SECRET) -> None:
        self.lock = threading.RLock()
        self.api_key, self.api_secret = api_key, api_secret
        self.account_id = 440
        self.orgs: dict[int, SimOrganization] = {}
        self._next_id = 625000

    def add_org(self, name: str, **counts) -> SimOrganization:
        with self.lock:
            self._next_id += 1
            key = "-".join("".join(c if c.isalnum() else " " for c in name.lower()).split())
            org = SimOrganization(id=self._next_id, name=name, key=f"{key}-{self._next_id % 1000}", **counts)
            self.orgs[org.id] = org
            return org

    def remove_org(self, org_id: int) -> SimOrganization:
        """Huntress deletes for good: the organization leaves every listing and answers 404."""
        with self.lock:
            return self.orgs.pop(int(org_id))

    def update(self, org_id: int, **fields) -> SimOrganization:
        with self.lock:
            org = self.orgs[int(org_id)]
            for name, value in fields.items():
                if not hasattr(org, name) or name == "id":
                    raise AttributeError(f"cannot set {name}")
                setattr(org, name, value)
            return org

    def listing(self) -> list[SimOrganization]:
        with self.lock:
            return sorted(self.orgs.values(), key=lambda o: o.id)


def seed(state: SimState, customers: int, *, seed_value: int = 20260601) -> SimState:
    """``customers`` organizations: most with agents, many with ITDR identities, some SAT, and a few
    with identities but no agents (billed for ITDR only)."""
    rng = random.Random(seed_value)
    for n in range(customers):
        name = f"{rng.choice(_FIRST)} {rng.choice(_SECOND)}"
        if any(o.name == name for o in state.orgs.values()):
            name = f"{name} {n}"
        m365 = rng.randint(5, 150)
        identities = 0 if n % 4 == 1 else max(1, m365 - rng.randint(0, 10))
        state.add_org(name, agents_count=0 if n % 9 == 5 else rng.randint(2, 120),
                      billable_identity_count=identities, microsoft_365_users_count=m365,
                      sat_learner_count=identities if n % 3 == 0 else 0,
                      logs_sources_count=rng.randint(1, 12) if n % 5 == 0 else 0)
    return state
