"""Invoices after the run: look them up, issue a draft, void one. Issued invoices never change otherwise
(the database refuses it, see ``hub.models.billing_invoice``)."""

from __future__ import annotations

from hub.audit import Actor, record
from hub.billing import numbering, validate
from hub.billing.errors import BillingError
from hub.billing.money import fmt_money
from hub.extensions import db
from hub.models import CreditNote, Invoice, InvoiceStatus
from hub.timeutil import utcnow


def get_invoice(invoice_id: int) -> Invoice:
    return validate.existing(Invoice, invoice_id, "invoice_id")


def list_invoices(*, organization_id: int | None = None, status: str | None = None,
                  recurring_invoice_id: int | None = None, limit: int = 100, offset: int = 0) -> list[Invoice]:
    """Newest first. ``status``: draft, issued or void."""
    query = db.select(Invoice).order_by(Invoice.invoice_date.desc(), Invoice.id.desc())
    if organization_id is not None:
        query = query.where(Invoice.organization_id == organization_id)
    if status is not None:
        query = query.where(Invoice.status == validate.choice(status, "status", InvoiceStatus))
    if recurring_invoice_id is not None:
        query = query.where(Invoice.recurring_invoice_id == recurring_invoice_id)
    return list(db.session.execute(query.limit(limit).offset(offset)).scalars())


def issue_invoice(invoice_id: int, actor: Actor) -> Invoice:
    """Issue a draft: it gets the next number and can never change again. Commits."""
    invoice = get_invoice(invoice_id)
    if invoice.status != InvoiceStatus.DRAFT.value:
        raise BillingError(f"invoice {invoice.id} is {invoice.status}; only a draft can be issued", "invoice_id")
    invoice.number = numbering.allocate(1)[0]
    invoice.status = InvoiceStatus.ISSUED.value
    invoice.issued_at = utcnow()
    record(actor, "invoice.issue", "invoice", invoice.id, field="status", old="draft", new="issued",
           details={"number": invoice.number, "total": fmt_money(invoice.total)})
    db.session.commit()
    return invoice


def void_invoice(invoice_id: int, actor: Actor, reason: str) -> Invoice:
    """Void a draft or an issued invoice; it keeps its number. Its period may then be billed again
    (``invoicing.reissue_invoice``, or the run when the schedule is moved back to it)."""
    invoice = get_invoice(invoice_id)
    reason = validate.text(reason, "reason", max_len=2000)
    if invoice.status == InvoiceStatus.VOID.value:
        raise BillingError(f"invoice {invoice.id} is void already", "invoice_id")
    if db.session.execute(db.select(CreditNote.id).filter_by(invoice_id=invoice.id).limit(1)).first():
        raise BillingError(f"invoice {invoice.id} has credit notes; credit its remaining lines instead of voiding it",
                           "invoice_id")
    old = invoice.status
    invoice.status = InvoiceStatus.VOID.value
    invoice.voided_at = utcnow()
    invoice.void_reason = reason
    record(actor, "invoice.void", "invoice", invoice.id, field="status", old=old, new="void",
           details={"number": invoice.number, "reason": reason})
    db.session.commit()
    return invoice
