"""Real hub syncs: the plugin found through its entry point, the simulator on loopback, a real database.

The hub app, its database and the served simulator come from the hub's test kit fixtures
(``hub_harness``, ``hub_app``, ``simulator``), as they would for a third-party plugin.

Every failure is checked the same way: after a good first sync the simulated account changes (so a
sync that applied anything would show), the vendor then misbehaves, and the hub's tables must be
exactly as they were.
"""

from decimal import Decimal

from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from hub import integrations, mapping
from hub.audit import Actor
from hub.extensions import db
from hub.models import IntegrationState, LicenseCount, MapStatus, VendorCustomer, VendorSku
from hub.sync import run_sync
from hub.testing import SuiteConfig

#: the hub's data: what a failed sync must leave untouched (runs and integration state may change)
DATA_TABLES = ("organizations", "vendor_customers", "vendor_skus", "license_counts", "license_count_history",
               "audit_events")


def no_sleep(seconds):
    """Retries and rate-limit spacing cost no real time in tests."""


def sync():
    return run_sync("proofpoint", session_options={"sleep": no_sleep})


def snapshot():
    db.session.expire_all()
    tables = db.metadata.tables
    return {name: db.session.execute(sa.select(tables[name]).order_by(*tables[name].primary_key.columns)).all()
            for name in DATA_TABLES}


def customers_by_eid():
    rows = db.session.execute(db.select(VendorCustomer)).scalars()
    return {row.external_id: row for row in rows}


def counts_by_eid():
    rows = db.session.execute(
        db.select(VendorCustomer.external_id, VendorSku.sku, LicenseCount.quantity)
        .join(LicenseCount, LicenseCount.vendor_customer_id == VendorCustomer.id)
        .join(VendorSku, VendorSku.id == LicenseCount.sku_id))
    counts = {}
    for eid, sku, quantity in rows:
        if quantity:
            counts.setdefault(eid, {})[sku] = Decimal(quantity)
    return counts


def expected_counts(state, source="active_users", bill_trials=False):
    counts = {}
    for org in state.customers():
        package = org.licensing_package + ("_plus" if org.is_beginner_plus else "")
        sku = "proofpoint_essentials_" + package + ("_trial" if org.is_on_trial and not bill_trials else "")
        if getattr(org, source):
            counts[str(org.eid)] = {sku: Decimal(getattr(org, source))}
    return counts


@pytest.fixture
def hub_suite_config():
    return SuiteConfig(customers=12)


@pytest.fixture
def sim(simulator):
    """The served simulator with its account (``state``) and fault knobs at hand."""
    return SimpleNamespace(app=simulator.app, state=simulator.app.state, faults=simulator.faults,
                           base_url=simulator.base_url)


@pytest.fixture
def hub(hub_harness, hub_app, simulator):
    with hub_app.app_context():
        integrations.configure("proofpoint", hub_harness.raw_config(simulator), Actor.cli("test"), enable=True,
                               check_connection=False)
        yield hub_app
        db.session.remove()


def test_the_plugin_comes_from_its_entry_point(hub):
    record = hub.extensions["hub.plugins"].get("proofpoint")
    assert record is not None and record.distribution == "hub-proofpoint"
    assert record.plugin.__name__ == "hub_proofpoint.plugin"


def test_first_sync_lands_customers_and_counts(hub, sim):
    run = sync()
    assert run.status == "succeeded", run.error_message
    customers = customers_by_eid()
    assert {eid: (c.name, c.vendor_status) for eid, c in customers.items()} == {
        str(o.eid): (o.name, "suspended" if not o.is_active else "trial" if o.is_on_trial else "active")
        for o in sim.state.customers()}
    assert counts_by_eid() == expected_counts(sim.state)
    assert run.customers_added == len(sim.state.customers()) == 12
    # one /me, one partner org, the partner's listing and the sub-partner's: counts need no more calls
    assert sorted(sim.app.calls) == sorted([
        "GET /api/v1/me", "GET /api/v1/orgs/northwind-msp.example", "GET /api/v1/orgs/northwind-msp.example/orgs",
        "GET /api/v1/orgs/summit-it.example/orgs"])
    skus = {s.sku: s.billable for s in db.session.execute(db.select(VendorSku)).scalars()}
    assert any(sku.endswith("_trial") for sku in skus)
    assert all(billable == (not sku.endswith("_trial")) for sku, billable in skus.items())


def test_a_second_sync_changes_nothing(hub):
    assert sync().status == "succeeded"
    before = snapshot()
    run = sync()
    assert run.status == "succeeded" and run.counts_changed == 0 and run.customers_updated == 0
    assert snapshot() == before


def test_vendor_changes_flow_into_the_hub(hub, sim):
    assert sync().status == "succeeded"
    orgs = [o for o in sim.state.customers() if o.is_active and not o.is_on_trial]
    gone, renamed, grown, suspended = orgs[0], orgs[1], orgs[2], orgs[3]
    sim.state.remove_org(gone.primary_domain)
    sim.state.rename_org(renamed.eid, "Renamed Holdings")
    sim.state.set_counts(grown.eid, active_users=grown.active_users + 5)
    sim.state.update(suspended.eid, is_active=False)
    new = sim.state.add_org("Brand New Ltd", licensing_package="advanced", active_users=9, user_licenses=10)

    run = sync()
    assert run.status == "succeeded", run.error_message
    customers = customers_by_eid()
    assert customers[str(gone.eid)].map_status is MapStatus.DETACHED
    assert customers[str(renamed.eid)].name == "Renamed Holdings"
    assert customers[str(suspended.eid)].vendor_status == "suspended"
    assert customers[str(new.eid)].map_status is MapStatus.NOT_MAPPED
    assert {eid: c for eid, c in counts_by_eid().items() if eid != str(gone.eid)} == expected_counts(sim.state)
    assert (run.customers_added, run.customers_detached) == (1, 1)


def test_quantity_source_user_licenses_keeps_customers_and_mappings(hub, sim):
    assert sync().status == "succeeded"
    customer = customers_by_eid()[str(sim.state.customers()[0].eid)]
    mapping.create_organization_from_customer(customer.id, Actor.cli("test"))
    ids_before = {eid: c.id for eid, c in customers_by_eid().items()}
    integrations.configure("proofpoint", {"quantity_source": "user_licenses", "bill_trials": True},
                           Actor.cli("test"), check_connection=False)
    assert sync().status == "succeeded"
    assert counts_by_eid() == expected_counts(sim.state, "user_licenses", bill_trials=True)
    after = customers_by_eid()
    assert {eid: c.id for eid, c in after.items()} == ids_before
    assert after[customer.external_id].map_status is MapStatus.MAPPED


def _break_auth(sim):
    sim.faults.auth = True


def _break_unavailable(sim):
    sim.faults.unavailable = 503


def _break_rate_limit(sim):
    sim.faults.rate_limit_retry_after = 30


def _break_cut(sim):
    sim.faults.cut_listing = True


def _break_malformed(sim):
    sim.faults.malformed = True


def _break_partner_domain(sim):
    integrations.configure("proofpoint", {"partner_domain": "unknown-msp.example"}, Actor.cli("test"),
                           check_connection=False)


@pytest.mark.parametrize(("breaks", "kind", "state"), [
    (_break_auth, "auth_failed", IntegrationState.NEEDS_REAUTH),
    (_break_unavailable, "unavailable", IntegrationState.RETRYING),
    (_break_rate_limit, "unavailable", IntegrationState.RETRYING),
    (_break_cut, "bad_data", IntegrationState.ERROR),
    (_break_malformed, "bad_data", IntegrationState.ERROR),
    (_break_partner_domain, "bad_config", IntegrationState.ERROR),
], ids=["auth", "unavailable", "rate_limit", "cut_listing", "malformed", "partner_domain"])
def test_a_failed_sync_changes_no_data(hub, sim, breaks, kind, state):
    assert sync().status == "succeeded"
    # changes a wrongly applied sync would write: a deletion, a count, a name
    customers = [o for o in sim.state.customers() if o.is_active]
    sim.state.remove_org(customers[0].primary_domain)
    sim.state.set_counts(customers[1].eid, active_users=customers[1].active_users + 7)
    sim.state.rename_org(customers[2].eid, "Should Not Land")
    breaks(sim)
    before = snapshot()

    run = sync()
    assert (run.status, run.error_kind) == ("failed", kind), run.error_message
    assert snapshot() == before
    integration = integrations.get_integration("proofpoint")
    assert integration.state == state.value
    assert sim.state.password not in (run.error_message or "")
    if breaks is _break_rate_limit:
        assert (integration.retry_not_before - run.finished_at).total_seconds() == pytest.approx(30, abs=1)
    if breaks is _break_partner_domain:
        assert "unknown-msp.example" in run.error_message

    # once the vendor behaves again, the changes land
    sim.faults.reset()
    if breaks is _break_partner_domain:
        integrations.configure("proofpoint", {"partner_domain": sim.state.partner_domain}, Actor.cli("test"),
                               check_connection=False)
    assert sync().status == "succeeded"
    assert customers_by_eid()[str(customers[0].eid)].map_status is MapStatus.DETACHED
    assert customers_by_eid()[str(customers[2].eid)].name == "Should Not Land"
