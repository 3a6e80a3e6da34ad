"""Service input rules: bad input gets a clear error naming the field and changes nothing; changes are audited."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from hub.billing import catalog, recurring
from hub.billing.errors import BillingError
from hub.extensions import db
from hub.models import AuditEvent, Product, QuantityChange, RecurringInvoice, RecurringLine

from .conftest import ADMIN


def _audits(action):
    return list(db.session.execute(db.select(AuditEvent).filter_by(action=action)).scalars())


@pytest.mark.parametrize("kwargs, field", [
    (dict(code="", name="X", unit_price="1"), "code"),
    (dict(code="A" * 101, name="X", unit_price="1"), "code"),
    (dict(code="SEATS", name="X", unit_price="1"), "code"),  # taken
    (dict(code="seats", name="X", unit_price="1"), "code"),  # taken, whatever the case
    (dict(code="NEW", name=" ", unit_price="1"), "name"),
    (dict(code="NEW", name="X", unit_price="-1"), "unit_price"),
    (dict(code="NEW", name="X", unit_price="1.00001"), "unit_price"),
    (dict(code="NEW", name="X", unit_price=9.99), "unit_price"),
    (dict(code="NEW", name="X", unit_price="1", unit_cost="x"), "unit_cost"),
])
def test_product_input_errors(seats, kwargs, field):
    with pytest.raises(BillingError) as info:
        catalog.create_product(actor=ADMIN, **kwargs)
    assert info.value.field == field
    db.session.rollback()
    assert db.session.execute(db.select(db.func.count()).select_from(Product)).scalar() == 1


def test_product_update_is_audited_per_field(seats):
    catalog.update_product(seats.id, ADMIN, unit_price="12.50", taxable="false", name="Seats")
    changes = {(e.field, e.old_value, e.new_value) for e in _audits("product.update")}
    assert changes == {("unit_price", "10", "12.5"), ("taxable", "True", "False"), ("name", "Product SEATS", "Seats")}
    with pytest.raises(BillingError) as info:
        catalog.update_product(seats.id, ADMIN, colour="red")
    assert info.value.field == "colour"


@pytest.mark.parametrize("kwargs, field", [
    (dict(next_run_date="31/01/2024"), "next_run_date"),
    (dict(next_run_date="2024-01-31", frequency="weekly"), "frequency"),
    (dict(next_run_date="2024-01-31", period_mode="sometimes"), "period_mode"),
    (dict(next_run_date="2024-01-31", currency="dollars"), "currency"),
    (dict(next_run_date="2024-01-31", due_days="-3"), "due_days"),
])
def test_recurring_invoice_input_errors(contoso, kwargs, field):
    with pytest.raises(BillingError) as info:
        recurring.create_recurring_invoice(contoso.id, ADMIN, **kwargs)
    assert info.value.field == field
    db.session.rollback()
    assert db.session.execute(db.select(RecurringInvoice)).first() is None



def test_recurring_invoice_reports_every_bad_field_at_once(app_ctx):
    from hub.billing.validate import FieldErrors

    with pytest.raises(FieldErrors) as info:
        recurring.create_recurring_invoice(999, ADMIN, next_run_date="", currency="x" * 20_000, due_days="-3")
    assert list(info.value.errors) == ["organization_id", "next_run_date", "currency", "due_days"]
    assert info.value.field == "organization_id"  # one-error callers still get a field
    assert info.value.errors["next_run_date"] == "Next run date: enter a date like 2026-01-31"
    assert len(info.value.message) < 400  # the 20,000 characters are cut short
    db.session.rollback()
    assert db.session.execute(db.select(RecurringInvoice)).first() is None

def test_unknown_organization_is_named(app_ctx):
    with pytest.raises(BillingError) as info:
        recurring.create_recurring_invoice(999, ADMIN, next_run_date="2024-01-01")
    assert info.value.field == "organization_id"


def test_changing_the_run_date_moves_the_anchor(contoso):
    schedule = recurring.create_recurring_invoice(contoso.id, ADMIN, next_run_date="2024-01-31", currency="eur")
    assert (schedule.anchor_day, schedule.currency) == (31, "EUR")
    recurring.update_recurring_invoice(schedule.id, ADMIN, next_run_date=date(2024, 2, 15))
    assert db.session.get(RecurringInvoice, schedule.id).anchor_day == 15
    [event] = _audits("recurring.update")
    assert (event.field, event.old_value, event.new_value) == ("next_run_date", "2024-01-31", "2024-02-15")


@pytest.mark.parametrize("kwargs, field", [
    (dict(kind="vendor"), "integration_id"),                                # a vendor line needs its vendor
    (dict(kind="vendor", integration_id="{iid}", quantity="3"), "quantity"),  # and its quantity is counted
    (dict(kind="standard"), "quantity"),
    (dict(kind="standard", quantity="1", integration_id="{iid}"), "integration_id"),
    (dict(kind="standard", quantity="1", unit_price_override="5", markup_pct="10"), "markup_pct"),
    (dict(kind="standard", quantity="1", min_quantity="-1"), "min_quantity"),
    (dict(kind="standard", quantity="1", hold_decrease_over_seats="1.5"), "hold_decrease_over_seats"),
    (dict(kind="other", quantity="1"), "kind"),
    (dict(kind="standard", quantity="1", product_id=999), "product_id"),
    (dict(kind="vendor", integration_id=999), "integration_id"),
])
def test_line_input_errors(vendor, contoso, seats, kwargs, field):
    schedule = recurring.create_recurring_invoice(contoso.id, ADMIN, next_run_date="2024-01-31")
    kwargs = {k: (str(vendor.integration.id) if v == "{iid}" else v) for k, v in kwargs.items()}
    kwargs.setdefault("product_id", seats.id)
    with pytest.raises(BillingError) as info:
        recurring.add_line(schedule.id, ADMIN, **kwargs)
    assert info.value.field == field
    db.session.rollback()
    assert db.session.execute(db.select(RecurringLine)).first() is None


def test_line_edits_are_audited_and_a_vendor_line_quantity_cannot_be_typed(billed, make_product):
    _, line = billed
    recurring.update_line(line.id, ADMIN, min_quantity="25", markup_pct="20")
    fields = {(e.field, e.old_value, e.new_value) for e in _audits("recurring_line.update")}
    assert fields == {("min_quantity", None, "25"), ("markup_pct", None, "20")}
    with pytest.raises(BillingError) as info:
        recurring.update_line(line.id, ADMIN, quantity="99")
    assert info.value.field == "quantity"
    with pytest.raises(BillingError) as info:
        recurring.update_line(line.id, ADMIN, unit_price_override="5")  # markup already set
    assert info.value.field == "markup_pct"
    db.session.rollback()
    assert db.session.get(RecurringLine, line.id).unit_price_override is None


def test_changing_a_vendor_lines_product_recounts_at_once(billed, vendor, make_product):
    _, line = billed
    other = make_product("OTHER")
    recurring.update_line(line.id, ADMIN, product_id=other.id)  # no SKU maps to OTHER: 20 -> 0, not held
    assert db.session.get(RecurringLine, line.id).quantity == 0
    change = db.session.execute(db.select(QuantityChange).order_by(QuantityChange.id.desc())).scalars().first()
    assert (change.status, change.cause, change.new_quantity) == ("applied", "line_edit", D(0))


def test_removing_lines_and_schedules(contoso, seats):
    schedule = recurring.create_recurring_invoice(contoso.id, ADMIN, next_run_date="2024-01-31")
    line = recurring.add_line(schedule.id, ADMIN, kind="standard", product_id=seats.id, quantity="1")
    recurring.remove_line(line.id, ADMIN)  # never invoiced: deleted
    assert db.session.get(RecurringLine, line.id) is None
    line = recurring.add_line(schedule.id, ADMIN, kind="standard", product_id=seats.id, quantity="1")
    from hub.billing.invoicing import run_due_invoices

    run_due_invoices(date(2024, 1, 31))
    recurring.remove_line(line.id, ADMIN)  # invoiced: archived
    assert db.session.get(RecurringLine, line.id).archived_at is not None
    with pytest.raises(BillingError) as info:
        recurring.update_line(line.id, ADMIN, quantity="2")
    assert info.value.field == "line_id"
    with pytest.raises(BillingError) as info:
        recurring.delete_recurring_invoice(schedule.id, ADMIN)
    assert "deactivate" in str(info.value)
    empty = recurring.create_recurring_invoice(contoso.id, ADMIN, next_run_date="2024-01-31")
    recurring.add_line(empty.id, ADMIN, kind="standard", product_id=seats.id, quantity="1")
    recurring.delete_recurring_invoice(empty.id, ADMIN)
    assert db.session.get(RecurringInvoice, empty.id) is None
    assert db.session.execute(db.select(RecurringLine).filter_by(recurring_invoice_id=empty.id)).first() is None


def test_a_product_counts_one_unit(vendor, seats):
    """A SKU counting gigabytes mapped to a product whose SKUs count licenses would have its lines add the two
    (and bill gigabytes at a seat's price): refused, naming the field, and nothing changes."""
    vendor.fake.units["backup"] = "GB"
    vendor.fake.add("c1", "Contoso Ltd", seats=5, backup=100)
    vendor.sync()
    vendor.map_sku("seats", seats)
    with pytest.raises(BillingError) as mixed:
        vendor.map_sku("backup", seats)
    assert mixed.value.field == "product_id"
    assert "product SEATS counts license (SKU seats at fake); SKU backup counts GB" in str(mixed.value)
    db.session.rollback()
    assert vendor.sku("backup").product_id is None
    assert db.session.execute(db.select(AuditEvent).filter_by(action="sku.map", entity_id=str(
        vendor.sku("backup").id))).first() is None
    backup = catalog.create_product("BACKUP", "Backup", "0.05", ADMIN)
    vendor.map_sku("backup", backup)  # a product of its own unit
    assert vendor.sku("backup").product_id == backup.id
