"""Credit notes: whole invoice or chosen lines, their own gapless numbers, immutable, exported and printed."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal as D

import pytest

from hub.billing import credit_notes, invoices, recurring, tax
from hub.billing.errors import BillingError
from hub.billing.invoicing import run_due_invoices
from hub.extensions import db
from hub.models import AuditEvent, CreditNote, CreditNoteLine, Invoice

from .conftest import ADMIN


@pytest.fixture
def issued(billed, contoso, make_product):
    """An issued invoice: 20 seats x 10.00 = 200.00 (+ GST 5 % = 10.00) and support 99.95 (not taxable)."""
    schedule, _ = billed
    support = make_product("SUPPORT", price="99.95", cost="0", taxable=False)
    recurring.add_line(schedule.id, ADMIN, kind="standard", product_id=support.id, quantity="1")
    tax.set_organization_tax(contoso.id, ADMIN, rate_ids=[tax.create_tax_rate("GST", "5", ADMIN).id])
    run_due_invoices(date(2024, 1, 31))
    return db.session.execute(db.select(Invoice)).scalar_one()


def test_credit_chosen_lines_then_the_rest(issued):
    seats, support = issued.lines
    first = credit_notes.create_credit_note(issued.id, ADMIN, "two seats were never used", line_ids=[seats.id],
                                            credit_date=date(2024, 2, 5))
    assert (first.number, first.subtotal, first.tax_total, first.total) == (1, D("200.00"), D("10.00"), D("210.00"))
    assert credit_notes.label(first.number) == "CN-000001"
    rest = credit_notes.create_credit_note(issued.id, ADMIN, "cancelled")  # whole: what is left
    assert (rest.number, [ln.invoice_line_id for ln in rest.lines], rest.total) == (2, [support.id], D("99.95"))
    with pytest.raises(BillingError) as info:  # nothing is credited twice
        credit_notes.create_credit_note(issued.id, ADMIN, "again")
    assert info.value.field == "line_ids"
    db.session.rollback()
    with pytest.raises(BillingError, match="credited already"):
        credit_notes.create_credit_note(issued.id, ADMIN, "again", line_ids=[seats.id])
    db.session.rollback()
    event = db.session.execute(db.select(AuditEvent).filter_by(action="credit_note.create")
                               .order_by(AuditEvent.id)).scalars().first()
    assert event.details["invoice_line_ids"] == [seats.id] and event.new_value == "210.00"
    with pytest.raises(BillingError, match="has credit notes"):  # voiding would hide the credits
        invoices.void_invoice(issued.id, ADMIN, "oops")


# which lines -> (subtotal, tax, total), by hand: seats 20 x 10.00 = 200.00 with GST 5 % = 10.00; support
# 99.95, not taxable; each line credited whole with the tax its invoice line carried
CREDIT_TABLE = [
    (["SEATS"], ("200.00", "10.00", "210.00")),
    (["SUPPORT"], ("99.95", "0.00", "99.95")),
    (["SEATS", "SUPPORT"], ("299.95", "10.00", "309.95")),
    (None, ("299.95", "10.00", "309.95")),  # none chosen: every line not credited yet
]


@pytest.mark.parametrize("codes, totals", CREDIT_TABLE, ids=["seats", "support", "both", "whole"])
def test_credit_note_totals(issued, codes, totals):
    ids = None if codes is None else [ln.id for ln in issued.lines if ln.product_code in codes]
    note = credit_notes.create_credit_note(issued.id, ADMIN, "table", line_ids=ids)
    assert (str(note.subtotal), str(note.tax_total), str(note.total)) == totals
    assert note.total == note.subtotal + note.tax_total == sum((ln.amount + ln.tax_amount for ln in note.lines), D(0))
    assert note.currency == issued.currency and note.number == 1  # the first of its own series


@pytest.mark.parametrize("kwargs, field", [
    ({"reason": ""}, "reason"),
    ({"reason": "x", "line_ids": []}, "line_ids"),
    ({"reason": "x", "line_ids": [99999]}, "line_ids"),
])
def test_bad_requests_name_the_field_and_change_nothing(issued, kwargs, field):
    with pytest.raises(BillingError) as info:
        credit_notes.create_credit_note(issued.id, ADMIN, **kwargs)
    assert info.value.field == field
    db.session.rollback()
    assert db.session.execute(db.select(CreditNote)).first() is None


def test_only_issued_invoices_are_credited(issued):
    invoices.void_invoice(issued.id, ADMIN, "wrong")
    with pytest.raises(BillingError, match="only an issued invoice"):
        credit_notes.create_credit_note(issued.id, ADMIN, "x")


def test_credit_notes_never_change(issued):
    note = credit_notes.create_credit_note(issued.id, ADMIN, "refund")
    note.reason = "edited"
    with pytest.raises(Exception, match="credit notes never change"):
        db.session.flush()
    db.session.rollback()
    line = db.session.execute(db.select(CreditNoteLine)).scalars().first()
    db.session.delete(line)
    with pytest.raises(Exception, match="credit notes never change"):
        db.session.flush()
    db.session.rollback()


def test_exported_and_printed(issued):
    note = credit_notes.create_credit_note(issued.id, ADMIN, "refund")
    rows = list(csv.DictReader(io.StringIO(credit_notes.credit_note_csv(note))))
    assert [(r["credit_note_number"], r["invoice_number"], r["amount"], r["tax_amount"]) for r in rows] == [
        ("CN-000001", "INV-000001", "200.00", "10.00"), ("CN-000001", "INV-000001", "99.95", "0.00")]
    data = credit_notes.credit_note_to_dict(note)
    assert (data["subtotal"], data["tax_total"], data["total"]) == ("299.95", "10.00", "309.95")
    html = credit_notes.render_credit_note_html(note)
    assert "Credit note CN-000001" in html and "Against invoice INV-000001" in html and "309.95" in html
