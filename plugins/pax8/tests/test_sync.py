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


def m365_subscriptions(state, company_id):
    return [s for s in state.subscriptions.values() if s.company_id == company_id and s.product_id == M365_BP]


def test_microsoft_365_seats_follow_pax8_and_a_deleted_company_is_detached(hub_sync, hub_app, simulator):
    state = simulator.app.state
    with hub_app.app_context():
        assert hub_sync().status == "succeeded"
        company = next(c for c in state.listed_companies() if len(m365_subscriptions(state, c.id)) == 2)
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


def count_row(company_id, product_id):
    return db.session.execute(
        db.select(LicenseCount).join(VendorCustomer, VendorCustomer.id == LicenseCount.vendor_customer_id)
        .join(VendorSku, VendorSku.id == LicenseCount.sku_id)
        .where(VendorCustomer.external_id == company_id, VendorSku.sku == product_id)).scalar_one()


def test_the_terms_are_kept_on_the_count_and_a_resync_without_change_writes_nothing(hub_sync, hub_app, simulator):
    from hub.models import AuditEvent, LicenseCountHistory

    state = simulator.app.state
    with hub_app.app_context():
        assert hub_sync().status == "succeeded"
        company = next(c for c in state.listed_companies()
                       if [s.status for s in m365_subscriptions(state, c.id)] == ["Active", "Active"])
        monthly, annual = sorted(m365_subscriptions(state, company.id), key=lambda s: s.billing_term, reverse=True)
        row = count_row(company.id, M365_BP)
        assert row.extra == {"terms": f"{monthly.quantity} Monthly + {annual.quantity} Annual (1-Year, ends 2027-01-01)"}
        written_by = row.sync_run_id

        audits = db.session.execute(db.select(db.func.count()).select_from(AuditEvent)).scalar_one()
        history = db.session.execute(db.select(db.func.count()).select_from(LicenseCountHistory)).scalar_one()
        again = hub_sync()
        db.session.expire_all()
        assert (again.status, again.counts_changed) == ("succeeded", 0)
        assert count_row(company.id, M365_BP).sync_run_id == written_by  # the row was not rewritten
        assert db.session.execute(db.select(db.func.count()).select_from(AuditEvent)).scalar_one() == audits
        assert db.session.execute(db.select(db.func.count()).select_from(LicenseCountHistory)).scalar_one() == history

        # the Monthly subscription moves to Annual: the count's terms follow, its quantity does not move
        state.update_subscription(monthly.id, billing_term="Annual", commitment="1-Year")
        changed = hub_sync()
        db.session.expire_all()
        row = count_row(company.id, M365_BP)
        assert (changed.status, changed.counts_changed) == ("succeeded", 0)  # no quantity changed
        assert row.sync_run_id != written_by
        assert row.extra == {"terms": f"{monthly.quantity + annual.quantity} Annual (1-Year, ends 2027-01-01)"}
        assert Decimal(row.quantity) == monthly.quantity + annual.quantity
