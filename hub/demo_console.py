"""The demo's vendor console: change what a simulated vendor reports, as if at the vendor's own portal.

Demo mode only. A plugin's simulator may offer a console (``app.console()``, a
:class:`hub.plugins.simulator.VendorConsole` over its own thread-safe state), so a person can change a
customer's license count, add a customer or delete one, press Sync now and watch the hub react through
the real plugin, sync engine and billing code. Vendors whose simulator offers none are not listed.
"""

from __future__ import annotations

from typing import Any

from hub.plugins.simulator import ConsoleCustomer, VendorConsole

MAX_COUNT = 100_000
MAX_NAME = 100


class ConsoleError(ValueError):
    """Bad console input: ``errors`` maps each field to what is wrong with it, in plain words."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def console_for(simulator_app: Any) -> VendorConsole | None:
    """The console a simulator offers (``app.console()``), or None: the core knows no vendor by name."""
    offer = getattr(simulator_app, "console", None)
    return offer() if callable(offer) else None


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
