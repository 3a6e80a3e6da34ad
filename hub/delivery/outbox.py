"""The e-mail outbox of invoices and credit notes: queue in the issuing transaction, send from a job, retry
with backoff. One outbox table and one sender for both kinds of document (``Document`` says what differs).

- **Queue.** When invoices are issued (``hub.events.invoices_issued``, sent before the issuing
  commit), each whose recurring invoice says "send on issue" gets an ``InvoiceDelivery`` row in that
  same transaction: a rolled-back issue queues nothing, a committed one cannot lose its e-mail. A credit
  note (``hub.events.credit_notes_issued``) is queued by the same rule: the recurring invoice of the
  invoice it credits says "send on issue", or its maker asked (as for a manual invoice).
  "Send now" and "resend" queue a row the same way and send it at once.
- **Send.** ``send_due`` (the scheduler, every minute) claims due rows with a conditional UPDATE
  (so two senders never send one row), renders the PDF, sends, and records the attempt.
- **Retry.** A refused-for-now answer (4xx, timeout, connection refused, SMTP not set up) is tried
  again after ``RETRY_MINUTES``; a permanent refusal (5xx) or the last attempt leaves it ``failed``,
  shown on the document's page and the dashboard until someone resends. Every attempt is recorded and
  audited (on the invoice or the credit note).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from hub.audit import Actor, audit_event, record, record_many
from hub.delivery import smtp
from hub.delivery import templates
from hub.delivery.errors import DeliveryError
from hub.extensions import db
from hub.models import (BillingContact, CreditNote, DeliveryAttempt, DeliveryStatus, Invoice, InvoiceDelivery,
                        InvoiceStatus, RecurringDelivery)
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


@dataclass(frozen=True)
class Document:
    """A kind of document the outbox e-mails: where its rows point, how it is filled, printed and named."""

    entity: str                       # audit entity type; ``<entity>_id`` names it in errors
    noun: str                         # as a person reads it: "invoice", "credit note"
    model: type
    column: Any                       # the outbox column pointing at it
    template: str                     # ``hub.delivery.templates`` kind
    values: Callable[[Any, str], dict[str, str]]
    pdf: Callable[[Any], bytes]
    filename: Callable[[Any], str]
    #: why it cannot be sent now (None: it can); checked at "send" and again before each attempt
    refusal: Callable[[Any], str | None]

    @property
    def field(self) -> str:
        return f"{self.entity}_id"


def _invoice_refusal(invoice: Invoice) -> str | None:
    return None if invoice.status == InvoiceStatus.ISSUED.value else f"the invoice is {invoice.status}"


def _pdf(name: str) -> Callable[[Any], Any]:
    def call(document):  # imported when used: WeasyPrint loads Pango
        from hub.delivery import pdf

        return getattr(pdf, name)(document)
    return call


INVOICES = Document("invoice", "invoice", Invoice, InvoiceDelivery.invoice_id, templates.INVOICE,
                    templates.invoice_values, _pdf("render_invoice_pdf"), _pdf("pdf_filename"), _invoice_refusal)
CREDIT_NOTES = Document("credit_note", "credit note", CreditNote, InvoiceDelivery.credit_note_id,
                        templates.CREDIT_NOTE, templates.credit_note_values, _pdf("render_credit_note_pdf"),
                        _pdf("credit_note_pdf_filename"), lambda _note: None)  # issued when made, never changed


def document_of(row: InvoiceDelivery) -> tuple[Document, Any]:
    """The kind and the document (Invoice or CreditNote) an outbox row carries."""
    return (INVOICES, row.invoice) if row.invoice_id is not None else (CREDIT_NOTES, row.credit_note)


def connect() -> None:
    from hub.events import credit_notes_issued, invoices_issued

    invoices_issued.connect(_on_invoices_issued)
    credit_notes_issued.connect(_on_credit_notes_issued)


def _sending_schedules():
    return db.select(RecurringDelivery.recurring_invoice_id).where(RecurringDelivery.send_on_issue.is_(True))


def _on_invoices_issued(sender, invoice_ids: list[int], actor: Actor, send_ids=(), **_kwargs) -> None:
    """Inside the issuing transaction: queue the e-mails of those set to send on issue (their recurring
    invoice says so, or the issuer asked for it: ``send_ids``, a manual invoice)."""
    invoices = list(db.session.execute(db.select(Invoice).options(selectinload(Invoice.organization)).where(
        Invoice.id.in_(invoice_ids),
        Invoice.recurring_invoice_id.in_(_sending_schedules()) | Invoice.id.in_(list(send_ids)))).scalars())
    if invoices:
        _queue(INVOICES, invoices, "auto", actor)


def _on_credit_notes_issued(sender, credit_note_ids: list[int], actor: Actor, send_ids=(), **_kwargs) -> None:
    """Inside the transaction that makes them: queue the e-mails of credit notes whose invoice's recurring
    invoice sends on issue, or whose maker asked for it (``send_ids``: the rule of manual invoices)."""
    credited = db.select(Invoice.id).where(Invoice.recurring_invoice_id.in_(_sending_schedules()))
    notes = list(db.session.execute(db.select(CreditNote).options(selectinload(CreditNote.organization)).where(
        CreditNote.id.in_(credit_note_ids),
        CreditNote.invoice_id.in_(credited) | CreditNote.id.in_(list(send_ids)))).scalars())
    if notes:
        _queue(CREDIT_NOTES, notes, "auto", actor)


def sends_credit_notes_on_issue(invoice: Invoice) -> bool:
    """Whether a credit note of ``invoice`` is e-mailed when made without being asked (its schedule's choice)."""
    return bool(invoice.recurring_invoice_id and sends_on_issue(invoice.recurring_invoice_id))


def _queue(kind: Document, documents: list, trigger: str, actor: Actor,
           now: datetime | None = None) -> list[InvoiceDelivery]:
    """New outbox rows (not committed). An Organization without billing contacts gets a ``failed`` row
    saying so: visible on the document's page, and "resend" works once contacts exist."""
    now = now or utcnow()
    org_ids = {document.organization_id for document in documents}
    contacts = {c.organization_id: c for c in db.session.execute(
        db.select(BillingContact).where(BillingContact.organization_id.in_(org_ids))).scalars()}
    template = templates.email_template(kind.template)
    rows, audits = [], []
    for document in documents:
        contact = contacts.get(document.organization_id)
        subject, _body = templates.render_email(kind.values(document, template.company), template)
        row = InvoiceDelivery(trigger=trigger, subject=subject, attempts=0,
                              status=DeliveryStatus.QUEUED.value, next_attempt_at=now, created_at=now,
                              created_by=actor.label,
                              to_addresses=list(contact.to_addresses) if contact else [],
                              cc_addresses=list(contact.cc_addresses or []) if contact else [])
        setattr(row, kind.field, document.id)
        if not row.to_addresses:
            row.status = DeliveryStatus.FAILED.value
            row.last_error = f"{document.organization.name} has no billing contact: add one, then resend"
        rows.append(row)
    db.session.add_all(rows)
    db.session.flush()
    for row in rows:
        audits.append(audit_event(actor, "delivery.queue", *row.entity, field="delivery",
                                  new=row.status, at=now,
                                  details={"delivery_id": row.id, "trigger": trigger, "to": row.to_addresses,
                                           "cc": row.cc_addresses, "error": row.last_error}))
    record_many(audits)
    return rows


def send_invoice(invoice_id: int, actor: Actor, *, trigger: str = "manual", send_now: bool = True) -> InvoiceDelivery:
    """Queue an issued invoice's e-mail (commit) and, by default, send it at once.

    Refused while another e-mail of this invoice is still queued: that one is sent (or retried) first."""
    return _send_document(INVOICES, invoice_id, actor, trigger, send_now)


def send_credit_note(note_id: int, actor: Actor, *, trigger: str = "manual", send_now: bool = True) -> InvoiceDelivery:
    """Queue a credit note's e-mail (commit) and, by default, send it at once; as ``send_invoice``."""
    return _send_document(CREDIT_NOTES, note_id, actor, trigger, send_now)


def _send_document(kind: Document, document_id: int, actor: Actor, trigger: str, send_now: bool) -> InvoiceDelivery:
    document = db.session.get(kind.model, document_id)
    if document is None:
        raise DeliveryError(f"{kind.field}: no {kind.noun} with id {document_id}", kind.field)
    if (why := kind.refusal(document)) is not None:
        raise DeliveryError(f"{why}; only issued {kind.noun}s are sent", kind.field)
    waiting = db.session.execute(db.select(InvoiceDelivery.id).where(
        kind.column == document.id, InvoiceDelivery.status.in_(OPEN))).first()
    if waiting:
        raise DeliveryError(f"an e-mail of this {kind.noun} is already queued (delivery {waiting[0]})", kind.field)
    try:
        row = _queue(kind, [document], trigger, actor)[0]
        db.session.commit()
    except IntegrityError:  # another request queued one between our check and our insert
        db.session.rollback()
        raise DeliveryError(f"an e-mail of this {kind.noun} is already queued", kind.field) from None
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
    try:
        config = smtp.saved_config()
    except DeliveryError as err:
        raise smtp.SendFailure(err.message) from None
    if config is None:
        raise smtp.SendFailure("SMTP is not set up (Admin > E-mail settings)")
    kind, document = document_of(row)
    if (why := kind.refusal(document)) is not None:  # e.g. an invoice voided while its e-mail waited
        raise smtp.SendFailure(f"not sent: {why}", permanent=True)
    template = templates.email_template(kind.template)
    subject, body = templates.render_email(kind.values(document, template.company), template)
    # one Message-ID for every attempt: a retry after a lost reply is recognisably the same message
    msg = smtp.new_message(config, row.to_addresses, row.cc_addresses or [], subject, body, row.message_id)
    msg.add_attachment(kind.pdf(document), maintype="application", subtype="pdf", filename=kind.filename(document))
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
    record(Actor.system("e-mail delivery"), action, *row.entity, field="delivery", new=row.status,
           at=now, details={"delivery_id": row.id, "attempt": row.attempts, "to": row.to_addresses,
                            "cc": row.cc_addresses, "message_id": row.message_id, "result": result[:500],
                            "next_attempt_at": row.next_attempt_at.isoformat(timespec="seconds")
                            if row.status == DeliveryStatus.QUEUED.value else None})
    db.session.commit()
    (log.info if ok else log.warning)("delivery %s of %s %s attempt %s: %s", row.id, *row.entity,
                                      row.attempts, result[:200])
