"""The demo's vendor console: change what a simulated vendor reports, as if at the vendor's own portal.

Demo mode only. Each adapter below wraps one simulator's ``app.state`` (its own thread-safe editing API),
so a person can change a customer's license count, add a customer or delete one, press Sync now and
watch the hub react through the real plugin, sync engine and billing code. Vendors whose simulator has
no adapter are not listed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Protocol

MAX_COUNT = 100_000
MAX_NAME = 100


class ConsoleError(ValueError):
    """Bad console input: ``errors`` maps each field to what is wrong with it, in plain words."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class ConsoleCustomer:
    key: str  # the simulator's own id for the customer
    name: str
    #: counter -> count, in the order the vendor shows them
    counts: dict[str, int]


class VendorConsole(Protocol):
    #: what one count measures at this vendor, for the labels
    counters: dict[str, str]

    def customers(self) -> list[ConsoleCustomer]: ...

    def set_count(self, key: str, counter: str, value: int) -> None: ...

    def add_customer(self, name: str, count: int) -> str: ...

    def delete_customer(self, key: str) -> None: ...


class BitdefenderConsole:
    """GravityZone: a company's monthly usage per product type and counter."""

    def __init__(self, state: Any) -> None:
        from hub_bitdefender import sim_state

        self.state, self.sim = state, sim_state
        self.counters = {f"{product_type}:{c}": f"{_words(c)} ({product})" for product_type, product in
                         ((sim_state.ENDPOINT_SECURITY, "Endpoint Security"), (sim_state.EDR_PRODUCT, "EDR"))
                         for c in sim_state.COUNTERS}

    def customers(self) -> list[ConsoleCustomer]:
        with self.state.lock:
            out = []
            for company in self.state.companies.values():
                if company.type != self.sim.CUSTOMER:
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


class ProofpointConsole:
    """Proofpoint Essentials: an organization's active users and user licenses."""

    counters = {"active_users": "active users", "user_licenses": "user licenses"}

    def __init__(self, state: Any) -> None:
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


#: simulator state class (module.name) -> its console
ADAPTERS = {"hub_bitdefender.sim_state.SimState": BitdefenderConsole,
            "hub_proofpoint.sim_state.SimState": ProofpointConsole}


def console_for(simulator_app: Any) -> VendorConsole | None:
    state = getattr(simulator_app, "state", None)
    adapter = ADAPTERS.get(f"{type(state).__module__}.{type(state).__qualname__}")
    return adapter(state) if adapter else None


def consoles(simulators: dict[str, Any]) -> dict[str, VendorConsole]:
    """integration slug -> its console, for the running simulators that have one."""
    found = {slug: console_for(served.app) for slug, served in sorted(simulators.items())}
    return {slug: console for slug, console in found.items() if console is not None}


# -- checked input (every problem at once, each under its field) -------------------------------------


def parse_count(raw: str | None, field: str = "count") -> int:
    text = (raw or "").strip()
    if not text.isdigit() or int(text) > MAX_COUNT:
        raise ConsoleError({field: f"Enter a whole number from 0 to {MAX_COUNT:,}."})
    return int(text)


def parse_new_customer(name: str | None, count: str | None) -> tuple[str, int]:
    errors: dict[str, str] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = "Enter the new customer's name."
    elif len(name) > MAX_NAME:
        errors["name"] = f"Use at most {MAX_NAME} characters (this name has {len(name):,})."
    value = 0
    try:
        value = parse_count(count)
    except ConsoleError as err:
        errors.update(err.errors)
    if errors:
        raise ConsoleError(errors)
    return name, value


def find_customer(console: VendorConsole, key: str) -> ConsoleCustomer:
    found = next((c for c in console.customers() if c.key == key), None)
    if found is None:
        raise ConsoleError({"customer": "That customer is no longer at the vendor (deleted already?)."})
    return found
