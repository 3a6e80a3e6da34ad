"""Helpers for sync tests: vendor states in, what a run stored out."""

from __future__ import annotations

from decimal import Decimal

from hub import integrations
from hub.extensions import db
from hub.models import AuditEvent, LicenseCount, VendorCustomer, VendorSku


def customer(name: str, status: str = "active", **counts) -> tuple[str, str, dict]:
    return name, status, counts


def set_vendor(vendor, state: dict[str, tuple[str, str, dict]]) -> None:
    """Make the fake vendor list exactly ``state``: ``{external_id: (name, status, {sku: qty})}``."""
    vendor.customers.clear()
    vendor.counts.clear()
    for external_id, (name, status, counts) in state.items():
        vendor.customers[external_id] = (name, status)
        vendor.counts[external_id] = dict(counts)


def customers_by_external_id(slug: str = "fake") -> dict[str, VendorCustomer]:
    integration = integrations.get_integration(slug)
    rows = db.session.execute(db.select(VendorCustomer).filter_by(integration_id=integration.id)).scalars()
    return {c.external_id: c for c in rows}


def stored_counts(slug: str = "fake") -> dict[tuple[str, str], Decimal]:
    integration = integrations.get_integration(slug)
    rows = db.session.execute(
        db.select(VendorCustomer.external_id, VendorSku.sku, LicenseCount.quantity)
        .join(LicenseCount, LicenseCount.vendor_customer_id == VendorCustomer.id)
        .join(VendorSku, VendorSku.id == LicenseCount.sku_id)
        .where(VendorCustomer.integration_id == integration.id))
    return {(e, s): Decimal(q) for e, s, q in rows}


def audits_of_run(run_id: int) -> list[AuditEvent]:
    return list(db.session.execute(
        db.select(AuditEvent).filter_by(sync_run_id=run_id).order_by(AuditEvent.id)).scalars())


def bill_through_vendor_line(external_id: str, sku: str, actor, next_run_date) -> None:
    """Map ``external_id`` to a new Organization, ``sku`` to a new product, and give the Organization a
    recurring invoice whose vendor line follows that count (the real services, committed)."""
    from hub import mapping
    from hub.billing import catalog, recurring

    customer = db.session.execute(db.select(VendorCustomer).filter_by(external_id=external_id)).scalar_one()
    org = mapping.create_organization(f"Org of {customer.name}", actor)
    mapping.map_customer(customer.id, org.id, actor)
    product = catalog.create_product(sku.upper(), sku.title(), "10.00", actor, unit_cost="6.00")
    sku_row = db.session.execute(db.select(VendorSku).filter_by(integration_id=customer.integration_id,
                                                                sku=sku)).scalar_one()
    catalog.map_sku(sku_row.id, product.id, actor)
    invoice = recurring.create_recurring_invoice(org.id, actor, next_run_date=next_run_date)
    recurring.add_line(invoice.id, actor, kind="vendor", product_id=product.id, integration_id=customer.integration_id)
    db.session.commit()
