"""Real hub syncs: the plugin through its entry point, the simulator on loopback, a real database."""

from __future__ import annotations

from decimal import Decimal

from hub.extensions import db
from hub.models import LicenseCount, MapStatus, VendorCustomer, VendorSku


def counts_by_id():
    rows = db.session.execute(
        db.select(VendorCustomer.external_id, VendorSku.sku, LicenseCount.quantity)
        .join(LicenseCount, LicenseCount.vendor_customer_id == VendorCustomer.id)
        .join(VendorSku, VendorSku.id == LicenseCount.sku_id))
    return {(eid, sku): Decimal(q) for eid, sku, q in rows}


def test_agents_follow_the_console_and_a_deleted_site_is_detached(hub_sync, hub_app, simulator):
    state = simulator.app.state
    with hub_app.app_context():
        assert hub_sync().status == "succeeded"
        paid = next(s for s in state.customer_sites() if s.site_type == "Paid" and not s.addons)
        sku = "sentinelone_" + paid.sku.lower()
        assert counts_by_id()[(paid.id, sku)] == paid.active_licenses
        ids = {c.external_id for c in db.session.execute(db.select(VendorCustomer)).scalars()}
        assert ids == {s.id for s in state.customer_sites()}  # no default, no deleted site

        gone = next(s for s in state.customer_sites() if s.id != paid.id)
        state.update(paid.id, active_licenses=paid.active_licenses + 3)
        state.delete_site(gone.id)
        assert hub_sync().status == "succeeded"
        db.session.expire_all()
        assert counts_by_id()[(paid.id, sku)] == paid.active_licenses
        row = db.session.execute(db.select(VendorCustomer).filter_by(external_id=gone.id)).scalar_one()
        assert row.map_status is MapStatus.DETACHED
