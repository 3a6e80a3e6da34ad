"""The demo's vendor console over the simulated GravityZone account: a company's monthly usage per
product type and counter (``hub.plugins.simulator.VendorConsole``)."""

from __future__ import annotations

import re

from hub.plugins.simulator import ConsoleCustomer

from . import sim_state


class BitdefenderConsole:
    def __init__(self, state: sim_state.SimState) -> None:
        self.state = state
        self.counters = {f"{product_type}:{c}": f"{_words(c)} ({product})" for product_type, product in
                         ((sim_state.ENDPOINT_SECURITY, "Endpoint Security"), (sim_state.EDR_PRODUCT, "EDR"))
                         for c in sim_state.COUNTERS}

    def customers(self) -> list[ConsoleCustomer]:
        with self.state.lock:
            out = []
            for company in self.state.companies.values():
                if company.type != sim_state.CUSTOMER:
                    continue
                counts = {f"{pt}:{c}": int(n) for pt, usage in sorted(company.usage.items())
                          for c, n in usage.items() if n}
                out.append(ConsoleCustomer(company.id, company.name, counts))
        return sorted(out, key=lambda c: c.name.lower())

    def set_count(self, key: str, counter: str, value: int) -> None:
        product_type, name = counter.split(":", 1)
        with self.state.lock:
            company = self.state.companies[key]
            usage = dict(company.usage.get(int(product_type), {}))
            usage[name] = value
            self.state.set_counts(key, int(product_type), **usage)

    def add_customer(self, name: str, count: int) -> str:
        return self.state.add_customer(name, endpointMonthlyUsage=count)

    def delete_customer(self, key: str) -> None:
        self.state.remove(key)


def _words(counter: str) -> str:
    """"mspSecurePlusMonthlyUsage" -> "MSP Secure Plus seats": a label, not the API's field name."""
    words = re.sub(r"(?<!^)(?=[A-Z])", " ", re.sub(r"(Monthly)?Usage$", "", counter)).split()
    words = ["MSP" if w == "msp" else "EDR" if w == "edr" else w for w in words]
    return " ".join(words)[:1].upper() + " ".join(words)[1:] + " seats"
