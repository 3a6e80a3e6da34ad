"""Invoices after the run: look them up, issue a draft, void one. Issued invoices never change otherwise
(the database refuses it, see ``hub.models.billing_invoice``)."""

from __future__ import annotations

from hub import events
from hub.audit import Actor, record
from hub.billing import numbering, one_off, validate
from hub.billing.errors import BillingError
from hub.billing.money import fmt_money
from hub.extensions import db
from hub.models import CreditNote, Invoice, InvoiceStatus
from hub.timeutil import utcnow
from hub.webhooks import emitters
from hub.inputs import shown


def get_invoice(invoice_id: int) -> Invoice:
    return validate.existing(Invoice, invoice_id, "invoice_id")


def list_invoices(*, organization_id: int | None = None, status: str | None = None,
                  recurring_invoice_id: int | None = None, delivery_state: str | None = None,
                  push_state: str | None = None, payment: str | None = None, limit: int = 100,
                  offset: int = 0) -> list[Invoice]:
    """Newest first, filtered as ``invoice_filters`` says."""
    query = db.select(Invoice).order_by(Invoice.invoice_date.desc(), Invoice.id.desc())
    query = query.where(*invoice_filters(organization_id=organization_id, status=status,
                                         recurring_invoice_id=recurring_invoice_id, delivery_state=delivery_state,
                                         push_state=push_state, payment=payment))
    return list(db.session.execute(query.limit(limit).offset(offset)).scalars())


def invoice_filters(*, organization_id: int | None = None, status: str | None = None,
                    recurring_invoice_id: int | None = None, delivery_state: str | None = None,
                    push_state: str | None = None, payment: str | None = None) -> list:
    """WHERE clauses on ``Invoice`` for the invoice lists (panel, CLI, API). ``status``: draft, issued or
    void. ``delivery_state``: emailed, not_sent or failed (``hub.delivery.status``; drafts are never sent,
    so they match none); ``push_state``: one of ``hub.destinations.queue.PUSH_FILTERS`` (waiting, blocked,
    pushed, voided, not_pushed); ``payment``: paid, partially_paid or unpaid, as read back from an accounting
    destination (``hub.destinations.payments.PAYMENT_FILTERS``)."""
    clauses = []
    if organization_id is not None:
        clauses.append(Invoice.organization_id == organization_id)
    if status is not None:
        clauses.append(Invoice.status == validate.choice(status, "status", InvoiceStatus))
    if recurring_invoice_id is not None:
        clauses.append(Invoice.recurring_invoice_id == recurring_invoice_id)
    if delivery_state is not None:
        from hub.delivery.status import FILTERS, state_clause

        if delivery_state not in FILTERS:
            raise BillingError(f"delivery_state must be one of {', '.join(FILTERS)}, not {shown(delivery_state)}",
                               "delivery_state")
        clauses += [state_clause(delivery_state), Invoice.status != InvoiceStatus.DRAFT.value]
    if push_state is not None:
        from hub.destinations.queue import push_state_filter

        clauses.append(push_state_filter(push_state))
    if payment is not None:
        from hub.destinations.payments import payment_state_filter

        clauses.append(payment_state_filter(payment))
    return clauses


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
    emitters.invoices_issued([_event(invoice)])
    db.session.flush()
    events.invoices_issued.send(None, invoice_ids=[invoice.id], actor=actor)
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
    # its one-off charges are pending again: the reissue of this period (or the next invoice) bills them
    one_off.release(invoice.id, actor)
    record(actor, "invoice.void", "invoice", invoice.id, field="status", old=old, new="void",
           details={"number": invoice.number, "reason": reason})
    emitters.invoice_voided({**_event(invoice), "previous_status": old, "reason": reason,
                             "voided_at": invoice.voided_at})
    if old == InvoiceStatus.ISSUED.value:
        events.invoice_voided.send(None, invoice_id=invoice.id, actor=actor)
    db.session.commit()
    return invoice


def _event(invoice: Invoice) -> dict:
    """An invoice as its webhook events describe it."""
    return {"invoice_id": invoice.id, "number": invoice.number, "organization_id": invoice.organization_id,
            "recurring_invoice_id": invoice.recurring_invoice_id, "period_start": invoice.period_start,
            "period_end": invoice.period_end, "total": invoice.total, "currency": invoice.currency,
            "issued_at": invoice.issued_at}
