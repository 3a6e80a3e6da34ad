"""A recurring invoice bills in one currency and takes only products priced in it."""

from __future__ import annotations

from datetime import date

import pytest

from hub.billing import catalog, recurring
from hub.billing.errors import BillingError
from hub.extensions import db
from hub.models import Product, RecurringLine

from .conftest import ADMIN


def test_only_products_priced_in_the_invoices_currency(contoso, make_product):
    usd = make_product("SEATS", price="10.00")
    eur = catalog.create_product("SEATS-EU", "Seats (EUR)", "9.00", ADMIN, currency="eur")
    assert eur.currency == "EUR"
    schedule = recurring.create_recurring_invoice(contoso.id, ADMIN, next_run_date=date(2024, 1, 1))
    lines_before = db.session.execute(db.select(db.func.count(RecurringLine.id))).scalar_one()
    with pytest.raises(BillingError) as info:
        recurring.add_line(schedule.id, ADMIN, kind="standard", product_id=eur.id, quantity="1")
    assert info.value.field == "product_id"
    assert "SEATS-EU is priced in EUR; this recurring invoice bills in USD" in info.value.message
    db.session.rollback()
    assert db.session.execute(db.select(db.func.count(RecurringLine.id))).scalar_one() == lines_before
    line = recurring.add_line(schedule.id, ADMIN, kind="standard", product_id=usd.id, quantity="1")
    with pytest.raises(BillingError, match="SEATS-EU is priced in EUR"):  # nor by changing a line's product
        recurring.update_line(line.id, ADMIN, product_id=eur.id)
    db.session.rollback()
    with pytest.raises(BillingError) as info:  # nor by changing the invoice's currency under its lines
        recurring.update_recurring_invoice(schedule.id, ADMIN, currency="EUR")
    assert info.value.field == "currency" and "SEATS" in info.value.message
    db.session.rollback()
    with pytest.raises(BillingError) as info:  # nor by repricing a product a USD invoice bills
        catalog.update_product(usd.id, ADMIN, currency="EUR")
    assert info.value.field == "currency" and "billed in USD" in info.value.message
    db.session.rollback()
    assert db.session.get(Product, usd.id).currency == "USD"
    euro_schedule = recurring.create_recurring_invoice(contoso.id, ADMIN, next_run_date=date(2024, 1, 1),
                                                      currency="EUR")
    recurring.add_line(euro_schedule.id, ADMIN, kind="standard", product_id=eur.id, quantity="2")
    with pytest.raises(BillingError) as info:
        catalog.create_product("BAD", "Bad", "1", ADMIN, currency="euro")
    assert info.value.field == "currency"
