"""The demo's vendor console over the simulated portal export: a customer's count per SKU
(``hub.plugins.simulator.VendorConsole``)."""

from __future__ import annotations

from hub.plugins.simulator import ConsoleCustomer


class ExportConsole:
    def __init__(self, state, skus: tuple[tuple[str, str], ...]) -> None:
        self.state = state
        self.counters = {sku: f"{sku} ({unit}s)" for sku, unit in skus}

    def customers(self) -> list[ConsoleCustomer]:
        with self.state.lock:
            return sorted((ConsoleCustomer(c.id, c.name, dict(c.counts)) for c in self.state.customers.values()),
                          key=lambda c: c.name.lower())

    def set_count(self, key: str, counter: str, value: int) -> None:
        if counter not in self.counters:
            raise KeyError(counter)
        self.state.set_count(key, counter, value)

    def add_customer(self, name: str, count: int) -> str:
        with self.state.lock:
            key = f"DT-{20000 + len(self.state.customers)}"
            while key in self.state.customers:
                key += "x"
            self.state.add_customer(key, name, **{next(iter(self.counters)): count})
        return key

    def delete_customer(self, key: str) -> None:
        self.state.remove_customer(key)
