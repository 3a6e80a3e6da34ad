"""Real hub syncs: the plugin loaded from its ``hub`` entry point, the simulator on loopback, a real database.

Expected counts are computed here from the simulator's raw data with the README's rules (features
skipped, storages summed, bytes to GB of 1024^3 rounded half-up to 2 decimals, seconds to hours),
not with the plugin's code.
"""

from __future__ import annotations

import logging
from decimal import ROUND_HALF_UP, Decimal

import pytest
import sqlalchemy as sa

from hub import integrations
from hub.audit import Actor
from hub.extensions import db
from hub.models import IntegrationState, LicenseCount, MapStatus, VendorCustomer, VendorSku
from hub.sync import run_sync
from hub_acronis.sim_state import CATALOG, SIM_CLIENT_SECRET

#: what a failed sync must leave exactly as it was (sync runs and the integration's state may change)
DATA_TABLES = ("organizations", "vendor_customers", "vendor_skus", "license_counts", "license_count_history",
               "audit_events")


def no_sleep(seconds: float) -> None:
    """Retry waits and rate-limit spacing cost no real time."""


def sync(**session_options):
    return run_sync("acronis", session_options={"sleep": no_sleep, **session_options})


def snapshot() -> dict:
    db.session.expire_all()
    tables = db.metadata.tables
    return {name: db.session.execute(sa.select(tables[name]).order_by(*tables[name].primary_key.columns)).all()
            for name in DATA_TABLES}


def customers_by_id() -> dict[str, VendorCustomer]:
    db.session.expire_all()
    return {c.external_id: c for c in db.session.execute(db.select(VendorCustomer)).scalars()}


def counts_by_id() -> dict[str, dict[str, Decimal]]:
    rows = db.session.execute(
        db.select(VendorCustomer.external_id, VendorSku.sku, LicenseCount.quantity)
        .join(LicenseCount, LicenseCount.vendor_customer_id == VendorCustomer.id)
        .join(VendorSku, VendorSku.id == LicenseCount.sku_id))
    counts: dict[str, dict[str, Decimal]] = {}
    for external_id, sku, quantity in rows:
        if quantity:
            counts.setdefault(external_id, {})[sku] = Decimal(quantity)
    return counts


def expected_counts(state) -> dict[str, dict[str, Decimal]]:
    expected: dict[str, dict[str, Decimal]] = {}
    for tenant in state.customers():
        raw: dict[str, int] = {}
        for (name, _infra), value in tenant.usage.items():
            if CATALOG[name].type != "feature":
                raw[name] = raw.get(name, 0) + value
        for name, total in raw.items():
            unit = CATALOG[name].measurement_unit
            if unit == "bytes":
                quantity = (Decimal(total) / Decimal(1073741824)).quantize(Decimal("0.01"), ROUND_HALF_UP)
            elif unit == "seconds":
                quantity = (Decimal(total) / 3600).quantize(Decimal("0.01"), ROUND_HALF_UP)
            else:
                quantity = Decimal(total)
            if quantity:
                expected.setdefault(tenant.id, {})[name] = quantity
    return expected


@pytest.fixture
def hub(hub_app, sim):
    with hub_app.app_context():
        integrations.configure("acronis", sim.config, Actor.cli("test"), enable=True, check_connection=False)
        yield hub_app


def test_the_plugin_comes_from_its_entry_point(hub):
    registry = hub.extensions["hub.plugins"]
    record = registry.get("acronis")
    assert record is not None, registry.errors
    assert (record.distribution, record.plugin.__name__) == ("hub-acronis", "hub_acronis.plugin")
    assert registry.hooks_of("acronis") == ["hub_demo_simulator", "hub_fetch_license_counts", "hub_list_customers",
                                            "hub_map_skus", "hub_test_connection", "hub_vendor_info"]


def test_first_sync_lands_customers_and_counts(hub, sim):
    run = sync()
    assert (run.status, run.error_message) == ("succeeded", None)
    live = sim.state.customers()
    stored = customers_by_id()
    assert {t.id: t.name for t in live} == {k: c.name for k, c in stored.items()}
    expected_status = {t.id: "suspended" if not t.enabled else "trial" if t.pricing_mode == "trial" else "active"
                       for t in live}
    assert {k: c.vendor_status for k, c in stored.items()} == expected_status
    assert {"suspended", "trial", "active"} == set(expected_status.values())
    assert any(c.extra.get("path") == "Harbor Reseller GmbH" for c in stored.values())
    assert counts_by_id() == expected_counts(sim.state)
    assert (run.customers_added, run.count_failures) == (len(live), 0)


def test_skus_are_named_from_the_table_and_unknown_ones_stay_unmapped(hub, sim):
    sim.state.set_usage(sim.state.customers()[0].id, "pw_pack_adv_security_edr", 4)
    sync()
    skus = {s.sku: s for s in db.session.execute(db.select(VendorSku)).scalars()}
    assert skus["pw_base_workstations"].name == "Workstations (per workload)"
    assert (skus["pw_base_storage"].unit, skus["local_storage"].billable) == ("GB", False)
    edr = skus["pw_pack_adv_security_edr"]
    assert (edr.name, edr.suggested_product_code) == ("pw_pack_adv_security_edr", None)  # unmapped
    assert not any(s.endswith(("dr_base", "m365_mailboxes")) for s in skus)  # features are never counted


def test_a_second_sync_changes_nothing(hub, sim):
    sync()
    before = snapshot()
    run = sync()
    assert (run.status, run.customers_updated, run.counts_changed) == ("succeeded", 0, 0)
    assert snapshot() == before


def test_changes_at_acronis_reach_the_hub(hub, sim):
    sync()
    state = sim.state
    renamed, suspended, deleted, grown = (t.id for t in state.customers()[:4])
    state.rename(renamed, "Contoso Holdings Ltd")
    state.set_enabled(suspended, False)
    state.delete(deleted)
    state.set_usage(grown, "pw_base_workstations", 77)
    added = state.add_customer("Fresh Start Bakery", state.add_folder("New this month"),
                               usage={"pw_base_servers": 2})
    run = sync()
    assert run.status == "succeeded"
    assert (run.customers_added, run.customers_detached) == (1, 1)
    stored = customers_by_id()
    assert stored[renamed].name == "Contoso Holdings Ltd"
    assert stored[suspended].vendor_status == "suspended"
    assert stored[deleted].map_status is MapStatus.DETACHED
    assert stored[added].extra["path"] == "New this month"
    assert counts_by_id()[grown]["pw_base_workstations"] == 77
    assert counts_by_id()[added] == {"pw_base_servers": 2}

    state.restore(deleted)
    sync()
    assert customers_by_id()[deleted].map_status is MapStatus.NOT_MAPPED


def test_a_customer_whose_usage_fails_keeps_its_last_counts(hub, sim):
    sync()
    first, second = (t.id for t in sim.state.customers()[:2])
    last = counts_by_id()[first]
    sim.state.set_usage(first, "pw_base_workstations", 999)
    sim.state.set_usage(second, "pw_base_workstations", 555)
    sim.state.usage_errors[first] = 404  # Acronis says "tenant not found" whenever a batch holds it
    run = sync()
    assert (run.status, run.count_failures) == ("succeeded", 1)
    assert counts_by_id()[first] == last
    assert counts_by_id()[second]["pw_base_workstations"] == 555
    assert "Usage is not available" in customers_by_id()[first].count_error


def test_rotating_the_client_secret_keeps_customers_and_mappings(hub, sim):
    from hub import mapping

    sync()
    customer = customers_by_id()[sim.state.customers()[0].id]
    mapping.create_organization_from_customer(customer.id, Actor.cli("test"))
    client_id = next(iter(sim.state.clients))
    sim.state.clients[client_id] = "rotated-secret-2b7e"
    assert sync().error_kind == "auth_failed"  # the old secret no longer works
    integrations.configure("acronis", {"client_secret": "rotated-secret-2b7e"}, Actor.cli("test"),
                           check_connection=False)
    run = sync()
    assert (run.status, run.customers_added, run.customers_detached) == ("succeeded", 0, 0)
    again = customers_by_id()[customer.external_id]
    assert (again.id, again.map_status) == (customer.id, MapStatus.MAPPED)


def break_auth(sim):
    sim.faults.auth = True


def break_availability(sim):
    sim.faults.unavailable = 503


def rate_limit(sim):
    sim.faults.rate_limit_retry_after = 7


def slow_down(sim):
    sim.faults.latency = 0.3


def malform(sim):
    sim.faults.malformed = True


def cut_listing(sim):
    sim.faults.cut_listing = True


def expire_tokens_and_refuse(sim):
    """Credentials revoked while a token was cached elsewhere: the fresh token is refused too."""
    sim.state.expire_tokens()
    sim.state.clients[next(iter(sim.state.clients))] = "rotated-" + SIM_CLIENT_SECRET


@pytest.mark.parametrize(("fault", "kind", "state"), [
    (break_auth, "auth_failed", IntegrationState.NEEDS_REAUTH),
    (expire_tokens_and_refuse, "auth_failed", IntegrationState.NEEDS_REAUTH),
    (break_availability, "unavailable", IntegrationState.RETRYING),
    (rate_limit, "unavailable", IntegrationState.RETRYING),
    (slow_down, "unavailable", IntegrationState.RETRYING),
    (malform, "bad_data", IntegrationState.ERROR),
    (cut_listing, "unavailable", IntegrationState.RETRYING),
])
def test_a_failing_sync_changes_no_data(hub, sim, fault, kind, state, caplog):
    sync()
    # the account changes at Acronis, so a sync that applied anything would show
    victim, grown = (t.id for t in sim.state.customers()[:2])
    sim.state.delete(victim)
    sim.state.set_usage(grown, "pw_base_workstations", 500)
    sim.state.add_customer("Never Seen Ltd")
    before = snapshot()
    fault(sim)
    with caplog.at_level(logging.DEBUG):
        run = sync(timeout=0.05)  # a timeout well under the simulator's added latency
    assert (run.status, run.error_kind) == ("failed", kind), run.error_message
    assert snapshot() == before
    integration = integrations.get_integration("acronis")
    assert integration.state == state.value
    assert SIM_CLIENT_SECRET not in caplog.text and SIM_CLIENT_SECRET not in (run.error_message or "")


def test_a_rate_limited_run_records_when_to_come_back(hub, sim):
    sim.faults.rate_limit_retry_after = 7
    run = sync()
    integration = integrations.get_integration("acronis")
    assert run.error_kind == "unavailable"
    assert integration.retry_not_before is not None
    assert (integration.retry_not_before - run.finished_at).total_seconds() == pytest.approx(7, abs=1)
