"""The invoice e-mail outbox: queue in the issuing transaction, send from a job, retry with backoff.

- **Queue.** When invoices are issued (``hub.events.invoices_issued``, sent before the issuing
  commit), each whose recurring invoice says "send on issue" gets an ``InvoiceDelivery`` row in that
  same transaction: a rolled-back issue queues nothing, a committed one cannot lose its e-mail.
  "Send now" and "resend" queue a row the same way and send it at once.
- **Send.** ``send_due`` (the scheduler, every minute) claims due rows with a conditional UPDATE
  (so two senders never send one row), renders the PDF, sends, and records the attempt.
- **Retry.** A refused-for-now answer (4xx, timeout, connection refused, SMTP not set up) is tried
  again after ``RETRY_MINUTES``; a permanent refusal (5xx) or the last attempt leaves it ``failed``,
  shown on the invoice and the dashboard until someone resends. Every attempt is recorded and audited.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from hub.audit import Actor, audit_event, record, record_many
from hub.delivery import smtp
from hub.delivery.errors import DeliveryError
from hub.delivery.templates import email_template, render_invoice_email
from hub.extensions import db
from hub.models import (BillingContact, DeliveryAttempt, DeliveryStatus, Invoice, InvoiceDelivery, InvoiceStatus,
                        RecurringDelivery)
from hub.timeutil import utcnow

log = logging.getLogger("hub.delivery")

#: wait after attempt 1, 2, ...; the attempt after the last wait is the last one
RETRY_MINUTES = (1, 5, 15, 60, 240)
MAX_ATTEMPTS = len(RETRY_MINUTES) + 1
#: a sender that crashed mid-send leaves its claim; after this the row is due again
CLAIM_MINUTES = 10
BATCH = 50
DELIVERIES = InvoiceDelivery.__table__
OPEN = (DeliveryStatus.QUEUED.value, DeliveryStatus.SENDING.value)


def connect() -> None:
    from hub.events import invoices_issued

    invoices_issued.connect(_on_invoices_issued)


def _on_invoices_issued(sender, invoice_ids: list[int], actor: Actor, send_ids=(), **_kwargs) -> None:
    """Inside the issuing transaction: queue the e-mails of those set to send on issue (their recurring
    invoice says so, or the issuer asked for it: ``send_ids``, a manual invoice)."""
    chosen = db.select(RecurringDelivery.recurring_invoice_id).where(RecurringDelivery.send_on_issue.is_(True))
    invoices = list(db.session.execute(db.select(Invoice).options(selectinload(Invoice.organization)).where(
        Invoice.id.in_(invoice_ids),
        Invoice.recurring_invoice_id.in_(chosen) | Invoice.id.in_(list(send_ids)))).scalars())
    if invoices:
        _queue(invoices, "auto", actor)


def _queue(invoices: list[Invoice], trigger: str, actor: Actor, now: datetime | None = None) -> list[InvoiceDelivery]:
    """New outbox rows (not committed). An Organization without billing contacts gets a ``failed`` row
    saying so: visible on the invoice, and "resend" works once contacts exist."""
    now = now or utcnow()
    org_ids = {invoice.organization_id for invoice in invoices}
    contacts = {c.organization_id: c for c in db.session.execute(
        db.select(BillingContact).where(BillingContact.organization_id.in_(org_ids))).scalars()}
    template = email_template()
    rows, audits = [], []
    for invoice in invoices:
        contact = contacts.get(invoice.organization_id)
        subject, _body = render_invoice_email(invoice, template)
        row = InvoiceDelivery(invoice_id=invoice.id, trigger=trigger, subject=subject, attempts=0,
                              status=DeliveryStatus.QUEUED.value, next_attempt_at=now, created_at=now,
                              created_by=actor.label,
                              to_addresses=list(contact.to_addresses) if contact else [],
                              cc_addresses=list(contact.cc_addresses or []) if contact else [])
        if not row.to_addresses:
            row.status = DeliveryStatus.FAILED.value
            row.last_error = f"{invoice.organization.name} has no billing contact: add one, then resend"
        rows.append(row)
    db.session.add_all(rows)
    db.session.flush()
    for row in rows:
        audits.append(audit_event(actor, "delivery.queue", "invoice", row.invoice_id, field="delivery",
                                  new=row.status, at=now,
                                  details={"delivery_id": row.id, "trigger": trigger, "to": row.to_addresses,
                                           "cc": row.cc_addresses, "error": row.last_error}))
    record_many(audits)
    return rows


def send_invoice(invoice_id: int, actor: Actor, *, trigger: str = "manual", send_now: bool = True) -> InvoiceDelivery:
    """Queue an issued invoice's e-mail (commit) and, by default, send it at once.

    Refused while another e-mail of this invoice is still queued: that one is sent (or retried) first."""
    invoice = db.session.get(Invoice, invoice_id)
    if invoice is None:
        raise DeliveryError(f"invoice_id: no invoice with id {invoice_id}", "invoice_id")
    if invoice.status != InvoiceStatus.ISSUED.value:
        raise DeliveryError(f"invoice {invoice.id} is {invoice.status}; only issued invoices are sent", "invoice_id")
    waiting = db.session.execute(db.select(InvoiceDelivery.id).where(
        InvoiceDelivery.invoice_id == invoice.id, InvoiceDelivery.status.in_(OPEN))).first()
    if waiting:
        raise DeliveryError(f"an e-mail of this invoice is already queued (delivery {waiting[0]})", "invoice_id")
    try:
        row = _queue([invoice], trigger, actor)[0]
        db.session.commit()
    except IntegrityError:  # another request queued one between our check and our insert
        db.session.rollback()
        raise DeliveryError("an e-mail of this invoice is already queued", "invoice_id") from None
    if send_now and row.status == DeliveryStatus.QUEUED.value:
        send_one(row.id)
        db.session.refresh(row)
    return row


def set_send_on_issue(recurring_invoice_id: int, send_on_issue: bool, actor: Actor) -> RecurringDelivery:
    from hub.billing import validate
    from hub.models import RecurringInvoice

    recurring = validate.existing(RecurringInvoice, recurring_invoice_id, "recurring_invoice_id")
    row = db.session.get(RecurringDelivery, recurring.id)
    old = bool(row and row.send_on_issue)
    if row is None:
        row = RecurringDelivery(recurring_invoice_id=recurring.id)
        db.session.add(row)
    row.send_on_issue = bool(send_on_issue)
    if old != row.send_on_issue:
        record(actor, "recurring.delivery", "recurring_invoice", recurring.id, field="send_on_issue",
               old=old, new=row.send_on_issue)
    db.session.commit()
    return row


def sends_on_issue(recurring_invoice_id: int) -> bool:
    row = db.session.get(RecurringDelivery, recurring_invoice_id)
    return bool(row and row.send_on_issue)


# -- sending ---------------------------------------------------------------------------------------------

def due_ids(now: datetime, limit: int = BATCH) -> list[int]:
    query = (db.select(InvoiceDelivery.id)
             .where(db.or_(db.and_(InvoiceDelivery.status == DeliveryStatus.QUEUED.value,
                                   InvoiceDelivery.next_attempt_at <= now),
                           db.and_(InvoiceDelivery.status == DeliveryStatus.SENDING.value,
                                   InvoiceDelivery.claimed_until < now)))
             .order_by(InvoiceDelivery.next_attempt_at, InvoiceDelivery.id).limit(limit))
    ids = list(db.session.execute(query).scalars())
    db.session.rollback()  # end the read; each claim is its own transaction
    return ids


def send_due(now: datetime | None = None) -> list[int]:
    """Send every due e-mail (the scheduler's job). Returns the ids of the deliveries tried."""
    now = now or utcnow()
    tried = []
    for delivery_id in due_ids(now):
        if send_one(delivery_id, now):
            tried.append(delivery_id)
    return tried


def _claim(delivery_id: int, now: datetime) -> bool:
    """Take the row for this sender: only where it is still due (another sender may have taken it)."""
    claimed = db.session.execute(
        db.update(DELIVERIES)
        .where(DELIVERIES.c.id == delivery_id,
               db.or_(db.and_(DELIVERIES.c.status == DeliveryStatus.QUEUED.value, DELIVERIES.c.next_attempt_at <= now),
                      db.and_(DELIVERIES.c.status == DeliveryStatus.SENDING.value, DELIVERIES.c.claimed_until < now)))
        .values(status=DeliveryStatus.SENDING.value, claimed_until=now + timedelta(minutes=CLAIM_MINUTES))
    ).rowcount
    db.session.commit()
    return claimed == 1


def send_one(delivery_id: int, now: datetime | None = None) -> bool:
    """Claim, send and record one delivery. False when someone else had it."""
    now = now or utcnow()
    if not _claim(delivery_id, now):
        return False
    row = db.session.get(InvoiceDelivery, delivery_id)
    try:
        message_id, reply = _send(row)
    except smtp.SendFailure as failure:
        _record(row, now, ok=False, result=failure.message, permanent=failure.permanent)
    except Exception as err:  # a bug (PDF, template): recorded and retried like a transient failure
        log.exception("sending delivery %s crashed", delivery_id)
        db.session.rollback()
        row = db.session.get(InvoiceDelivery, delivery_id)
        _record(row, now, ok=False, result=f"{type(err).__name__}: {err}", permanent=False)
    else:
        row.message_id = message_id
        _record(row, now, ok=True, result=reply)
    return True


def _send(row: InvoiceDelivery) -> tuple[str, str]:
    from hub.delivery.pdf import pdf_filename, render_invoice_pdf

    try:
        config = smtp.saved_config()
    except DeliveryError as err:
        raise smtp.SendFailure(err.message) from None
    if config is None:
        raise smtp.SendFailure("SMTP is not set up (Admin > E-mail settings)")
    invoice = row.invoice
    if invoice.status != InvoiceStatus.ISSUED.value:  # voided while its e-mail waited
        raise smtp.SendFailure(f"not sent: the invoice is {invoice.status}", permanent=True)
    subject, body = render_invoice_email(invoice)
    # one Message-ID for every attempt: a retry after a lost reply is recognisably the same message
    msg = smtp.new_message(config, row.to_addresses, row.cc_addresses or [], subject, body, row.message_id)
    msg.add_attachment(render_invoice_pdf(invoice), maintype="application", subtype="pdf",
                       filename=pdf_filename(invoice))
    row.message_id = msg["Message-ID"]
    row.subject = subject
    return msg["Message-ID"], smtp.send(config, msg)


def _record(row: InvoiceDelivery, now: datetime, *, ok: bool, result: str, permanent: bool = False) -> None:
    row.attempts += 1
    row.claimed_until = None
    db.session.add(DeliveryAttempt(delivery_id=row.id, number=row.attempts, attempted_at=now, ok=ok,
                                   message_id=row.message_id, result=result[:2000]))
    if ok:
        row.status, row.sent_at, row.last_error = DeliveryStatus.SENT.value, now, None
        action = "delivery.sent"
    elif permanent or row.attempts >= MAX_ATTEMPTS:
        row.status, row.last_error = DeliveryStatus.FAILED.value, result[:2000]
        action = "delivery.failed"
    else:
        row.status, row.last_error = DeliveryStatus.QUEUED.value, result[:2000]
        row.next_attempt_at = now + timedelta(minutes=RETRY_MINUTES[row.attempts - 1])
        action = "delivery.retry"
    record(Actor.system("e-mail delivery"), action, "invoice", row.invoice_id, field="delivery", new=row.status,
           at=now, details={"delivery_id": row.id, "attempt": row.attempts, "to": row.to_addresses,
                            "cc": row.cc_addresses, "message_id": row.message_id, "result": result[:500],
                            "next_attempt_at": row.next_attempt_at.isoformat(timespec="seconds")
                            if row.status == DeliveryStatus.QUEUED.value else None})
    db.session.commit()
    (log.info if ok else log.warning)("delivery %s of invoice %s attempt %s: %s", row.id, row.invoice_id,
                                      row.attempts, result[:200])
