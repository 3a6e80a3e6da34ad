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
