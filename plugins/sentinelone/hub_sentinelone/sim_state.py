"""The simulated SentinelOne MSSP scope: accounts, each with a Default site and customer sites.

Tests and demo mode edit it between syncs (``app.state``): add or delete sites, change agents,
expire a site. Seeding is deterministic, so the same ``customers`` number gives the same sites.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field

API_TOKEN = "eyJraWQiOiJkZW1vIn0.demo-SentinelOne-token.c2lnbmF0dXJl"

_FIRST = ("Blue Peak", "Harbor Lane", "Cedar Ridge", "Ironwood", "Maple Grove", "Silver Creek", "Oakhurst",
          "Redstone", "Willow Bay", "Granite", "Lakeside", "Pinecrest", "Summit View", "Riverbend", "Fairfield")
_SECOND = ("Dental", "Legal", "Accounting", "Veterinary", "Logistics", "Architects", "Clinic", "Realty",
           "Engineering", "Insurance", "Auto Repair", "Construction", "Pharmacy", "Consulting")
_SUITES = (("Complete", 45), ("Control", 35), ("Core", 20))


@dataclass
class SimSite:
    id: str
    name: str
    account_id: str
    account_name: str
    sku: str = "Complete"
    active_licenses: int = 10
    total_licenses: int = 25
    unlimited: bool = False
    site_type: str = "Paid"
    state: str = "active"
    is_default: bool = False
    addons: list[str] = field(default_factory=list)
    external_id: str | None = None

    def to_json(self) -> dict:
        """The site object as the real API shapes it (fact sheet section 7.3)."""
        bundles = [{"name": self.sku.lower(), "displayName": self.sku, "majorVersion": 1, "minorVersion": 0,
                    "surfaces": [{"name": "Total Agents", "count": self.total_licenses}],
                    "totalSurfaces": self.total_licenses}]
        bundles += [{"name": a.lower().replace(" ", "_"), "displayName": a, "majorVersion": 1, "minorVersion": 0,
                     "surfaces": [{"name": "Total Agents", "count": self.total_licenses}],
                     "totalSurfaces": self.total_licenses} for a in self.addons]
        return {
            "id": self.id, "name": self.name, "accountId": self.account_id, "accountName": self.account_name,
            "isDefault": self.is_default, "healthStatus": True, "activeLicenses": self.active_licenses,
            "totalLicenses": 0 if self.unlimited else self.total_licenses, "unlimitedLicenses": self.unlimited,
            "sku": self.sku, "suite": self.sku, "siteType": self.site_type, "state": self.state,
            "expiration": None if self.unlimited else "2027-06-30T00:00:00Z",
            "unlimitedExpiration": self.unlimited, "inheritAccountExpiration": False,
            "externalId": self.external_id, "description": None, "usageType": "customer",
            "licenses": {"bundles": bundles, "modules": [], "settings": []},
            "createdAt": "2024-04-05T16:01:56.927213Z", "updatedAt": "2026-08-27T08:04:39.306240Z",
            "creator": "MSP Admin", "creatorId": "1392053568574360001", "registrationToken": "eyJ1cmwi…",
        }


@dataclass
class SimAccount:
    id: str
    name: str
    account_type: str = "Paid"
    state: str = "active"

    def to_json(self, sites: list[SimSite]) -> dict:
        mine = [s for s in sites if s.account_id == self.id and s.state != "deleted"]
        return {"id": self.id, "name": self.name, "accountType": self.account_type, "state": self.state,
                "expiration": None, "unlimitedExpiration": True, "activeAgents": sum(s.active_licenses for s in mine),
                "totalLicenses": sum(s.total_licenses for s in mine), "numberOfSites": len(mine),
                "usageType": "customer", "billingMode": "subscription",
                "licenses": {"bundles": [], "modules": [], "settings": []},
                "createdAt": "2024-04-05T16:01:56.927213Z", "updatedAt": "2026-08-27T08:04:39.306240Z"}


class SimState:
    """Accounts and sites by id. Thread-safe: the server is threaded."""

    def __init__(self, api_token: str = API_TOKEN) -> None:
        self.lock = threading.RLock()
        self.api_token = api_token
        self.accounts: dict[str, SimAccount] = {}
        self.sites: dict[str, SimSite] = {}
        self._next = 1392053568582758000

    def _id(self) -> str:
        self._next += 7919
        return str(self._next)

    def add_account(self, name: str, **fields) -> SimAccount:
        """An account and its Default site (every account has one)."""
        with self.lock:
            account = SimAccount(id=self._id(), name=name, **fields)
            self.accounts[account.id] = account
            self.add_site("Default site", account.id, is_default=True, active_licenses=0, total_licenses=0)
            return account

    def add_site(self, name: str, account_id: str, **fields) -> SimSite:
        with self.lock:
            account = self.accounts[account_id]
            site = SimSite(id=self._id(), name=name, account_id=account.id, account_name=account.name, **fields)
            self.sites[site.id] = site
            return site

    def delete_site(self, site_id: str) -> SimSite:
        """Deleted sites leave the default listing (they show only with ``states=deleted``)."""
        return self.update(site_id, state="deleted")

    def update(self, site_id: str, **fields) -> SimSite:
        with self.lock:
            site = self.sites[site_id]
            for name, value in fields.items():
                if not hasattr(site, name) or name in ("id", "account_id"):
                    raise AttributeError(f"cannot set {name}")
                setattr(site, name, value)
            return site

    def customer_sites(self, include_default: bool = False) -> list[SimSite]:
        with self.lock:
            return [s for s in self.sites.values()
                    if s.state != "deleted" and (include_default or not s.is_default)]


def seed(state: SimState, customers: int, *, seed_value: int = 20260701) -> SimState:
    """About ``customers`` customer sites under a few accounts: mixed suites, some add-ons, one in
    twelve unlimited, one in fifteen expired, one in ten on trial, and one deleted site."""
    rng = random.Random(seed_value)
    accounts = [state.add_account(name) for name in ("MSP Managed", "MSP Co-managed", "Legacy Customers")]
    accounts = accounts[: max(1, min(3, customers // 5 or 1))]
    suites, weights = zip(*_SUITES)
    for n in range(customers):
        account = accounts[n % len(accounts)]
        name = f"{rng.choice(_FIRST)} {rng.choice(_SECOND)}"
        if any(s.name == name for s in state.sites.values()):
            name = f"{name} {n}"
        active = rng.randint(3, 150)
        state.add_site(name, account.id, sku=rng.choices(suites, weights)[0], active_licenses=active,
                       total_licenses=active + rng.choice((0, 5, 10, 25)), unlimited=n % 12 == 11,
                       state="expired" if n % 15 == 4 else "active", site_type="Trial" if n % 10 == 7 else "Paid",
                       addons=["Ranger"] if n % 4 == 0 else [], external_id=f"PSA-{1000 + n}" if n % 2 else None)
    if customers >= 3:
        gone = state.add_site("Closed Customer", accounts[0].id, active_licenses=4)
        state.delete_site(gone.id)
    return state
