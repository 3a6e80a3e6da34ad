"""The demo's vendor console over the simulated Huntress account: an organization's agents, billable
identities and SAT learners (``hub.plugins.simulator.VendorConsole``)."""

from __future__ import annotations

from hub.plugins.simulator import ConsoleCustomer

from .sim_state import SimState


class HuntressConsole:
    counters = {"agents_count": "EDR agents", "billable_identity_count": "ITDR billable identities",
                "sat_learner_count": "SAT learners"}

    def __init__(self, state: SimState) -> None:
        self.state = state

    def customers(self) -> list[ConsoleCustomer]:
        return sorted((ConsoleCustomer(str(o.id), o.name, {c: getattr(o, c) for c in self.counters})
                       for o in self.state.listing()), key=lambda c: c.name.lower())

    def set_count(self, key: str, counter: str, value: int) -> None:
        if counter not in self.counters:
            raise KeyError(counter)
        self.state.update(int(key), **{counter: value})

    def add_customer(self, name: str, count: int) -> str:
        return str(self.state.add_org(name, agents_count=count).id)

    def delete_customer(self, key: str) -> None:
        self.state.remove_org(int(key))
