"""Credit notes against issued invoices: the whole invoice or chosen lines, each line credited whole
(its quantity, amount and tax), at most once. Numbered in their own gapless series ("CN-000001") from a
counter row in the same transaction; never changed once made (the database refuses it)."""

from __future__ import annotations

import csv
import io
from datetime import date

from flask import current_app

from hub import events
from hub.audit import Actor, record
from hub.billing import numbering, validate
from hub.billing.errors import BillingError
from hub.billing.export import safe_cell
from hub.billing.money import ZERO, fmt_money, fmt_price, fmt_quantity
from hub.extensions import db
from hub.models import CreditNote, CreditNoteLine, Invoice, InvoiceLine, InvoiceStatus
from hub.timeutil import utcnow

COUNTER = "credit_note"


def label(number: int) -> str:
    return f"{current_app.config.get('HUB_CREDIT_NOTE_PREFIX', 'CN-')}{number:06d}"


def credited_line_ids(invoice_id: int) -> set[int]:
    return set(db.session.execute(
        db.select(CreditNoteLine.invoice_line_id).join(CreditNote, CreditNote.id == CreditNoteLine.credit_note_id)
        .where(CreditNote.invoice_id == invoice_id)).scalars())


def create_credit_note(invoice_id, actor: Actor, reason: str, *, line_ids=None,
                       credit_date: date | None = None, send_on_issue: bool = False) -> CreditNote:
    """Credit ``line_ids`` of an issued invoice (None: every line not credited yet). Commits.

    It is e-mailed (queued in this transaction) when the invoice's recurring invoice sends on issue, or
    when ``send_on_issue`` asks for it, as a manual invoice's issuer does."""
    invoice = validate.existing(Invoice, invoice_id, "invoice_id")
    if invoice.status != InvoiceStatus.ISSUED.value:
        raise BillingError(f"invoice {invoice.id} is {invoice.status}; only an issued invoice can be credited",
                           "invoice_id")
    reason = validate.text(reason, "reason", max_len=2000)
    done = credited_line_ids(invoice.id)
    lines = {ln.id: ln for ln in invoice.lines}
    if line_ids is None:
        chosen = [ln for ln in invoice.lines if ln.id not in done]
        if not chosen:
            raise BillingError(f"every line of invoice {invoice.id} is credited already", "line_ids")
    else:
        ids = list(dict.fromkeys(validate.integer(i, "line_ids", minimum=1) for i in line_ids))
        if not ids:
            raise BillingError("choose at least one line to credit", "line_ids")
        for line_id in ids:
            if line_id not in lines:
                raise BillingError(f"line_ids: invoice {invoice.id} has no line {line_id}", "line_ids")
            if line_id in done:
                raise BillingError(f"line_ids: line {line_id} is credited already", "line_ids")
        chosen = [lines[i] for i in sorted(ids, key=lambda i: lines[i].position)]
    subtotal = sum((ln.amount for ln in chosen), ZERO)
    tax = sum((ln.tax_amount for ln in chosen), ZERO)
    note = CreditNote(number=numbering.allocate(1, COUNTER)[0], invoice_id=invoice.id,
                      organization_id=invoice.organization_id, credit_date=credit_date or utcnow().date(),
                      currency=invoice.currency, reason=reason, subtotal=subtotal, tax_total=tax,
                      total=subtotal + tax, created_by=actor.label)
    db.session.add(note)
    db.session.flush()
    db.session.add_all(_copy(note.id, n, ln) for n, ln in enumerate(chosen, 1))
    record(actor, "credit_note.create", "credit_note", note.id, field="total", new=fmt_money(note.total),
           details={"number": note.number, "invoice_id": invoice.id, "invoice_line_ids": [ln.id for ln in chosen],
                    "reason": reason})
    # the e-mail outbox and the destinations' push queue listen, inside this transaction: a rolled-back
    # note queues nothing
    events.credit_notes_issued.send(None, credit_note_ids=[note.id], actor=actor,
                                    send_ids=[note.id] if send_on_issue else [])
    db.session.commit()
    return note


def _copy(note_id: int, position: int, ln: InvoiceLine) -> CreditNoteLine:
    return CreditNoteLine(credit_note_id=note_id, invoice_line_id=ln.id, position=position,
                          product_code=ln.product_code, description=ln.description, quantity=ln.quantity,
                          unit_price=ln.unit_price, amount=ln.amount, tax_amount=ln.tax_amount)


def credit_note_to_dict(note: CreditNote) -> dict:
    return {
        "id": note.id, "number": label(note.number), "invoice_id": note.invoice_id,
        "invoice_number": numbering.label(note.invoice.number),
        "organization": {"id": note.organization_id, "name": note.organization.name},
        "credit_date": note.credit_date.isoformat(), "currency": note.currency, "reason": note.reason,
        "subtotal": fmt_money(note.subtotal), "tax_total": fmt_money(note.tax_total), "total": fmt_money(note.total),
        "lines": [{"position": ln.position, "invoice_line_id": ln.invoice_line_id, "product_code": ln.product_code,
                   "description": ln.description, "quantity": fmt_quantity(ln.quantity),
                   "unit_price": fmt_price(ln.unit_price), "amount": fmt_money(ln.amount),
                   "tax_amount": fmt_money(ln.tax_amount)} for ln in note.lines],
    }


CSV_COLUMNS = ["credit_note_number", "credit_date", "invoice_number", "organization", "currency", "reason",
               "position", "product_code", "description", "quantity", "unit_price", "amount", "tax_amount"]


def credit_note_csv(note: CreditNote) -> str:
    data = credit_note_to_dict(note)
    out = io.StringIO()
    writer = csv.DictWriter(out, CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for ln in data["lines"]:
        writer.writerow({"credit_note_number": data["number"], "credit_date": data["credit_date"],
                         "invoice_number": data["invoice_number"],
                         "organization": safe_cell(data["organization"]["name"]), "currency": data["currency"],
                         "reason": safe_cell(data["reason"]), "position": ln["position"],
                         "product_code": safe_cell(ln["product_code"]), "description": safe_cell(ln["description"]),
                         "quantity": ln["quantity"], "unit_price": ln["unit_price"], "amount": ln["amount"],
                         "tax_amount": ln["tax_amount"]})
    return out.getvalue()


def render_credit_note_html(note: CreditNote) -> str:
    """The printable page: the credit note document the PDF is also made from (``hub.delivery.document``),
    with the MSP's header like the invoice's. Needs an app context."""
    from hub.delivery.document import render_credit_note_document

    return render_credit_note_document(note)
