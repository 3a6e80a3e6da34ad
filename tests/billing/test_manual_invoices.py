"""Manual invoices: issued at once outside any schedule, in the same gapless series, taxed and priced by
the same rules, immutable, and announced by the same signal (e-mail, accounting pushes, webhooks)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from hub import events
from hub.billing import manual_invoices, one_off, tax
from hub.billing.errors import BillingError
from hub.billing.invoicing import run_due_invoices
from hub.delivery import contacts
from hub.extensions import db
from hub.models import AuditEvent, Invoice, InvoiceDelivery, InvoiceLine, OneOffCharge, WebhookEvent
from hub.webhooks import endpoints

from .conftest import ADMIN


def _lines(invoice_id):
    return db.session.execute(db.select(InvoiceLine).filter_by(invoice_id=invoice_id)
                              .order_by(InvoiceLine.position)).scalars().all()


def test_typed_lines_and_a_pending_charge_in_the_same_series(billed, contoso, make_product):
    run = run_due_invoices(date(2024, 1, 31))
    first = db.session.get(Invoice, run.issued[0])
    hardware = make_product("ROUTER", price="300.00", cost="210.00", taxable=True)
    tax.set_organization_tax(contoso.id, ADMIN, rate_ids=[tax.create_tax_rate("GST", "5", ADMIN).id])
    charge = one_off.create_charge(contoso.id, ADMIN, description="Travel", quantity="1", unit_price="33.33",
                                   taxable=False)
    invoice = manual_invoices.create_manual_invoice(
        contoso.id, ADMIN, currency="usd", invoice_date="2024-02-10", due_days=14, memo="Hardware order",
        lines=[{"product_id": hardware.id, "quantity": "2"},
               {"description": "Rack mounting", "quantity": "1.5", "unit_price": "80", "taxable": True}],
        charge_ids=[charge.id])
    assert invoice.number == first.number + 1 and invoice.status == "issued"
    assert invoice.recurring_invoice_id is None and invoice.due_date == date(2024, 2, 24)
    assert (invoice.period_start, invoice.period_end) == (date(2024, 2, 10), date(2024, 2, 10))
    lines = _lines(invoice.id)
    # 600.00 (GST 30.00) + 120.00 (GST 6.00) + 33.33 (not taxable)
    assert [(ln.kind, ln.description, ln.amount, ln.tax_amount, ln.unit_cost) for ln in lines] == [
        ("manual", "Product ROUTER", D("600.00"), D("30.00"), D("210.0000")),
        ("manual", "Rack mounting", D("120.00"), D("6.00"), D("0")),
        ("one_off", "Travel", D("33.33"), D("0.00"), D("0.0000"))]
    assert (invoice.subtotal, invoice.tax_total, invoice.total) == (D("753.33"), D("36.00"), D("789.33"))
    assert invoice.tax_summary[0]["tax"] == "36.00"
    db.session.refresh(charge)
    assert charge.invoice_id == invoice.id
    audit = db.session.execute(db.select(AuditEvent).filter_by(action="invoice.issue", entity_id=str(invoice.id))
                               ).scalar_one()
    assert audit.details["manual"] is True and audit.details["one_off_charge_ids"] == [charge.id]

    invoice.memo = "edited"  # immutable once issued, like every invoice
    with pytest.raises(Exception, match="issued invoices never change"):
        db.session.flush()
    db.session.rollback()


def test_the_issue_signal_fires_for_e_mail_and_webhooks(billed, contoso):
    endpoints.add_endpoint("https://93.184.216.34/hook", "*", ADMIN)
    contacts.set_contacts(contoso.id, "ap@contoso.example", None, ADMIN)
    heard = []

    def listener(sender, invoice_ids=(), **_kw):  # what accounting destinations listen to as well
        heard.extend(invoice_ids)

    events.invoices_issued.connect(listener)
    try:
        held = manual_invoices.create_manual_invoice(
            contoso.id, ADMIN, currency="USD", lines=[{"description": "Audit", "quantity": "1", "unit_price": "10"}])
        sent = manual_invoices.create_manual_invoice(
            contoso.id, ADMIN, currency="USD", send_on_issue=True,
            lines=[{"description": "Audit", "quantity": "1", "unit_price": "10"}])
    finally:
        events.invoices_issued.disconnect(listener)
    assert heard == [held.id, sent.id]
    queued = db.session.execute(db.select(InvoiceDelivery.invoice_id)).scalars().all()
    assert queued == [sent.id]  # e-mailed only when asked (no recurring invoice to say so)
    issued_events = [e.data["invoice_id"] for e in db.session.execute(
        db.select(WebhookEvent).filter_by(type="invoice.issued").order_by(WebhookEvent.id)).scalars()]
    assert issued_events == [held.id, sent.id]


def test_every_bad_field_is_named_and_nothing_is_issued(billed, contoso, make_product):
    euro = make_product("EU")
    euro.currency = "EUR"
    db.session.commit()
    with pytest.raises(BillingError) as info:
        manual_invoices.create_manual_invoice(
            contoso.id, ADMIN, currency="USD",
            lines=[{"description": "", "quantity": "x", "unit_price": "1"},
                   {"product_id": euro.id, "quantity": "1"}],
            charge_ids=[424242])
    errors = info.value.errors
    assert {"lines.0.description", "lines.0.quantity", "lines.1.product_id", "charge_ids"} <= set(errors)
    assert "priced in EUR" in errors["lines.1.product_id"]
    db.session.rollback()
    for kwargs, field in [({"currency": "dollars"}, "currency"), ({"currency": "USD", "invoice_date": "31/01"},
                                                                    "invoice_date"),
                          ({"currency": "USD"}, "lines")]:
        with pytest.raises(BillingError) as info:
            manual_invoices.create_manual_invoice(contoso.id, ADMIN, **kwargs)
        assert field in (getattr(info.value, "errors", None) or {info.value.field: ""})
        db.session.rollback()
    assert db.session.execute(db.select(Invoice)).first() is None
    # no number was used up: the next invoice is number 1
    invoice = manual_invoices.create_manual_invoice(contoso.id, ADMIN, currency="USD",
                                                    lines=[{"description": "Fee", "quantity": "1", "unit_price": "5"}])
    assert invoice.number == 1


def test_a_billed_charge_cannot_go_on_a_manual_invoice(billed, contoso):
    charge = one_off.create_charge(contoso.id, ADMIN, description="Once", quantity="1", unit_price="5")
    run_due_invoices(date(2024, 1, 31))
    with pytest.raises(BillingError, match="billed already") as info:
        manual_invoices.create_manual_invoice(contoso.id, ADMIN, currency="USD", charge_ids=[charge.id])
    assert info.value.field == "charge_ids"
    db.session.rollback()
    assert db.session.get(OneOffCharge, charge.id).invoice_id is not None
