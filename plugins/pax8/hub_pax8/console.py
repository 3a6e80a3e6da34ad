"""The demo's vendor console over the simulated Pax8 account: a company's seats per product, across
its billable subscriptions (``hub.plugins.simulator.VendorConsole``)."""

from __future__ import annotations

from decimal import Decimal

from hub.plugins.simulator import ConsoleCustomer

from .sim_state import PRODUCTS, SimState

#: what the console shows and changes: the seats of a company's Active subscriptions to each product
BILLABLE = ("Active", "PendingCancel", "Activated")


class Pax8Console:
    def __init__(self, state: SimState) -> None:
        self.state = state
        self.counters = {product_id: name for product_id, name, _vendor, _sku in PRODUCTS}

    def customers(self) -> list[ConsoleCustomer]:
        with self.state.lock:
            seats: dict[str, dict[str, int]] = {}
            for sub in self.state.subscriptions.values():
                if sub.status in BILLABLE:
                    by_product = seats.setdefault(sub.company_id, {})
                    by_product[sub.product_id] = by_product.get(sub.product_id, 0) + int(sub.quantity)
            return sorted((ConsoleCustomer(c.id, c.name, seats.get(c.id, {})) for c in self.state.listed_companies()),
                          key=lambda c: c.name.lower())

    def set_count(self, key: str, counter: str, value: int) -> None:
        """The first Active subscription to the product takes the change (a new one if there is none)."""
        if counter not in self.counters:
            raise KeyError(counter)
        with self.state.lock:
            subs = [s for s in self.state.subscriptions.values()
                    if s.company_id == key and s.product_id == counter and s.status in BILLABLE]
            others = sum(int(s.quantity) for s in subs[1:])
            if subs:
                self.state.update_subscription(subs[0].id, quantity=Decimal(max(value - others, 0)))
            elif value:
                self.state.subscribe(key, counter, value)

    def add_customer(self, name: str, count: int) -> str:
        company = self.state.add_company(name)
        self.state.subscribe(company.id, PRODUCTS[0][0], count)
        return company.id

    def delete_customer(self, key: str) -> None:
        self.state.delete_company(key)
