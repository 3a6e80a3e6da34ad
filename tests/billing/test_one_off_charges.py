"""One-off charges: billed exactly once on the next invoice, editable until then, billed again once after
void-and-reissue, taxed and priced by the recurring invoice's rules, every change audited."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from hub.billing import invoices, one_off, recurring, tax
from hub.billing.errors import BillingError
from hub.billing.invoicing import reissue_invoice, run_due_invoices
from hub.extensions import db
from hub.models import AuditEvent, Invoice, InvoiceLine, OneOffCharge

from .conftest import ADMIN


def _lines(invoice_id):
    return db.session.execute(db.select(InvoiceLine).filter_by(invoice_id=invoice_id)
                              .order_by(InvoiceLine.position)).scalars().all()


def test_a_charge_is_billed_once_on_the_organizations_next_invoice(billed, contoso, make_product):
    schedule, _ = billed
    install = make_product("INSTALL", price="150.00", cost="90.00", taxable=True)
    tax.set_organization_tax(contoso.id, ADMIN, rate_ids=[tax.create_tax_rate("VAT", "10", ADMIN).id])
    charge = one_off.create_charge(contoso.id, ADMIN, description="On-site install", quantity="2",
                                   unit_price="75.125", product_id=install.id)
    assert (charge.currency, charge.taxable, charge.unit_cost, charge.pending) == ("USD", True, D("90.0000"), True)

    first = run_due_invoices(date(2024, 1, 31))
    invoice = db.session.get(Invoice, first.issued[0])
    lines = _lines(invoice.id)
    # 20 seats x 10.00 = 200.00 + 2 x 75.125 = 150.25 (half-up to cents); VAT 10 % per line: 20.00 + 15.03
    assert [(ln.kind, ln.amount, ln.tax_amount) for ln in lines] == [
        ("vendor", D("200.00"), D("20.00")), ("one_off", D("150.25"), D("15.03"))]
    assert lines[1].details["one_off_charge_id"] == charge.id and lines[1].unit_cost == D("90.0000")
    assert lines[0].unit_cost == D("6.0000")  # the product's cost at issue, kept for the margin view
    assert (invoice.subtotal, invoice.tax_total, invoice.total) == (D("350.25"), D("35.03"), D("385.28"))
    db.session.refresh(charge)
    assert (charge.invoice_id, charge.pending) == (invoice.id, False) and charge.billed_at is not None

    second = run_due_invoices(date(2024, 2, 29))  # the next period: the charge is not billed again
    assert [ln.kind for ln in _lines(second.issued[0])] == ["vendor"]


def test_the_preview_lists_the_charges_its_invoice_takes_and_the_invoice_bills_them(billed, contoso, make_product):
    from hub.billing.preview import preview_invoice

    schedule, _ = billed
    install = make_product("INSTALL", price="150.00", cost="90.00", taxable=True)
    tax.set_organization_tax(contoso.id, ADMIN, rate_ids=[tax.create_tax_rate("VAT", "10", ADMIN).id])
    later = recurring.create_recurring_invoice(contoso.id, ADMIN, next_run_date=date(2024, 3, 15), name="Later")
    unaimed = one_off.create_charge(contoso.id, ADMIN, description="On-site install", quantity="2",
                                    unit_price="75.125", product_id=install.id)
    aimed = one_off.create_charge(contoso.id, ADMIN, description="Setup", quantity="1", unit_price="40",
                                  recurring_invoice_id=later.id)

    preview = preview_invoice(schedule.id)
    charges = [(pl.line.description, pl.line.amount) for pl in preview.lines if pl.line.kind == "one_off"]
    assert charges == [("On-site install", D("150.25"))]  # the Organization's next invoice; not "Setup"
    assert (preview.subtotal, preview.tax_total) == (D("350.25"), D("35.03"))
    # the later schedule takes only its own charge: the unaimed one goes to the invoice that issues first
    assert [pl.line.description for pl in preview_invoice(later.id).lines] == ["Setup"]

    invoice = db.session.get(Invoice, run_due_invoices(date(2024, 1, 31)).issued[0])
    assert (invoice.subtotal, invoice.tax_total) == (preview.subtotal, preview.tax_total)
    assert [ln.details["one_off_charge_id"] for ln in _lines(invoice.id) if ln.kind == "one_off"] == [unaimed.id]
    assert [pl.line.kind for pl in preview_invoice(schedule.id).lines] == ["vendor"]  # billed: gone from the next
    assert aimed.pending


def test_a_charge_for_a_chosen_recurring_invoice_waits_for_it(billed, contoso, seats):
    schedule, _ = billed
    other = recurring.create_recurring_invoice(contoso.id, ADMIN, next_run_date=date(2024, 3, 15), name="Other")
    charge = one_off.create_charge(contoso.id, ADMIN, description="Setup", quantity="1", unit_price="40",
                                   recurring_invoice_id=other.id)
    run_due_invoices(date(2024, 1, 31))
    db.session.refresh(charge)
    assert charge.pending  # the January invoice belongs to the other schedule
    result = run_due_invoices(date(2024, 3, 15))  # the other one's first run: only the charge to bill
    made = [db.session.get(Invoice, i) for i in result.issued]
    on_other = [i for i in made if i.recurring_invoice_id == other.id]
    assert len(on_other) == 1 and [ln.description for ln in _lines(on_other[0].id)] == ["Setup"]
    db.session.refresh(charge)
    assert charge.invoice_id == on_other[0].id


def test_edit_and_delete_until_billed_each_audited(billed, contoso):
    charge = one_off.create_charge(contoso.id, ADMIN, description="Cables", quantity="3", unit_price="4.50",
                                   taxable=False)
    one_off.update_charge(charge.id, ADMIN, quantity="4", description="Cables (Cat6)")
    changes = {(e.field, e.old_value, e.new_value) for e in db.session.execute(
        db.select(AuditEvent).filter_by(action="one_off.update", entity_id=str(charge.id))).scalars()}
    assert changes == {("quantity", "3", "4"), ("description", "Cables", "Cables (Cat6)")}
    doomed = one_off.create_charge(contoso.id, ADMIN, description="Mistake", quantity="1", unit_price="1")
    one_off.delete_charge(doomed.id, ADMIN)
    assert db.session.get(OneOffCharge, doomed.id) is None
    assert db.session.execute(db.select(AuditEvent).filter_by(action="one_off.delete")).scalar_one().old_value == "1.00"

    run_due_invoices(date(2024, 1, 31))
    for attempt in (lambda: one_off.update_charge(charge.id, ADMIN, quantity="9"),
                    lambda: one_off.delete_charge(charge.id, ADMIN)):
        with pytest.raises(BillingError, match="can no longer change") as info:
            attempt()
        assert info.value.field == "charge_id"
        db.session.rollback()
    assert db.session.get(OneOffCharge, charge.id).quantity == D("4")


def test_void_and_reissue_bills_it_again_exactly_once(billed, contoso):
    charge = one_off.create_charge(contoso.id, ADMIN, description="Migration", quantity="1", unit_price="500")
    first = run_due_invoices(date(2024, 1, 31)).issued[0]
    invoices.void_invoice(first, ADMIN, "wrong seats")
    db.session.refresh(charge)
    assert charge.pending  # released by the void, audited
    assert db.session.execute(db.select(AuditEvent).filter_by(action="one_off.release")).scalar_one().old_value \
        == str(first)
    again = reissue_invoice(first, ADMIN, today=date(2024, 2, 2))
    assert [ln.description for ln in _lines(again) if ln.kind == "one_off"] == ["Migration"]
    db.session.refresh(charge)
    assert charge.invoice_id == again
    nxt = run_due_invoices(date(2024, 2, 29)).issued[0]  # never a third time
    assert [ln.kind for ln in _lines(nxt)] == ["vendor"]
    billed_on = db.session.execute(db.select(InvoiceLine.invoice_id).join(Invoice)
                                   .where(InvoiceLine.kind == "one_off", Invoice.status == "issued")).scalars().all()
    assert billed_on == [again]


def test_a_schedule_with_only_a_charge_issues_an_invoice(contoso, seats):
    schedule = recurring.create_recurring_invoice(contoso.id, ADMIN, next_run_date=date(2024, 5, 1))
    assert run_due_invoices(date(2024, 5, 1)).empty  # nothing to bill: no invoice
    one_off.create_charge(contoso.id, ADMIN, description="Consulting", quantity="2.5", unit_price="120")
    result = run_due_invoices(date(2024, 6, 1))
    invoice = db.session.get(Invoice, result.issued[0])
    assert (invoice.recurring_invoice_id, invoice.total) == (schedule.id, D("300.00"))


@pytest.mark.parametrize("kwargs, field", [
    ({"description": "", "quantity": "1", "unit_price": "1"}, "description"),
    ({"description": "x", "quantity": "0", "unit_price": "1"}, "quantity"),
    ({"description": "x", "quantity": "1.5", "unit_price": "abc"}, "unit_price"),
    ({"description": "x", "quantity": "1", "unit_price": "1", "currency": "EURO"}, "currency"),
    ({"description": "x", "quantity": "1", "unit_price": "1", "product_id": 99999}, "product_id"),
    ({"description": "x", "quantity": "1", "unit_price": "1", "recurring_invoice_id": 99999}, "recurring_invoice_id"),
])
def test_bad_input_names_the_field_and_changes_nothing(contoso, kwargs, field):
    with pytest.raises(BillingError) as info:
        one_off.create_charge(contoso.id, ADMIN, **kwargs)
    assert info.value.field == field or field in getattr(info.value, "errors", {})
    db.session.rollback()
    assert db.session.execute(db.select(OneOffCharge)).first() is None


def test_currency_rules_as_recurring_lines(billed, contoso, make_org, make_product):
    schedule, _ = billed
    euro = make_product("EURO-ITEM")
    euro.currency = "EUR"
    db.session.commit()
    with pytest.raises(BillingError, match="priced in EUR") as info:
        one_off.create_charge(contoso.id, ADMIN, description="x", quantity="1", unit_price="1", product_id=euro.id,
                              recurring_invoice_id=schedule.id)
    assert info.value.field == "product_id"
    db.session.rollback()
    with pytest.raises(BillingError, match="bills in USD") as info:
        one_off.create_charge(contoso.id, ADMIN, description="x", quantity="1", unit_price="1", currency="EUR",
                              recurring_invoice_id=schedule.id)
    assert info.value.field == "currency"
    db.session.rollback()
    fabrikam = make_org("Fabrikam")
    with pytest.raises(BillingError, match="another Organization") as info:
        one_off.create_charge(fabrikam.id, ADMIN, description="x", quantity="1", unit_price="1",
                              recurring_invoice_id=schedule.id)
    assert info.value.field == "recurring_invoice_id"
    db.session.rollback()
    # a EUR charge for the Organization waits for a EUR invoice: the USD run leaves it pending
    charge = one_off.create_charge(contoso.id, ADMIN, description="EU service", quantity="1", unit_price="9",
                                   currency="eur")
    run_due_invoices(date(2024, 1, 31))
    db.session.refresh(charge)
    assert charge.pending and charge.currency == "EUR"
