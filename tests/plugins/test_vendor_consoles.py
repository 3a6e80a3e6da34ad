"""Every installed vendor plugin whose simulator offers the demo's vendor console: what the console
changes is what the plugin then reads from the simulator, through the real plugin code over HTTP."""

from __future__ import annotations

from decimal import Decimal
from importlib.metadata import entry_points

import pytest

from hub.plugin_host import PluginRegistry
from hub.plugins import LicenseCount
from hub.testing import serve

VENDORS = sorted(ep.name for ep in entry_points(group="hub") if hasattr(ep.load(), "hub_vendor_info"))


def read(handle, config) -> tuple[dict[str, str], dict[str, set[Decimal]]]:
    """(customer id -> name, customer id -> the quantities counted) as the plugin reads them now."""
    with handle.make_session(config, sleep=lambda seconds: None) as session:
        listed = list(handle.list_customers(config, session))
        counts = list(handle.fetch_license_counts(config, session, listed))
    quantities: dict[str, set[Decimal]] = {}
    for count in counts:
        if isinstance(count, LicenseCount):
            quantities.setdefault(count.customer_external_id, set()).add(count.quantity)
    return {c.external_id: c.name for c in listed}, quantities


@pytest.mark.parametrize("slug", VENDORS)
def test_a_console_change_is_what_the_plugin_reads(slug):
    registry = PluginRegistry()
    registry.load_entry_points()
    handle = registry.handle(slug)
    demo = handle.demo_simulator()
    app = demo.make_app(5) if demo else None
    console = app.console() if app is not None and callable(getattr(app, "console", None)) else None
    if console is None:
        pytest.skip(f"{slug}'s simulator offers no vendor console")
    with serve(app, name=f"{slug}-console") as served:
        config = handle.load_config(demo.config_for(served.base_url))
        key = console.add_customer("Console Test Co", 7)
        names, _ = read(handle, config)
        added = [external_id for external_id, name in names.items() if name.startswith("Console Test Co")]
        assert len(added) == 1, f"the new customer is not listed once: {names}"
        counted = next(c for c in console.customers() if c.key == key).counts
        counter = next(c for c, n in counted.items() if n == 7)  # added with 7 of its first product
        console.set_count(key, counter, 9)
        assert Decimal(9) in read(handle, config)[1].get(added[0], set())
        console.delete_customer(key)
        assert added[0] not in read(handle, config)[0]
