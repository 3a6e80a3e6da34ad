"""The demo's vendor console over the simulated Acronis partner: what it shows and edits is what the
simulator's usage API then reports (the hub-wide check through the plugin: tests/plugins/test_vendor_consoles.py)."""

from __future__ import annotations

import pytest

from hub_acronis.simulator import make_app


@pytest.fixture
def app():
    return make_app(14, sleep=lambda s: None)


def usage_of(app, tenant_id: str) -> dict[str, int]:
    rows = app._usages(app.state.tenants[tenant_id])
    return {row["name"]: row["value"] for row in rows if row["measurement_unit"] == "quantity"}


def test_it_lists_the_live_customers_with_their_nonzero_workload_counts(app):
    console = app.console()
    listed = console.customers()
    assert sorted(c.key for c in listed) == sorted(t.id for t in app.state.customers())
    assert "Oldfield Dental (closed)" not in {c.name for c in listed}  # deleted at the vendor
    for customer in listed:
        assert set(customer.counts) <= set(console.counters) and all(n > 0 for n in customer.counts.values())
    assert console.counters["workstations"] == "Workstations"


def test_a_count_is_set_on_the_customers_own_edition(app):
    console = app.console()
    per_gigabyte = next(t for t in app.state.customers() if any(n.startswith("pg_base_") for n, _ in t.usage))
    console.set_count(per_gigabyte.id, "servers", 12)
    usage = usage_of(app, per_gigabyte.id)
    assert usage["pg_base_servers"] == 12 and "pw_base_servers" not in usage
    assert next(c for c in console.customers() if c.key == per_gigabyte.id).counts["servers"] == 12
    with pytest.raises(ValueError):
        console.set_count(per_gigabyte.id, "storage", 5)  # bytes are not a console count


def test_added_customers_start_with_workstations_and_deleted_ones_leave_every_listing(app):
    console = app.console()
    key = console.add_customer("Console Test Co", 7)
    added = next(c for c in console.customers() if c.key == key)
    assert added.name == "Console Test Co" and added.counts == {"workstations": 7}
    console.delete_customer(key)
    assert key not in {c.key for c in console.customers()} and key not in {t.id for t in app.state.customers()}
    assert app.state.tenants[key].deleted_at  # soft deletion, as Acronis does
    with pytest.raises(ValueError):
        console.delete_customer(key)
