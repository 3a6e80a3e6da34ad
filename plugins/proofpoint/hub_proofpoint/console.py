"""The demo's vendor console over the simulated Proofpoint Essentials partner: an organization's
active users and user licenses (``hub.plugins.simulator.VendorConsole``)."""

from __future__ import annotations

from hub.plugins.simulator import ConsoleCustomer

from .sim_state import SimState


class ProofpointConsole:
    counters = {"active_users": "active users", "user_licenses": "user licenses"}

    def __init__(self, state: SimState) -> None:
        self.state = state

    def customers(self) -> list[ConsoleCustomer]:
        return sorted((ConsoleCustomer(str(o.eid), o.name, {"active_users": o.active_users,
                                                             "user_licenses": o.user_licenses})
                       for o in self.state.customers()), key=lambda c: c.name.lower())

    def set_count(self, key: str, counter: str, value: int) -> None:
        self.state.set_counts(int(key), **{counter: value})

    def add_customer(self, name: str, count: int) -> str:
        return str(self.state.add_org(name, active_users=count, user_licenses=count).eid)

    def delete_customer(self, key: str) -> None:
        self.state.remove_org(int(key))
