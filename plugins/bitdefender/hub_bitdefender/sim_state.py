"""The simulator's data: a partner company tree with customers and their monthly usage.

Tests change it between syncs (``app.state.add_customer``, ``remove``, ``rename``, ``suspend``,
``set_counts``, ``ghost``); ``seed`` builds a deterministic tree of about N customers.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field

PARTNER, CUSTOMER = 0, 1
TRIAL, YEARLY, MONTHLY = 1, 2, 3
ENDPOINT_SECURITY, EDR_PRODUCT = 0, 3

#: the counter set every usage entry carries (live tenants send all of them, mostly zeros)
COUNTERS = (
    "endpointMonthlyUsage", "aLaCarteMonthlyUsage", "mspSecureMonthlyUsage", "mspSecurePlusMonthlyUsage",
    "mspSecureExtraMonthlyUsage", "emailSecurityMonthlyUsage", "mobileSecurityMonthlyUsage",
    "exchangeMonthlyUsage", "encryptionMonthlyUsage", "atsMonthlyUsage", "edrMonthlyUsage",
    "mdrFoundationsMonthlyUsage", "mdrResponseMonthlyUsage", "patchManagementMonthlyUsage",
    "containerProtectionMonthlyUsage", "integrityMonitoringUsage", "xdrIdentitySensorsMonthlyUsage",
    "sveVsMonthlyUsage", "sveVdiMonthlyUsage",
)
#: the docs' own spelling of one counter, which the Endpoint Security entry uses
MISSPELLED = {"aLaCarteMonthlyUsage": "aLaCarteMonhtlyUsage"}

_NAMES = ("Contoso", "Fabrikam", "Tailspin", "Adatum", "Litware", "Proseware", "Wingtip", "Woodgrove",
          "Alpine Ski House", "Coho Vineyard", "Fourth Coffee", "Lucerne Publishing", "Margie's Travel",
          "Relecloud", "Trey Research", "Wide World Importers", "Humongous Insurance", "VanArsdel",
          "Southridge Video", "Bellows College", "Consolidated Messenger", "Munson's Pickles", "Northridge",
          "Blue Yonder Airlines", "City Power & Light", "Graphic Design Institute", "Nod Publishers",
          "Lamna Healthcare", "Datum Legal", "Olympia Dental", "Kestrel Logistics", "Harbor Bakery")
_SUFFIXES = ("Ltd", "GmbH", "LLC", "Inc.", "SARL", "BV", "AB", "Pty Ltd", "& Partners", "S.p.A.", "Oy", "AG")
_RESELLERS = ("Blue Harbor IT", "Summit Managed Services", "Greenfield Networks", "Riverbend Tech",
              "Cobalt Cloud Partners", "Ironbridge Solutions", "Lighthouse IT", "Oakline Systems")
_BUNDLES = ("aLaCarteMonthlyUsage", "mspSecureMonthlyUsage", "mspSecurePlusMonthlyUsage",
            "mspSecureExtraMonthlyUsage")


@dataclass
class SimCompany:
    id: str
    name: str
    type: int
    parent_id: str | None
    license_type: int = MONTHLY
    suspended: bool = False
    #: still listed by getCompaniesList, but per-company calls no longer find it (deleted mid-run)
    ghost: bool = False
    created_at: str = "2023-03-14T09:12:00"
    country: str = "DE"
    #: productType -> {counter: seats}
    usage: dict[int, dict[str, int]] = field(default_factory=dict)


class SimState:
    """One partner account (the API key's company) and everything below it."""

    def __init__(self, seed: int = 7, root_name: str = "Northwind Cyber MSP") -> None:
        self.lock = threading.RLock()
        self._rng = random.Random(seed)
        self.companies: dict[str, SimCompany] = {}
        self.root_id = self._add(root_name, PARTNER, None).id
        #: API services the key may call
        self.enabled_apis = {"companies", "licensing", "network", "general"}

    # -- changes tests make ----------------------------------------------------------------------

    def add_partner(self, name: str, parent: str | None = None) -> str:
        with self.lock:
            return self._add(name, PARTNER, parent or self.root_id).id

    def add_customer(self, name: str, parent: str | None = None, *, suspended: bool = False,
                     trial: bool = False, **counts: int) -> str:
        """A customer using ``counts`` (Endpoint Security product type) this month."""
        with self.lock:
            company = self._add(name, CUSTOMER, parent or self.root_id)
            company.suspended = suspended
            company.license_type = TRIAL if trial else MONTHLY
            company.usage = {ENDPOINT_SECURITY: dict(counts)}
            return company.id

    def remove(self, company_id: str) -> None:
        """Delete a company as GravityZone does: it disappears; partners with children cannot be deleted."""
        with self.lock:
            if any(c.parent_id == company_id for c in self.companies.values()):
                raise ValueError("a partner with sub-companies cannot be deleted")
            del self.companies[company_id]

    def rename(self, company_id: str, name: str) -> None:
        with self.lock:
            self.companies[company_id].name = name

    def suspend(self, company_id: str, suspended: bool = True) -> None:
        with self.lock:
            self.companies[company_id].suspended = suspended

    def set_counts(self, company_id: str, product_type: int = ENDPOINT_SECURITY, **counts: int) -> None:
        """Replace one product type's counters of a customer."""
        with self.lock:
            self.companies[company_id].usage[product_type] = dict(counts)

    def ghost(self, company_id: str) -> None:
        """Keep listing the company but answer 'not found' for it, as for one deleted during a sync."""
        with self.lock:
            self.companies[company_id].ghost = True

    # -- reads the API makes ---------------------------------------------------------------------

    def customer_ids(self) -> list[str]:
        with self.lock:
            return [c.id for c in self.companies.values() if c.type == CUSTOMER]

    def children(self, parent_id: str, company_type: int | None, license_type: int | None) -> list[SimCompany]:
        with self.lock:
            return [c for c in self.companies.values() if c.parent_id == parent_id
                    and (company_type is None or c.type == company_type)
                    and (license_type is None or c.license_type == license_type)]

    def in_account(self, company_id: str) -> bool:
        """True when the company exists below (or is) the key's company."""
        with self.lock:
            company = self.companies.get(company_id)
            while company is not None:
                if company.id == self.root_id:
                    return True
                company = self.companies.get(company.parent_id or "")
            return False

    # -- seeding ---------------------------------------------------------------------------------

    def seed(self, customers: int) -> None:
        """About ``customers`` customers: most direct, the rest under resellers, one reseller nested."""
        rng = self._rng
        resellers = [self.add_partner(name) for name in _RESELLERS[:max(2, min(len(_RESELLERS), customers // 40))]]
        resellers.append(self.add_partner("Coastal Sub-Reseller", parent=resellers[0]))
        used: set[str] = set()
        for n in range(customers):
            parent = None if n % 5 < 3 else resellers[n % len(resellers)]
            company = self._add(self._unique_name(used), CUSTOMER, parent or self.root_id)
            company.created_at = f"20{rng.randint(19, 24)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T10:00:00"
            company.country = rng.choice(("DE", "FR", "GB", "NL", "RO", "SE", "US", "AT"))
            if n % 17 == 5:
                company.suspended = True
            if n % 11 == 3:
                company.license_type = TRIAL
            company.usage = self._seed_usage(company.license_type)

    def _seed_usage(self, license_type: int) -> dict[int, dict[str, int]]:
        if license_type == TRIAL:  # no monthly license: every counter is 0
            return {ENDPOINT_SECURITY: {}}
        rng = self._rng
        endpoints = rng.randint(3, 250)
        counts = {"endpointMonthlyUsage": endpoints, rng.choice(_BUNDLES): endpoints}
        for counter, share in (("patchManagementMonthlyUsage", 0.6), ("encryptionMonthlyUsage", 0.3),
                               ("edrMonthlyUsage", 0.25), ("emailSecurityMonthlyUsage", 0.3),
                               ("exchangeMonthlyUsage", 0.1), ("sveVdiMonthlyUsage", 0.05)):
            if rng.random() < share:
                counts[counter] = rng.randint(1, endpoints) if counter != "sveVdiMonthlyUsage" else rng.randint(50, 900)
        usage = {ENDPOINT_SECURITY: counts}
        if rng.random() < 0.2:
            usage[EDR_PRODUCT] = {"edrMonthlyUsage": rng.randint(1, 40)}
        return usage

    def _unique_name(self, used: set[str]) -> str:
        rng = self._rng
        for _ in range(20):
            name = f"{rng.choice(_NAMES)} {rng.choice(_SUFFIXES)}"
            if name not in used:
                break
        else:
            name = f"{rng.choice(_NAMES)} {len(used) + 1} {rng.choice(_SUFFIXES)}"
        used.add(name)
        return name

    def _add(self, name: str, company_type: int, parent_id: str | None) -> SimCompany:
        while True:
            company_id = f"{self._rng.getrandbits(96):024x}"
            if company_id not in self.companies:
                break
        company = SimCompany(company_id, name, company_type, parent_id)
        self.companies[company_id] = company
        return company
