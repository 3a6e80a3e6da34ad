"""Billing fixtures: a catalog, Organizations, and the fake vendor synced and mapped through the real services."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from hub import mapping
from hub.audit import Actor
from hub.billing import catalog, recurring
from hub.extensions import db
from hub.models import LicenseCountHistory, VendorCustomer, VendorSku
from hub.sync import run_sync

ADMIN = Actor.cli("billing-test")


@pytest.fixture
def actor():
    return ADMIN


@pytest.fixture
def make_org(app_ctx):
    def make(name: str):
        return mapping.create_organization(name, ADMIN)
    return make


@pytest.fixture
def make_product(app_ctx):
    def make(code: str, price: str = "10.00", cost: str = "6.00", taxable: bool = True):
        return catalog.create_product(code, f"Product {code}", price, ADMIN, unit_cost=cost, taxable=taxable)
    return make


class Vendor:
    """The fake vendor plus helpers that go through the hub's real sync and mapping services."""

    def __init__(self, fake_vendor, integration):
        self.fake = fake_vendor
        self.integration = integration

    def sync(self):
        run = run_sync("fake")
        assert run.status == "succeeded", run.error_message
        return run

    def customer(self, external_id: str) -> VendorCustomer:
        return db.session.execute(db.select(VendorCustomer).filter_by(
            integration_id=self.integration.id, external_id=external_id)).scalar_one()

    def sku(self, code: str) -> VendorSku:
        return db.session.execute(db.select(VendorSku).filter_by(
            integration_id=self.integration.id, sku=code)).scalar_one()

    def map(self, external_id: str, organization) -> None:
        mapping.map_customer(self.customer(external_id).id, organization.id, ADMIN)

    def unmap(self, external_id: str) -> None:
        mapping.unmap_customer(self.customer(external_id).id, ADMIN)

    def map_sku(self, code: str, product) -> None:
        catalog.map_sku(self.sku(code).id, product.id, ADMIN)

    def policy(self, seats, pct) -> None:
        self.integration.hold_decrease_over_seats = seats
        self.integration.hold_decrease_over_pct = None if pct is None else Decimal(pct)
        db.session.commit()


@pytest.fixture
def vendor(fake_integration, fake_vendor):
    return Vendor(fake_vendor, fake_integration)


@pytest.fixture
def contoso(make_org):
    return make_org("Contoso")


@pytest.fixture
def seats(make_product):
    return make_product("SEATS", price="10.00", cost="6.00")


@pytest.fixture
def billed(vendor, contoso, seats):
    """Contoso (vendor customer c1, 20 seats) mapped, SKU mapped, and a monthly invoice with a vendor line."""
    vendor.fake.add("c1", "Contoso Ltd", seats=20)
    vendor.sync()
    vendor.map("c1", contoso)
    vendor.map_sku("seats", seats)
    # the tests live in 2024: the hub has known these counts since before their first run (catch-up and
    # reissued invoices bill their issue day's counts from this history)
    db.session.execute(db.update(LicenseCountHistory).values(recorded_at=datetime(2023, 12, 1, 9)))
    db.session.commit()
    invoice = recurring.create_recurring_invoice(contoso.id, ADMIN, next_run_date=date(2024, 1, 31))
    line = recurring.add_line(invoice.id, ADMIN, kind="vendor", product_id=seats.id,
                              integration_id=vendor.integration.id)
    return invoice, line
