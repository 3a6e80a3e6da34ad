"""The demo's vendor console over the simulated SentinelOne scope: a site's agents consuming a
license (``hub.plugins.simulator.VendorConsole``)."""

from __future__ import annotations

from hub.plugins.simulator import ConsoleCustomer

from .sim_state import SimState


class SentinelOneConsole:
    counters = {"active_licenses": "active agents"}

    def __init__(self, state: SimState) -> None:
        self.state = state

    def customers(self) -> list[ConsoleCustomer]:
        return sorted((ConsoleCustomer(s.id, s.name, {"active_licenses": s.active_licenses})
                       for s in self.state.customer_sites()), key=lambda c: c.name.lower())

    def set_count(self, key: str, counter: str, value: int) -> None:
        if counter not in self.counters:
            raise KeyError(counter)
        self.state.update(key, active_licenses=value, total_licenses=max(value, self.state.sites[key].total_licenses))

    def add_customer(self, name: str, count: int) -> str:
        account = next(iter(self.state.accounts))
        return self.state.add_site(name, account, active_licenses=count, total_licenses=count).id

    def delete_customer(self, key: str) -> None:
        self.state.delete_site(key)
