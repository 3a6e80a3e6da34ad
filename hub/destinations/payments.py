"""Payment status read back from the destinations: is a pushed invoice paid in the books?

The scheduler's payment tick asks each connected destination whose plugin implements
``hub_destination_payment_status`` about pushed, unpaid invoices: at most ``MAX_PER_RUN`` per
destination per run, ``BATCH`` ids per provider call, the least recently checked first, each invoice at
most once per ``RECHECK``. Calls go through the destination's session, so the provider's rate limits
hold (shared with the push run). A change is stored on the push (state, amount paid, balance due, all
``Decimal``), audited, and the first time an invoice is fully paid, ``invoice.paid`` goes to the
webhook outbox in the same transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from hub.audit import Actor, record
from hub.billing.money import cents
from hub.destinations.calls import call_with_auth
from hub.destinations.connections import handle_for
from hub.extensions import db
from hub.models import ConnectionState, DestinationConnection, DestinationPush, Invoice, PaymentState, PushState
from hub.plugins import PaymentStatus, VendorAuthError, VendorError
from hub.timeutil import utcnow
from hub.webhooks.outbox import emit

log = logging.getLogger("hub.destinations")
ACTOR = Actor.system("payment check")

#: external ids per provider call (a QBO ``Id IN (...)`` query, a Xero ``IDs=`` list)
BATCH = 50
#: pushes read per destination per run: a run stays short however many invoices are open
MAX_PER_RUN = 500
#: an unpaid invoice is asked about again after this long
RECHECK = timedelta(hours=6)
#: the invoices list's filter: name -> payment states (None: not read yet)
PAYMENT_FILTERS = {"paid": (PaymentState.PAID.value,), "partially_paid": (PaymentState.PARTIALLY_PAID.value,),
                   "unpaid": (PaymentState.UNPAID.value,)}


@dataclass
class PaymentReport:
    slug: str
    checked: int = 0
    changed: list[int] = field(default_factory=list)  # invoice ids whose payment state or amount changed
    paid: list[int] = field(default_factory=list)     # invoice ids that became paid
    stopped: str | None = None


def state_of(status: PaymentStatus, total: Decimal) -> tuple[str, Decimal, Decimal]:
    """(payment state, amount paid, balance due) from the provider's answer and the hub's total."""
    balance = max(cents(Decimal(str(status.balance))), Decimal("0.00"))
    if status.paid:
        return PaymentState.PAID.value, cents(total), Decimal("0.00")
    # a balance of 0 that the plugin does not call paid (voided at the provider) is not a payment
    if Decimal("0.00") < balance < total:
        return PaymentState.PARTIALLY_PAID.value, cents(total - balance), balance
    return PaymentState.UNPAID.value, Decimal("0.00"), balance


def due_pushes(connection_id: int, now, limit: int | None = None) -> list[DestinationPush]:
    """Pushed invoices not known to be paid (nor being voided), never checked or checked before ``now - RECHECK``."""
    checked = db.func.coalesce(DestinationPush.payment_checked_at, db.literal(now - RECHECK - RECHECK))
    return list(db.session.execute(
        db.select(DestinationPush).where(
            DestinationPush.connection_id == connection_id, DestinationPush.state == PushState.PUSHED.value,
            DestinationPush.invoice_id.is_not(None),  # a credit note's push is not paid
            DestinationPush.void_requested_at.is_(None), DestinationPush.external_id.is_not(None),
            db.or_(DestinationPush.payment_state.is_(None), DestinationPush.payment_state != PaymentState.PAID.value),
            db.or_(DestinationPush.payment_checked_at.is_(None), DestinationPush.payment_checked_at <= now - RECHECK))
        .order_by(checked, DestinationPush.id).limit(limit or MAX_PER_RUN)).scalars())


def check_payments(session_options: dict | None = None, *, now=None) -> list[PaymentReport]:
    """One payment run over every connected destination that can read payments. Commits per batch."""
    reports = []
    for connection in db.session.execute(db.select(DestinationConnection).where(
            DestinationConnection.state == ConnectionState.CONNECTED.value)
            .order_by(DestinationConnection.slug)).scalars().all():
        try:
            handle = handle_for(connection.slug)
        except VendorError:
            continue  # the plugin is not loaded: nothing can be asked
        if not handle.can_read_payments():
            continue
        reports.append(_check_connection(connection, session_options or {}, now or utcnow()))
    return reports


def _check_connection(connection: DestinationConnection, session_options: dict, now) -> PaymentReport:
    report = PaymentReport(connection.slug)
    pushes = due_pushes(connection.id, now)
    for start in range(0, len(pushes), BATCH):
        batch = {p.external_id: p for p in pushes[start:start + BATCH]}
        ids = list(batch)
        try:
            answers = call_with_auth(connection, lambda h, c, s, a: h.payment_status(c, s, a, ids), **session_options)
        except VendorAuthError as err:
            db.session.rollback()
            report.stopped = err.message
            break  # the token refresh marked the connection; the push run shows it
        except VendorError as err:
            db.session.rollback()
            report.stopped = err.message
            log.warning("payment check %s stopped: %s", connection.slug, err.message)
            break
        _store(connection, batch, answers or [], report, now)
        db.session.commit()
    return report


def _store(connection: DestinationConnection, batch: dict[str, DestinationPush], answers: list, report: PaymentReport,
           now) -> None:
    invoices = {i.id: i for i in db.session.execute(db.select(Invoice).where(
        Invoice.id.in_([p.invoice_id for p in batch.values()]))).scalars()}
    for push in batch.values():
        push.payment_checked_at = now
    for status in answers:
        push = batch.get(str(getattr(status, "external_id", "")))
        if push is None or not isinstance(status, PaymentStatus):
            continue
        report.checked += 1
        invoice = invoices[push.invoice_id]
        state, amount_paid, balance = state_of(status, invoice.total)
        old = (push.payment_state, push.amount_paid)
        if old == (state, amount_paid) and push.balance_due == balance:
            continue
        push.payment_state, push.amount_paid, push.balance_due = state, amount_paid, balance
        record(ACTOR, "destination.payment", "invoice", invoice.id, field=connection.slug,
               old=f"{old[0]} {old[1]}" if old[0] else None, new=f"{state} {amount_paid}",
               details={"external_id": push.external_id, "balance_due": str(balance)})
        report.changed.append(invoice.id)
        if state == PaymentState.PAID.value and push.paid_at is None:
            push.paid_at = now
            report.paid.append(invoice.id)
            emit("invoice.paid", {"invoice_id": invoice.id, "number": invoice.number,
                                  "organization_id": invoice.organization_id, "currency": invoice.currency,
                                  "total": invoice.total, "amount_paid": amount_paid, "destination": connection.slug,
                                  "external_id": push.external_id, "external_number": push.external_number,
                                  "paid_at": now})


def payment_state_filter(name: str):
    """A WHERE clause on invoices for one of PAYMENT_FILTERS (the invoices list's filter)."""
    from hub.plugins import VendorConfigError

    if name not in PAYMENT_FILTERS:
        raise VendorConfigError(f"payment must be one of {', '.join(PAYMENT_FILTERS)}", field="payment")
    return (db.select(DestinationPush.id).where(DestinationPush.invoice_id == Invoice.id,
                                                DestinationPush.payment_state.in_(PAYMENT_FILTERS[name])).exists())
