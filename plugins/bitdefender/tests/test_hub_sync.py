"""A real hub sync: the plugin loaded from its entry point, talking HTTP to its simulator on loopback.

The database, the sync engine and the plugin are the real ones; only GravityZone is simulated.
Time is the fake clock, shared by the session (its waits) and the simulator (its rate limits).
"""

from decimal import Decimal

import pytest

from hub import integrations
from hub.audit import Actor
from hub.extensions import db
from hub.models import (
    AuditEvent,
    LicenseCount,
    LicenseCountHistory,
    MapStatus,
    Organization,
    SyncRun,
    VendorCustomer,
    VendorSku,
)
from hub.sync import run_sync

SLUG = "bitdefender"


@pytest.fixture
def configured(hub_app, sim):
    with hub_app.app_context():
        integrations.configure(SLUG, dict(sim.config), Actor.cli("test"), enable=True, check_connection=False)
        yield sim


def sync(clock, **options) -> SyncRun:
    # One request in flight: on the fake clock a request reaches the simulator at the time the clock
    # shows, which equals its send time only when no other thread has moved the clock meanwhile.
    # (Concurrency against the limits is proven on the limiter itself, in test_rate_limits.py.)
    options = {"sleep": clock.sleep, "clock": clock.now, "max_concurrency": 1, **options}
    return run_sync(SLUG, session_options=options)


def customers() -> dict[str, VendorCustomer]:
    return {c.external_id: c for c in db.session.execute(db.select(VendorCustomer)).scalars()}


def counts() -> dict[tuple[str, str], Decimal]:
    rows = db.session.execute(db.select(VendorCustomer.external_id, VendorSku.sku, LicenseCount.quantity)
                              .join(LicenseCount, LicenseCount.vendor_customer_id == VendorCustomer.id)
                              .join(VendorSku, VendorSku.id == LicenseCount.sku_id))
    return {(r.external_id, r.sku): Decimal(r.quantity) for r in rows}


def snapshot() -> dict[str, list]:
    """Every row the hub's data is made of (not the run log): what a failed run must leave alone."""
    db.session.expire_all()
    tables = (VendorCustomer, VendorSku, LicenseCount, LicenseCountHistory, Organization, AuditEvent)
    return {model.__tablename__: sorted(tuple(str(v) for v in row) for row in
                                        db.session.execute(db.select(*model.__table__.columns)).all())
            for model in tables}


def expected_counts(app_state) -> dict[tuple[str, str], Decimal]:
    """What the simulator holds, summed across product types, misspelling folded, zeros left out."""
    table: dict[tuple[str, str], Decimal] = {}
    for cid in app_state.customer_ids():
        for per_product in app_state.companies[cid].usage.values():
            for sku, qty in per_product.items():
                if qty:
                    table[(cid, sku)] = table.get((cid, sku), Decimal(0)) + Decimal(qty)
    return table


def test_the_plugin_is_loaded_from_its_entry_point(hub_app):
    record = hub_app.extensions["hub.plugins"].get(SLUG)
    assert record is not None, hub_app.extensions["hub.plugins"].errors
    assert record.distribution == "hub-bitdefender"
    assert type(record.plugin).__name__ == "module" and record.plugin.__name__ == "hub_bitdefender.plugin"


def test_first_sync_lands_customers_statuses_and_counts(configured, clock):
    state = configured.app.state

    run = sync(clock)

    assert run.status == "succeeded", run.error_message
    held = customers()
    assert set(held) == set(state.customer_ids()) and run.customers_added == len(held)
    for cid, row in held.items():
        company = state.companies[cid]
        assert row.name == company.name
        expected = "suspended" if company.suspended else "trial" if company.license_type == 1 else "active"
        assert row.vendor_status == expected
    assert {c.vendor_status for c in held.values()} >= {"active", "suspended", "trial"}
    assert counts() == expected_counts(state)
    skus = {s.sku: s for s in db.session.execute(db.select(VendorSku)).scalars()}
    assert "aLaCarteMonhtlyUsage" not in skus
    assert skus["edrMonthlyUsage"].name == "EDR" and skus["emailSecurityMonthlyUsage"].unit == "mailbox"
    assert configured.app.limits.over_limit == 0  # never over GravityZone's limits


def test_a_second_sync_changes_nothing(configured, clock):
    sync(clock)
    before = snapshot()

    run = sync(clock)

    assert run.status == "succeeded", run.error_message
    assert (run.customers_added, run.customers_updated, run.customers_detached, run.counts_changed) == (0, 0, 0, 0)
    assert snapshot() == before


def test_changes_at_the_vendor_reach_the_hub_and_deleted_means_detached(configured, clock):
    state = configured.app.state
    sync(clock)
    deleted, renamed, suspended, recounted = state.customer_ids()[:4]
    state.remove(deleted)
    state.rename(renamed, "Fabrikam Holdings GmbH")
    state.suspend(suspended)
    state.set_counts(recounted, endpointMonthlyUsage=61, edrMonthlyUsage=5)
    added = state.add_customer("Kestrel Logistics AB", trial=True)

    run = sync(clock)

    assert run.status == "succeeded", run.error_message
    held = customers()
    assert held[deleted].map_status is MapStatus.DETACHED
    assert held[renamed].name == "Fabrikam Holdings GmbH"
    assert held[suspended].vendor_status == "suspended"
    assert held[added].vendor_status == "trial"
    now = counts()
    assert now[(recounted, "endpointMonthlyUsage")] == 61 and now[(recounted, "edrMonthlyUsage")] == 5
    assert run.customers_detached == 1 and run.customers_added == 1


def test_a_company_deleted_during_the_sync_keeps_its_last_counts(configured, clock):
    state = configured.app.state
    sync(clock)
    ghost = state.customer_ids()[0]
    before = {k: v for k, v in counts().items() if k[0] == ghost}
    state.ghost(ghost)
    other = state.customer_ids()[1]
    state.set_counts(other, endpointMonthlyUsage=7)

    run = sync(clock)

    assert run.status == "succeeded", run.error_message
    assert run.count_failures == 1
    held = customers()
    assert held[ghost].count_error and held[ghost].map_status is not MapStatus.DETACHED
    assert {k: v for k, v in counts().items() if k[0] == ghost} == before
    assert counts()[(other, "endpointMonthlyUsage")] == 7


@pytest.mark.parametrize("knob, value, kind, state", [
    ("auth", True, "auth_failed", "needs_reauth"),
    ("unavailable", 503, "unavailable", "retrying"),
    ("rate_limit_retry_after", 7, "unavailable", "retrying"),
    ("rate_limit_retry_after", 600, "unavailable", "retrying"),
    ("cut_listing", True, "bad_data", "error"),
    ("malformed", True, "bad_data", "error"),
])
def test_each_failure_leaves_the_hubs_data_unchanged(configured, clock, knob, value, kind, state):
    sim_state = configured.app.state
    sync(clock)
    sim_state.remove(sim_state.customer_ids()[0])  # what a successful run would now detach and change
    sim_state.set_counts(sim_state.customer_ids()[0], endpointMonthlyUsage=999)
    before = snapshot()
    setattr(configured.app.faults, knob, value)

    run = sync(clock)

    assert run.status == "failed" and run.error_kind == kind, run.error_message
    assert snapshot() == before
    integration = integrations.get_integration(SLUG)
    assert integration.state == state
    if knob == "rate_limit_retry_after":
        assert integration.retry_not_before is not None


def test_a_session_over_the_limits_is_refused_by_the_simulator(configured, clock):
    # the negative control: the simulator's limits are real, so the first test's zero means something
    run = sync(clock, requests_per_second=100, rate_limits={"licensing": 100, "companies": 100})

    assert configured.app.limits.over_limit > 0
    assert run.status in ("succeeded", "failed")


def break_at(sim_app, service: str, nth: int, **knobs):
    """Set fault knobs when the ``nth`` request to ``service`` arrives (so mid-run), and answer it broken."""
    answer = sim_app.handle
    seen = []

    def handle(request):
        if request.path.endswith(f"/jsonrpc/{service}"):
            seen.append(request.path)
            if len(seen) == nth:
                for knob, value in knobs.items():
                    setattr(sim_app.faults, knob, value)
        return answer(request)

    sim_app.handle = handle  # the instance attribute wins over the method __call__ looks up
    return seen


@pytest.mark.parametrize("knobs, kind", [
    ({"auth": True}, "auth_failed"),
    ({"unavailable": 502}, "unavailable"),
    ({"rate_limit_retry_after": 300}, "unavailable"),
])
def test_a_vendor_failing_in_the_middle_of_the_listing_changes_nothing(configured, clock, knobs, kind):
    sim_state = configured.app.state
    sync(clock)
    sim_state.remove(sim_state.customer_ids()[0])
    sim_state.set_counts(sim_state.customer_ids()[0], endpointMonthlyUsage=999)
    before = snapshot()
    # after the connection check and the tree walk, while customers are being read
    seen = break_at(configured.app, "licensing", 3, **knobs)

    run = sync(clock)

    assert run.status == "failed" and run.error_kind == kind, run.error_message
    assert len(seen) >= 3  # the fault struck while customers were being read
    assert snapshot() == before


def test_counts_come_from_reads_made_while_listing(configured, clock, hub_app):
    # why the conformance kit's "vendor breaks once counts are fetched" case does not apply here
    requests_seen = []
    monitor = hub_app.extensions["hub.plugins"].pm.add_hookcall_monitoring(
        lambda hook, impls, kwargs: requests_seen.append((hook, configured.app.requests)), lambda *a: None)
    try:
        run = sync(clock)
    finally:
        monitor()

    assert run.status == "succeeded"
    at_fetch = dict(requests_seen)["hub_fetch_license_counts"]
    assert configured.app.requests == at_fetch  # nothing asked of GravityZone after the listing


def test_a_new_api_key_keeps_customers_and_mappings(configured, clock):
    from hub import mapping

    sync(clock)
    first = next(iter(customers().values()))
    mapping.create_organization_from_customer(first.id, Actor.cli("test"))
    ids_before = {c.external_id: c.id for c in customers().values()}
    configured.app.api_key = "gz-rotated-0c1d2e3f4a5b6c7d"  # the old key now gets 401
    assert sync(clock).error_kind == "auth_failed"

    integrations.configure(SLUG, {"api_key": "gz-rotated-0c1d2e3f4a5b6c7d"}, Actor.cli("test"),
                           check_connection=False)
    run = sync(clock)

    assert run.status == "succeeded", run.error_message
    after = customers()
    assert {c.external_id: c.id for c in after.values()} == ids_before
    assert after[first.external_id].map_status is MapStatus.MAPPED
    assert integrations.get_integration(SLUG).state == "ready"
