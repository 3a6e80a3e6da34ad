"""A billing world for the billing pages' tests, built through the real services on top of ``mapped_world``.

Contoso (vendor customer c-1, 5 seats) has a monthly recurring invoice with a vendor line (SEATS,
following the fake vendor's "seats" SKU) and a standard line (SUPPORT, 1). One invoice is issued;
then the fake vendor drops c-1 to 2 seats and a sync holds that decrease (the integration's policy:
hold more than 1 seat). Fabrikam (c-2, 2 seats) is not mapped: unbilled licenses.
"""

from __future__ import annotations

from datetime import date

import pytest

from hub.audit import Actor
from hub.billing import catalog, recurring
from hub.billing.invoicing import run_due_invoices
from hub.extensions import db
from hub.models import QuantityChange, VendorIntegration, VendorSku
from hub.timeutil import utcnow
from tests.web.conftest import sync_fake

SETUP = Actor.cli("billing-pages-test")


def sku(code: str) -> VendorSku:
    return db.session.execute(db.select(VendorSku).filter_by(sku=code)).scalar_one()


def build_billing(fake_vendor, world: dict, today: date | None = None, customer_name: str = "Contoso Ltd") -> dict:
    """Create the billing objects; return the ids the routes take (``product_id``, ``recurring_id``...)."""
    today = today or utcnow().date()
    contoso = world["orgs"]["Contoso"]
    seats = catalog.create_product("SEATS", "Cloud seats", "10.00", SETUP, unit_cost="6.00")
    support = catalog.create_product("SUPPORT", "Managed support", "150.00", SETUP, unit_cost="90.00")
    catalog.map_sku(sku("seats").id, seats.id, SETUP)
    schedule = recurring.create_recurring_invoice(contoso.id, SETUP, next_run_date=today, memo="Thank you")
    vendor_line = recurring.add_line(schedule.id, SETUP, kind="vendor", product_id=seats.id,
                                     integration_id=fake_integration_id())
    recurring.add_line(schedule.id, SETUP, kind="standard", product_id=support.id, quantity="1")
    issued = run_due_invoices(today, SETUP, recurring_ids=[schedule.id]).issued
    assert len(issued) == 1
    integration = db.session.get(VendorIntegration, fake_integration_id())
    integration.hold_decrease_over_seats, integration.hold_decrease_over_pct = 1, None
    db.session.commit()
    fake_vendor.add("c-1", customer_name, seats=2)
    run = sync_fake()
    held = db.session.execute(db.select(QuantityChange).filter_by(line_id=vendor_line.id, status="pending")
                              ).scalar_one()
    return {"product_id": seats.id, "support_id": support.id, "recurring_id": schedule.id, "line_id": vendor_line.id,
            "invoice_id": issued[0], "sku_id": sku("seats").id, "change_id": held.id, "run_id": run.id,
            "customer_id": world["customers"]["c-1"].id}


def fake_integration_id() -> int:
    return db.session.execute(db.select(VendorIntegration.id).filter_by(slug="fake")).scalar_one()


@pytest.fixture
def billing_world(mapped_world, fake_vendor, users):
    ids = build_billing(fake_vendor, mapped_world)
    return {**mapped_world, **ids}
