"""An invoice's delivery state, read from its outbox rows (never stored, so it cannot drift):

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
from hub.models import DeliveryStatus, Invoice, InvoiceDelivery, InvoiceStatus

FILTERS = {"emailed": "e-mailed", "not_sent": "not sent", "failed": "failed"}
LABELS = {"emailed": "e-mailed", "failed": "failed", "queued": "queued", "not_sent": "not sent"}


def _any(*conditions):
    return exists().where(InvoiceDelivery.invoice_id == Invoice.id, *conditions)


SENT = _any(InvoiceDelivery.status == DeliveryStatus.SENT.value)
FAILING = _any(or_(InvoiceDelivery.status == DeliveryStatus.FAILED.value,
                   and_(InvoiceDelivery.status.in_([DeliveryStatus.QUEUED.value, DeliveryStatus.SENDING.value]),
                        InvoiceDelivery.attempts > 0)))


def state_clause(state: str):
    """A WHERE clause on ``Invoice`` for one of ``FILTERS``."""
    if state == "emailed":
        return SENT
    if state == "failed":
        return and_(not_(SENT), FAILING)
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
    deliveries = list(db.session.execute(db.select(InvoiceDelivery).where(InvoiceDelivery.invoice_id == invoice_id)
                                         .order_by(InvoiceDelivery.id.desc())).scalars())
    return DeliverySummary(_state_of(deliveries), deliveries)


def states(invoice_ids: list[int]) -> dict[int, DeliverySummary]:
    """Summaries of many invoices in one query (the invoice list)."""
    found: dict[int, list[InvoiceDelivery]] = {i: [] for i in invoice_ids}
    if invoice_ids:
        for d in db.session.execute(db.select(InvoiceDelivery).where(InvoiceDelivery.invoice_id.in_(invoice_ids))
                                    .order_by(InvoiceDelivery.id.desc())).scalars():
            found[d.invoice_id].append(d)
    return {i: DeliverySummary(_state_of(ds), ds) for i, ds in found.items()}


def failing_invoices(limit: int = 10) -> tuple[int, list[Invoice]]:
    """(how many, the newest few) invoices whose e-mail failed and was not sent since: the dashboard."""
    clause = and_(state_clause("failed"), Invoice.status == InvoiceStatus.ISSUED.value)
    count = db.session.execute(db.select(db.func.count()).select_from(Invoice).where(clause)).scalar_one()
    newest = list(db.session.execute(db.select(Invoice).where(clause).order_by(Invoice.id.desc()).limit(limit))
                  .scalars()) if count else []
    return count, newest
