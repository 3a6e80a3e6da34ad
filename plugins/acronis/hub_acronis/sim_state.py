"""The simulated data center's data: a tenant tree with usages, and the knobs tests turn.

Shapes follow the Account Management API v2 (see the plugin README): tenants with ``kind``
``root|partner|folder|customer|unit``, soft deletion through ``deleted_at``, usages per offering item.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

SIM_CLIENT_ID = "3f0e5c1a-6b7d-4e2f-9a10-5c4d3b2a1f00"
SIM_CLIENT_SECRET = "sim-acronis-secret-7d2f9b41c6"
BACKUP_APP_ID = "6e6d758d-8e74-3ae3-ac84-50eb0dff12eb"
#: two backup locations: Acronis-hosted and a partner-owned storage
INFRA_HOSTED = "e72104a3-c013-4e18-bb71-7bce1dcdcaf2"
INFRA_PARTNER = "9b080ec7-b032-453f-aeb8-444867b24520"
GIB = 1024 ** 3


@dataclass(frozen=True)
class OfferingItem:
    name: str
    edition: str | None
    usage_name: str
    type: str
    measurement_unit: str
    infra_id: str | None = None


def _edition_items(prefix: str, edition: str) -> list[OfferingItem]:
    counts = ["workstations", "servers", "vms", "mobiles", "m365_seats", "gworkspace_seats", "websites"]
    items = [OfferingItem(prefix + n, edition, n.replace("m365_seats", "mailboxes"), "count", "quantity")
             for n in counts]
    items.append(OfferingItem(prefix + "storage", edition, "storage", "infra", "bytes", INFRA_HOSTED))
    items.append(OfferingItem(prefix + "dr_base", edition, "dr_base", "feature", "n/a"))
    items.append(OfferingItem(prefix + "m365_mailboxes", edition, "o365_mailboxes", "feature", "n/a"))
    return items


EDITIONS = {"pck_per_workload": _edition_items("pw_base_", "pck_per_workload"),
            "pck_per_gigabyte": _edition_items("pg_base_", "pck_per_gigabyte")}
EXTRA_ITEMS = [
    OfferingItem("local_storage", None, "local_storage", "count", "bytes"),
    OfferingItem("pw_pack_adv_security", "pck_per_workload", "pack_adv_security", "count", "quantity"),
    OfferingItem("pw_pack_adv_backup_servers", "pck_per_workload", "pack_adv_backup_servers", "count", "quantity"),
    OfferingItem("pw_base_adv_dr_compute_points", "pck_per_workload", "compute_points", "infra", "seconds",
                 "2d67488d-f8b5-4733-a531-e2878ed0b887"),
    # a pack the plugin's SKU table does not know (not seeded; tests add it to see it unmapped)
    OfferingItem("pw_pack_adv_security_edr", "pck_per_workload", "pack_adv_security_edr", "count", "quantity"),
]
CATALOG = {item.name: item for items in EDITIONS.values() for item in items} | {i.name: i for i in EXTRA_ITEMS}

COMPANIES = [
    "Contoso Ltd", "Fabrikam GmbH", "Northwind Traders", "Adventure Works Cycles", "Tailspin Toys",
    "Wingtip Toys", "Litware Inc", "Proseware Inc", "Woodgrove Bank", "Fourth Coffee", "Alpine Ski House",
    "Coho Winery", "Lucerne Publishing", "Margie's Travel", "Trey Research", "Wide World Importers",
    "Blue Yonder Airlines", "Graphic Design Institute", "Humongous Insurance", "Consolidated Messenger",
    "A. Datum Corporation", "Southridge Video", "City Power & Light", "School of Fine Art", "VanArsdel Ltd",
    "Relecloud", "Munson's Pickles and Preserves", "Bellows College", "Best For You Organics", "Nod Publishers",
    "Parnell Aerospace", "Lamna Healthcare", "Hexa Dental Clinics", "Brightline Logistics", "Kestrel Legal LLP",
    "Orchard Valley Farms", "Meridian Architects", "Bluewater Marine", "Stonegate Property", "Redwood Accounting",
]
CITIES = ["Berlin", "Leeds", "Lyon", "Porto", "Graz", "Utrecht", "Boston", "Austin", "Denver", "Oslo"]


@dataclass
class SimTenant:
    id: str
    parent_id: str | None
    name: str
    kind: str
    v1_id: int
    created_at: str
    enabled: bool = True
    pricing_mode: str = "production"
    customer_id: str | None = None
    deleted_at: str | None = None
    version: int = 1
    updated_at: str = ""
    #: (offering item name, infra_id) -> current value
    usage: dict[tuple[str, str | None], int] = field(default_factory=dict)


class SimState:
    """Everything the simulator knows. Tests change it between syncs; every method takes the lock."""

    def __init__(self, *, page_size: int = 50, clock: Callable[[], float] = time.time, seed: int = 1) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self.page_size = page_size
        #: seconds a token lives (the documented 2 hours)
        self.token_lifetime = 7200
        #: tenants per /tenants/usages call the simulator accepts (the plugin sends at most 100)
        self.max_usage_batch = 100
        #: tenant id -> HTTP status its /tenants/usages batches answer (a tenant the API chokes on)
        self.usage_errors: dict[str, int] = {}
        self.tenants: dict[str, SimTenant] = {}
        self.tokens: dict[str, float] = {}
        self.clients = {SIM_CLIENT_ID: SIM_CLIENT_SECRET}
        #: every request: (method, path, {query params}) for tests to inspect
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        #: time.monotonic() at which each of ``requests`` arrived (benchmarks check the request rate)
        self.request_times: list[float] = []
        self._rng = random.Random(seed)
        self._next_v1 = 1363500
        self.root_id = self._add("Acronis Cloud", "root", None).id
        self.partner_id = self._add("Northbridge IT Services", "partner", self.root_id).id
        self.client_tenant = {SIM_CLIENT_ID: self.partner_id}

    # -- building the tree ---------------------------------------------------------------------

    def _add(self, name: str, kind: str, parent_id: str | None, **kw) -> SimTenant:
        tenant_id = str(uuid.UUID(int=self._rng.getrandbits(128), version=4))
        self._next_v1 += 1
        stamp = self.now_iso()
        tenant = SimTenant(tenant_id, parent_id, name, kind, self._next_v1, stamp, updated_at=stamp, **kw)
        self.tenants[tenant_id] = tenant
        return tenant

    def add_folder(self, name: str, parent_id: str | None = None) -> str:
        with self.lock:
            return self._add(name, "folder", parent_id or self.partner_id).id

    def add_partner(self, name: str, parent_id: str | None = None) -> str:
        with self.lock:
            return self._add(name, "partner", parent_id or self.partner_id).id

    def add_customer(self, name: str, parent_id: str | None = None, *, enabled: bool = True,
                     pricing_mode: str = "production", usage: dict[str, int] | None = None,
                     edition: str = "pck_per_workload") -> str:
        """A customer with every offering item of ``edition`` enabled; ``usage`` sets values by name."""
        with self.lock:
            tenant = self._add(name, "customer", parent_id or self.partner_id, enabled=enabled,
                               pricing_mode=pricing_mode)
            for item in EDITIONS[edition] + [CATALOG["local_storage"]]:
                tenant.usage[(item.name, item.infra_id)] = 0
            for name_, value in (usage or {}).items():
                self.set_usage(tenant.id, name_, value)
            return tenant.id

    def add_unit(self, name: str, customer_id: str) -> str:
        with self.lock:
            return self._add(name, "unit", customer_id).id

    # -- changes tests make ----------------------------------------------------------------------

    def _touch(self, tenant_id: str) -> SimTenant:
        tenant = self.tenants[tenant_id]
        tenant.version += 1
        tenant.updated_at = self.now_iso()
        return tenant

    def rename(self, tenant_id: str, name: str) -> None:
        with self.lock:
            self._touch(tenant_id).name = name

    def set_enabled(self, tenant_id: str, enabled: bool) -> None:
        with self.lock:
            self._touch(tenant_id).enabled = enabled

    def set_pricing_mode(self, tenant_id: str, mode: str) -> None:
        with self.lock:
            self._touch(tenant_id).pricing_mode = mode

    def delete(self, tenant_id: str) -> None:
        """Soft delete, as Acronis does: the tenant keeps its data but leaves every listing."""
        with self.lock:
            self._touch(tenant_id).deleted_at = self.now_iso()

    def restore(self, tenant_id: str) -> None:
        with self.lock:
            self._touch(tenant_id).deleted_at = None

    def set_usage(self, tenant_id: str, name: str, value: int, infra_id: str | None = None) -> None:
        with self.lock:
            item = CATALOG.get(name)
            infra = infra_id or (item.infra_id if item else None)
            self.tenants[tenant_id].usage[(name, infra)] = int(value)

    def expire_tokens(self) -> None:
        """Every issued token stops working (the next call with one answers 401)."""
        with self.lock:
            self.tokens.clear()

    # -- reading -----------------------------------------------------------------------------------

    def now_iso(self) -> str:
        return datetime.fromtimestamp(self.clock(), timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")

    def is_live(self, tenant_id: str) -> bool:
        """Exists and neither it nor an ancestor is deleted."""
        tenant = self.tenants.get(tenant_id)
        while tenant is not None:
            if tenant.deleted_at:
                return False
            tenant = self.tenants.get(tenant.parent_id) if tenant.parent_id else None
        return tenant_id in self.tenants

    def within(self, tenant_id: str, ancestor_id: str) -> bool:
        tenant = self.tenants.get(tenant_id)
        while tenant is not None:
            if tenant.id == ancestor_id:
                return True
            tenant = self.tenants.get(tenant.parent_id) if tenant.parent_id else None
        return False

    def customers(self) -> list[SimTenant]:
        """Live customers under the partner, as the plugin should list them."""
        with self.lock:
            return [t for t in self.tenants.values()
                    if t.kind == "customer" and self.is_live(t.id) and self.within(t.id, self.partner_id)]

    def usage_requests(self) -> list[list[str]]:
        """The tenant ids of every /tenants/usages call so far."""
        return [q.get("tenants", "").split(",") for m, p, q in self.requests if p == "/api/2/tenants/usages"]


def seed(state: SimState, customers: int) -> SimState:
    """A partner with folders and a sub-partner, ``customers`` live customers, a few suspended, in
    trial or deleted, several SKUs with varied counts. Deterministic for a given state seed."""
    rng = state._rng
    managed = state.add_folder("Managed clients")
    legacy = state.add_folder("Legacy backup")
    reseller = state.add_partner("Harbor Reseller GmbH")
    for i in range(customers):
        parent = {2: managed, 4: reseller}.get(i % 6, legacy if i % 10 == 7 else None)
        edition = "pck_per_gigabyte" if i % 7 == 6 else "pck_per_workload"
        prefix = "pg_base_" if edition == "pck_per_gigabyte" else "pw_base_"
        usage = {prefix + "workstations": rng.randint(0, 60), prefix + "servers": rng.randint(0, 8),
                 prefix + "vms": rng.choice([0, 0, rng.randint(1, 25)]),
                 prefix + "m365_seats": rng.choice([0, rng.randint(5, 120)]),
                 prefix + "storage": rng.randint(0, 2048) * GIB + rng.randint(0, GIB - 1),
                 "local_storage": rng.randint(0, 500) * GIB}
        tenant_id = state.add_customer(_company(i), parent, enabled=i % 9 != 5,
                                       pricing_mode="trial" if i % 8 == 3 else "production",
                                       usage=usage, edition=edition)
        if i % 4 == 1 and edition == "pck_per_workload":
            state.set_usage(tenant_id, "pw_pack_adv_security", rng.randint(1, 40))
        if i % 11 == 10:
            state.set_usage(tenant_id, prefix + "storage", rng.randint(1, 300) * GIB, INFRA_PARTNER)
        if i % 13 == 12 and edition == "pck_per_workload":
            state.set_usage(tenant_id, "pw_base_adv_dr_compute_points", rng.randint(1, 200) * 900)
        if i % 5 == 0:
            state.add_unit("Head office", tenant_id)
    for name in ("Oldfield Dental (closed)", "Sunset Motors (closed)"):
        state.delete(state.add_customer(name, usage={"pw_base_workstations": 3}))
    return state


def _company(i: int) -> str:
    base = COMPANIES[i % len(COMPANIES)]
    rounds = i // len(COMPANIES)
    if rounds == 0:
        return base
    city = CITIES[(rounds - 1) % len(CITIES)]
    lap = (rounds - 1) // len(CITIES) + 1
    return f"{base} {city}" if lap == 1 else f"{base} {city} {lap}"
