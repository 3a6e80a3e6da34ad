"""An invoice's or a credit note's delivery state, read from its outbox rows (never stored, so it cannot drift):

- ``emailed``: at least one e-mail of it was accepted by the SMTP server
- ``failed``: none was, and one failed (given up, or waiting for a retry after a failure)
- ``queued``: none was, one waits for its first attempt
- ``not_sent``: no e-mail of it exists

The invoice list filters on ``emailed``, ``not_sent`` (issued, queued included) and ``failed``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import and_, exists, not_, or_

from hub.extensions import db
from hub.models import CreditNote, DeliveryStatus, Invoice, InvoiceDelivery, InvoiceStatus

FILTERS = {"emailed": "e-mailed", "not_sent": "not sent", "failed": "failed"}
LABELS = {"emailed": "e-mailed", "failed": "failed", "queued": "queued", "not_sent": "not sent"}


def _any(*conditions, column=InvoiceDelivery.invoice_id, of=Invoice.id):
    return exists().where(column == of, *conditions)


def _failing(column, of):
    return _any(or_(InvoiceDelivery.status == DeliveryStatus.FAILED.value,
                    and_(InvoiceDelivery.status.in_([DeliveryStatus.QUEUED.value, DeliveryStatus.SENDING.value]),
                         InvoiceDelivery.attempts > 0)), column=column, of=of)


def _failed_not_sent(column, of):
    """The document's e-mail failed and none of its e-mails was sent since (the ``failed`` state)."""
    return and_(not_(_any(InvoiceDelivery.status == DeliveryStatus.SENT.value, column=column, of=of)),
                _failing(column, of))


SENT = _any(InvoiceDelivery.status == DeliveryStatus.SENT.value)
FAILING = _failing(InvoiceDelivery.invoice_id, Invoice.id)


def state_clause(state: str):
    """A WHERE clause on ``Invoice`` for one of ``FILTERS``."""
    if state == "emailed":
        return SENT
    if state == "failed":
        return _failed_not_sent(InvoiceDelivery.invoice_id, Invoice.id)
    if state == "not_sent":  # waiting to be sent: issued ones only (a void invoice needs no e-mail)
        return and_(Invoice.status == InvoiceStatus.ISSUED.value, not_(SENT), not_(FAILING))
    raise ValueError(f"delivery state must be one of {', '.join(FILTERS)}, not {state!r}")


@dataclass
class DeliverySummary:
    state: str
    deliveries: list[InvoiceDelivery] = field(default_factory=list)  # newest first

    @property
    def label(self) -> str:
        return LABELS[self.state]

    @property
    def last_sent(self) -> InvoiceDelivery | None:
        return next((d for d in self.deliveries if d.status == DeliveryStatus.SENT.value), None)

    @property
    def open(self) -> InvoiceDelivery | None:
        return next((d for d in self.deliveries if d.status in (DeliveryStatus.QUEUED.value,
                                                                DeliveryStatus.SENDING.value)), None)


def _state_of(deliveries: list[InvoiceDelivery]) -> str:
    if any(d.status == DeliveryStatus.SENT.value for d in deliveries):
        return "emailed"
    if any(d.status == DeliveryStatus.FAILED.value or d.attempts > 0 for d in deliveries):
        return "failed"
    return "queued" if deliveries else "not_sent"


def summary(invoice_id: int) -> DeliverySummary:
    return _summaries(InvoiceDelivery.invoice_id, [invoice_id])[invoice_id]


def credit_note_summary(note_id: int) -> DeliverySummary:
    return _summaries(InvoiceDelivery.credit_note_id, [note_id])[note_id]


def states(invoice_ids: list[int]) -> dict[int, DeliverySummary]:
    """Summaries of many invoices in one query (the invoice list)."""
    return _summaries(InvoiceDelivery.invoice_id, invoice_ids)


def credit_note_states(note_ids: list[int]) -> dict[int, DeliverySummary]:
    """Summaries of many credit notes in one query (the API's list)."""
    return _summaries(InvoiceDelivery.credit_note_id, note_ids)


def _summaries(column, ids: list[int]) -> dict[int, DeliverySummary]:
    found: dict[int, list[InvoiceDelivery]] = {i: [] for i in ids}
    if ids:
        for d in db.session.execute(db.select(InvoiceDelivery).where(column.in_(ids))
                                    .order_by(InvoiceDelivery.id.desc())).scalars():
            found[getattr(d, column.key)].append(d)
    return {i: DeliverySummary(_state_of(ds), ds) for i, ds in found.items()}


@dataclass
class Failing:
    """Documents whose e-mail failed and was not sent since: how many of each kind, the newest few of each."""

    invoice_count: int
    credit_note_count: int
    invoices: list[Invoice]
    credit_notes: list[CreditNote]

    @property
    def count(self) -> int:
        return self.invoice_count + self.credit_note_count


def failing_documents(limit: int = 10) -> Failing:
    """The dashboard's failed e-mails: issued invoices and credit notes (a void invoice needs no nagging)."""
    queries = ((Invoice, and_(state_clause("failed"), Invoice.status == InvoiceStatus.ISSUED.value)),
               (CreditNote, _failed_not_sent(InvoiceDelivery.credit_note_id, CreditNote.id)))
    counts = [db.session.execute(db.select(db.func.count()).select_from(model).where(clause)).scalar_one()
              for model, clause in queries]
    newest = [list(db.session.execute(db.select(model).where(clause).order_by(model.id.desc()).limit(limit))
                   .scalars()) if n and limit else [] for n, (model, clause) in zip(counts, queries)]
    return Failing(*counts, *newest)
