"""The demo's vendor console over the simulated Acronis partner: a customer's workload counts
(``hub.plugins.simulator.VendorConsole``).

A counter is a workload (``workstations``, ``servers``...), not an offering item: each customer is on
one edition (per workload or per gigabyte) and the console edits that edition's item, as the
Management Portal shows one "Workstations" figure whichever edition the customer has.
"""

from __future__ import annotations

from hub.plugins.simulator import ConsoleCustomer

from .sim_state import SimState, SimTenant
from .skus import WORKLOADS

#: the workloads counted in whole units (storage in bytes and features are left out)
COUNTED = ("workstations", "servers", "vms", "mobiles", "m365_seats", "gworkspace_seats", "websites")


class AcronisConsole:
    counters = {workload: WORKLOADS[workload][0] for workload in COUNTED}

    def __init__(self, state: SimState) -> None:
        self.state = state

    def customers(self) -> list[ConsoleCustomer]:
        with self.state.lock:
            found = [ConsoleCustomer(t.id, t.name, _counts(t)) for t in self.state.customers()]
        return sorted(found, key=lambda c: c.name.lower())

    def set_count(self, key: str, counter: str, value: int) -> None:
        if counter not in self.counters:
            raise ValueError(f"Acronis keeps no count called {counter!r}")
        with self.state.lock:
            tenant = self._live(key)
            self.state.set_usage(key, _edition_prefix(tenant) + counter, value)

    def add_customer(self, name: str, count: int) -> str:
        # a new customer starts on the per-workload edition with ``count`` workstations
        return self.state.add_customer(name, usage={"pw_base_" + COUNTED[0]: count}, edition="pck_per_workload")

    def delete_customer(self, key: str) -> None:
        with self.state.lock:
            self._live(key)
            self.state.delete(key)  # soft deletion, as Acronis does: it leaves every listing

    def _live(self, key: str) -> SimTenant:
        tenant = self.state.tenants.get(key)
        if tenant is None or tenant.kind != "customer" or not self.state.is_live(key):
            raise ValueError("That customer is no longer at Acronis.")
        return tenant


def _edition_prefix(tenant: SimTenant) -> str:
    """``pw_base_`` or ``pg_base_``: the edition of the items the customer has."""
    for name, _infra in tenant.usage:
        if name.startswith(("pw_base_", "pg_base_")):
            return name[:len("pw_base_")]
    return "pw_base_"


def _counts(tenant: SimTenant) -> dict[str, int]:
    prefix = _edition_prefix(tenant)
    # whole-unit items have no infra_id; zero counts are left out, as the vendor's usage view does
    return {workload: tenant.usage[(prefix + workload, None)] for workload in COUNTED
            if tenant.usage.get((prefix + workload, None))}
