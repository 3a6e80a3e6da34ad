"""Real hub syncs: the plugin through its entry point, the simulator on loopback, a real database."""

from __future__ import annotations

from decimal import Decimal

from hub.extensions import db
from hub.models import LicenseCount, MapStatus, VendorCustomer, VendorSku
from hub_pax8.sim_state import PRODUCTS

M365_BP = PRODUCTS[0][0]


def counts_by_id():
    rows = db.session.execute(
        db.select(VendorCustomer.external_id, VendorSku.sku, LicenseCount.quantity)
        .join(LicenseCount, LicenseCount.vendor_customer_id == VendorCustomer.id)
        .join(VendorSku, VendorSku.id == LicenseCount.sku_id))
    return {(eid, sku): Decimal(q) for eid, sku, q in rows}


def billed(state, company_id, product_id):
    return sum(s.quantity for s in state.subscriptions.values()
               if s.company_id == company_id and s.product_id == product_id
               and s.status in ("Active", "PendingCancel", "Activated"))


def test_microsoft_365_seats_follow_pax8_and_a_deleted_company_is_detached(hub_sync, hub_app, simulator):
    state = simulator.app.state
    with hub_app.app_context():
        assert hub_sync().status == "succeeded"
        company = next(c for c in state.listed_companies()
                       if sum(1 for s in state.subscriptions.values()
                              if s.company_id == c.id and s.product_id == M365_BP) == 2)
        assert counts_by_id()[(company.id, M365_BP)] == billed(state, company.id, M365_BP)
        sku = db.session.execute(db.select(VendorSku).filter_by(sku=M365_BP)).scalar_one()
        assert sku.name == "Microsoft 365 Business Premium (Microsoft)"

        sub = next(s for s in state.subscriptions.values() if s.company_id == company.id)
        state.update_subscription(sub.id, quantity=sub.quantity + 4)
        gone = next(c for c in state.listed_companies() if c.id != company.id)
        state.delete_company(gone.id)
        simulator.app.expire_tokens()  # the next run must re-authenticate on its own
        assert hub_sync().status == "succeeded"
        db.session.expire_all()
        assert counts_by_id()[(company.id, M365_BP)] == billed(state, company.id, M365_BP)
        row = db.session.execute(db.select(VendorCustomer).filter_by(external_id=gone.id)).scalar_one()
        assert row.map_status is MapStatus.DETACHED
