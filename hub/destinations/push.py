"""The push run: issued invoices and credit notes go to a destination exactly once, or visibly not.

Per connection, each run:

1. reads the due pushes and builds each invoice for the provider from the *confirmed* mappings; an
   invoice whose customer, item or tax rate is not mapped is ``blocked`` with the reason (nothing is
   sent). A taxed line carries the code mapped for its rate and the tax the hub computed, so the
   provider's total is the hub's; an invoice taxed at several rates at once is blocked (one code
   per line cannot carry them without the provider recomputing);
2. claims the rest (``pushing``, attempts + 1) and commits **before** calling the provider, so a
   crash or timeout leaves a record that an attempt may have reached it;
3. sends them in batches of the plugin's ``max_batch`` with an idempotency key made of the
   connection's prefix, the invoice id and the push's ``generation``. A retry (after a timeout, a
   5xx, a crash) sends the same key, so the provider answers with the invoice it already made. The
   generation moves on only after the provider *refused* an attempt, when nothing was created;
4. records each answer: ``pushed`` with the external id and number, ``blocked`` with the provider's
   reason and field, or ``retrying`` with exponential backoff (``Retry-After`` when longer);
5. voids at the provider the pushed invoices voided in the hub.

Credit notes take the same way (``DestinationPush.credit_note_id``), after the invoices of the run: a credit
note waits (queued, saying so) until the invoice it credits reached the destination, and goes with that
invoice's external id; a destination whose plugin has no ``hub_destination_push_credit_notes`` marks it
``unsupported`` (never pushed).

Refused credentials stop the connection's run and leave its pushes queued: the connection shows
*needs reconnect*, and nothing is lost. Every push, retry, refusal and void is audited.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from hub.audit import Actor, record
from hub.billing.money import line_amount
from hub.destinations import mappings, tokens
from hub.destinations.calls import call_with_auth
from hub.destinations.connections import handle_for
from hub.extensions import db
from hub.models import (ConnectionState, CreditNote, CreditNoteLine, DestinationConnection, DestinationPush, Invoice,
                        InvoiceLine, MappingKind, PushState, TaxRate)
from hub.plugins import (CreditNoteToPush, InvoiceToPush, LineToPush, PushRejected, PushResult, VendorAuthError,
                         VendorError)
from hub.timeutil import utcnow

log = logging.getLogger("hub.destinations")

ACTOR = Actor.system("push run")
#: a push left ``pushing`` this long (its process died mid-call) is tried again, with the same key
STALE_CLAIM = timedelta(minutes=10)
FIRST_RETRY = timedelta(minutes=1)
MAX_RETRY = timedelta(hours=6)


@dataclass
class PushReport:
    slug: str
    pushed: list[int] = field(default_factory=list)      # invoice ids
    blocked: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    voided: list[int] = field(default_factory=list)
    stopped: str | None = None                           # why the run stopped early
    #: the credit notes' outcomes: "pushed", "blocked", "retrying", "waiting", "unsupported" -> credit note ids
    credit_notes: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))

    def tally(self, push: DestinationPush, outcome: str) -> None:
        kind, doc_id = push.entity
        (getattr(self, outcome) if kind == "invoice" else self.credit_notes[outcome]).append(doc_id)


Document = InvoiceToPush | CreditNoteToPush


def document_id(document: Document) -> int:
    """The hub id a plugin's answer names (``PushResult.invoice_id``): the invoice's, or the credit note's."""
    return document.credit_note_id if isinstance(document, CreditNoteToPush) else document.invoice_id


def idempotency_key(connection: DestinationConnection, push: DestinationPush) -> str:
    """At most 36 characters (QBO batch's limit for requestid); a credit note's carries a "c" before its id."""
    document = f"c{push.credit_note_id}" if push.credit_note_id is not None else str(push.invoice_id)
    return f"hub-{connection.key_prefix}-{document}-g{push.generation}"


def run_pushes(slug: str | None = None, *, session_options: dict[str, Any] | None = None) -> list[PushReport]:
    """One push run over every enabled, connected destination (or the one named). Commits."""
    reports = []
    query = db.select(DestinationConnection.slug).where(DestinationConnection.enabled.is_(True),
                                                        DestinationConnection.state == ConnectionState.CONNECTED.value)
    if slug is not None:
        query = query.where(DestinationConnection.slug == slug)
    for connection_slug in list(db.session.execute(query.order_by(DestinationConnection.slug)).scalars()):
        connection = db.session.execute(db.select(DestinationConnection).filter_by(slug=connection_slug)).scalar_one()
        report = PushReport(connection_slug)
        try:
            _send_due(connection, report, session_options or {})
            _void_requested(connection, report, session_options or {})
        except VendorAuthError as err:
            db.session.rollback()
            report.stopped = err.message
        reports.append(report)
    return reports


# -- sending ---------------------------------------------------------------------------------------


def _due(connection: DestinationConnection, now: datetime) -> list[DestinationPush]:
    ready = db.and_(DestinationPush.state.in_([PushState.QUEUED.value, PushState.RETRYING.value]),
                    db.or_(DestinationPush.next_attempt_at.is_(None), DestinationPush.next_attempt_at <= now))
    stale = db.and_(DestinationPush.state == PushState.PUSHING.value, DestinationPush.claimed_at < now - STALE_CLAIM)
    return list(db.session.execute(
        db.select(DestinationPush).where(DestinationPush.connection_id == connection.id, db.or_(ready, stale))
        .order_by(DestinationPush.id)).scalars())


def _send_due(connection: DestinationConnection, report: PushReport, session_options: dict) -> None:
    handle = handle_for(connection.slug)
    tokens.fresh_auth(connection.id)  # a refused refresh stops the run here, before anything is claimed
    due = _due(connection, utcnow())
    invoices = [p for p in due if p.credit_note_id is None]
    maps = _maps(connection, invoices)
    _send_built(connection, [(p, _build(connection, p, maps)) for p in invoices], "push_invoices", report,
                session_options)
    notes = [p for p in due if p.credit_note_id is not None]
    if not notes:
        return
    if not handle.can_push_credit_notes():
        for push in notes:
            _unsupported(connection, push, report)
        db.session.commit()
        return
    # after this run's invoices: a credit note whose invoice just went goes in the same run
    maps = _maps(connection, notes)
    built = []
    for push in notes:
        document = _build_credit_note(connection, push, maps)
        if isinstance(document, _Wait):
            _wait(push, document.reason, report)
        else:
            built.append((push, document))
    _send_built(connection, built, "push_credit_notes", report, session_options)


def _send_built(connection: DestinationConnection, built: list[tuple[DestinationPush, Document | str]], hook: str,
                report: PushReport, session_options: dict) -> None:
    """Block what cannot go (the reason names its field), then claim and send the rest in batches."""
    batch_size = handle_for(connection.slug).info.max_batch
    ready: list[tuple[DestinationPush, Document]] = []
    for push, document in built:
        if isinstance(document, str):
            _block(push, document, _field_of(document), report)
        else:
            ready.append((push, document))
    db.session.commit()
    for start in range(0, len(ready), batch_size):
        chunk = ready[start:start + batch_size]
        claimed = _claim([p.id for p, _ in chunk])
        db.session.commit()  # the claim is on disk before the provider hears of the documents
        batch = [(p, doc) for p, doc in chunk if p.id in claimed]
        if batch:
            _send(connection, batch, hook, report, session_options)


def _claim(push_ids: list[int]) -> set[int]:
    """Move these pushes to ``pushing`` (attempts + 1) where they are still claimable: another run
    may have taken some meanwhile. One statement for the batch; returns the ids claimed."""
    now = utcnow()
    table = DestinationPush.__table__
    claimable = db.or_(table.c.state.in_([PushState.QUEUED.value, PushState.RETRYING.value]),
                       db.and_(table.c.state == PushState.PUSHING.value, table.c.claimed_at < now - STALE_CLAIM))
    return set(db.session.execute(
        db.update(table).where(table.c.id.in_(push_ids), claimable)
        .values(state=PushState.PUSHING.value, claimed_at=now, attempts=table.c.attempts + 1, updated_at=now)
        .returning(table.c.id)).scalars())


def _reload(batch: list[tuple[DestinationPush, Document]]) -> list[DestinationPush]:
    """The batch's rows as they are now, in one query."""
    ids = [p.id for p, _ in batch]
    fresh = {p.id: p for p in db.session.execute(db.select(DestinationPush).where(DestinationPush.id.in_(ids))
                                                 .execution_options(populate_existing=True)).scalars()}
    return [fresh[i] for i in ids]


def _send(connection: DestinationConnection, batch: list[tuple[DestinationPush, Document]], hook: str,
          report: PushReport, session_options: dict) -> None:
    documents = [doc for _, doc in batch]
    try:
        answers = call_with_auth(connection, lambda h, c, s, a: getattr(h, hook)(c, s, a, documents), **session_options)
    except VendorAuthError as err:
        db.session.rollback()
        for push in _reload(batch):  # refused credentials created nothing: back in the queue as they were
            push.state, push.attempts = PushState.QUEUED.value, push.attempts - 1
            push.last_error = f"waiting for the connection: {err.message}"
        _needs_reconnect(connection, err)
        db.session.commit()
        raise
    except VendorError as err:
        db.session.rollback()
        for push in _reload(batch):
            _retry(push, err.message, getattr(err, "retry_after", None), report)
        db.session.commit()
        return
    by_document = {a.invoice_id: a for a in answers if isinstance(a, (PushResult, PushRejected))}
    totals = {document_id(doc): doc.total for doc in documents}
    for push in _reload(batch):
        _, doc_id = push.entity
        answer = by_document.get(doc_id)
        if isinstance(answer, PushResult):
            _pushed(connection, push, answer, report)
            _check_total(connection, push, answer, totals[doc_id])
        elif isinstance(answer, PushRejected):
            push.generation += 1  # refused: nothing was made, and the next attempt must not get this answer back
            _block(push, answer.message, answer.field, report, rejected=True)
        else:
            _retry(push, f"the plugin gave no answer for this {_noun(push)}", None, report)
    db.session.commit()


def _needs_reconnect(connection: DestinationConnection, err: VendorAuthError) -> None:
    db.session.refresh(connection)
    if connection.state != ConnectionState.NEEDS_RECONNECT.value:
        record(ACTOR, "destination.needs_reconnect", "destination", connection.id, field="state",
               old=connection.state, new=ConnectionState.NEEDS_RECONNECT.value, details={"reason": err.message})
        connection.state = ConnectionState.NEEDS_RECONNECT.value
        connection.state_message = f"The provider refused the connection ({err.message}); connect again."


def _pushed(connection, push: DestinationPush, answer: PushResult, report: PushReport) -> None:
    old = push.state
    push.state = PushState.PUSHED.value
    push.external_id, push.external_number = str(answer.external_id), str(answer.external_number)
    push.external_url = answer.url
    push.pushed_at, push.last_error, push.error_field, push.next_attempt_at = utcnow(), None, None, None
    if push.void_requested_at is not None:
        push.next_attempt_at = utcnow()
    record(ACTOR, "destination.push", *push.entity, field=connection.slug, old=old,
           new=push.external_number, details={"external_id": push.external_id, "attempt": push.attempts,
                                              "generation": push.generation})
    report.tally(push, "pushed")


def _check_total(connection, push: DestinationPush, answer: PushResult, total: Decimal) -> None:
    """The provider holds the document now; if its total is not the hub's, say so on the push (and in the
    audit) so a person corrects it there: pushing again would not change what it computed."""
    if answer.total is None or Decimal(answer.total) == total:
        return
    push.last_error = (f"total: {handle_for(connection.slug).info.display_name} holds this {_noun(push)} with "
                       f"total {answer.total}, the hub's is {total}; correct it there")
    push.error_field = "total"
    record(ACTOR, "destination.total_mismatch", *push.entity, field=connection.slug,
           old=str(total), new=str(answer.total), details={"external_id": push.external_id})


def _block(push: DestinationPush, reason: str, field_: str | None, report: PushReport, rejected: bool = False) -> None:
    old = push.state
    push.state = PushState.BLOCKED.value
    push.last_error, push.error_field, push.next_attempt_at = reason[:2000], (field_ or None), None
    if old != push.state or rejected:
        record(ACTOR, "destination.push_rejected" if rejected else "destination.push_blocked", *push.entity,
               field="push", old=old, new=push.state,
               details={"connection_id": push.connection_id, "reason": reason[:500], "field": field_})
    report.tally(push, "blocked")


def _next_attempt(attempts: int, retry_after: float | None) -> datetime:
    """Exponential backoff from one minute, capped at six hours; the provider's Retry-After when longer."""
    wait = min(MAX_RETRY, FIRST_RETRY * (2 ** max(0, attempts - 1)))
    return utcnow() + max(wait, timedelta(seconds=retry_after or 0))


def _retry(push: DestinationPush, reason: str, retry_after: float | None, report: PushReport) -> None:
    old = push.state
    push.state = PushState.RETRYING.value
    push.last_error, push.next_attempt_at = reason[:2000], _next_attempt(push.attempts, retry_after)
    record(ACTOR, "destination.push_retry", *push.entity, field="push", old=old, new=push.state,
           details={"connection_id": push.connection_id, "reason": reason[:500], "attempt": push.attempts,
                    "next_attempt_at": push.next_attempt_at.isoformat(timespec="seconds")})
    report.tally(push, "retrying")


def _wait(push: DestinationPush, reason: str, report: PushReport) -> None:
    """A credit note whose invoice has not reached the destination yet stays queued, saying why (audited
    once per reason, not every minute)."""
    if push.last_error != reason:
        push.last_error, push.error_field = reason, "invoice"
        record(ACTOR, "destination.push_waiting", *push.entity, field="push", old=push.state, new=push.state,
               details={"connection_id": push.connection_id, "reason": reason})
    report.tally(push, "waiting")


def _unsupported(connection: DestinationConnection, push: DestinationPush, report: PushReport) -> None:
    old = push.state
    push.state, push.next_attempt_at = PushState.UNSUPPORTED.value, None
    push.last_error = (f"{handle_for(connection.slug).info.display_name} does not take credit notes from the hub "
                       f"(its plugin has no hub_destination_push_credit_notes); enter it there by hand")
    record(ACTOR, "destination.push_unsupported", *push.entity, field="push", old=old, new=push.state,
           details={"connection_id": push.connection_id})
    report.tally(push, "unsupported")


def _noun(push: DestinationPush) -> str:
    return push.entity[0].replace("_", " ")


def _field_of(reason: str) -> str:
    return reason.split(":", 1)[0] if ":" in reason else "mapping"


# -- building the invoice for the provider ----------------------------------------------------------


@dataclass
class _Maps:
    """What a run needs to build every due document: read once per run, not once per document."""

    customers: dict[str, str]
    items: dict[str, str]
    taxes: dict[str, str]
    rate_ids: dict[str, int]  # tax rate name -> id (an issued invoice's summary names its rates)
    invoices: dict[int, Invoice]
    lines: dict[int, list[InvoiceLine]]
    #: credit note pushes: the credit notes, their lines, the credited invoice lines (by id), and the
    #: credited invoices' pushes to this destination (invoice id -> push)
    notes: dict[int, CreditNote] = field(default_factory=dict)
    note_lines: dict[int, list[CreditNoteLine]] = field(default_factory=dict)
    credited_lines: dict[int, InvoiceLine] = field(default_factory=dict)
    invoice_pushes: dict[int, DestinationPush] = field(default_factory=dict)


def _chunks(ids: list[int], size: int = 500):
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def _maps(connection: DestinationConnection, pushes: list[DestinationPush]) -> _Maps:
    notes, note_lines, credited_lines, invoice_pushes = {}, {}, {}, {}
    for chunk in _chunks([p.credit_note_id for p in pushes if p.credit_note_id is not None]):
        notes.update({n.id: n for n in db.session.execute(
            db.select(CreditNote).where(CreditNote.id.in_(chunk))).scalars()})
        for line in db.session.execute(db.select(CreditNoteLine).where(CreditNoteLine.credit_note_id.in_(chunk))
                                       .order_by(CreditNoteLine.credit_note_id, CreditNoteLine.position)).scalars():
            note_lines.setdefault(line.credit_note_id, []).append(line)
    for chunk in _chunks([ln.invoice_line_id for lines in note_lines.values() for ln in lines]):
        credited_lines.update({ln.id: ln for ln in db.session.execute(
            db.select(InvoiceLine).where(InvoiceLine.id.in_(chunk))).scalars()})
    for chunk in _chunks(sorted({n.invoice_id for n in notes.values()})):
        invoice_pushes.update({p.invoice_id: p for p in db.session.execute(db.select(DestinationPush).where(
            DestinationPush.connection_id == connection.id, DestinationPush.invoice_id.in_(chunk))).scalars()})
    pushed_ids = [p.invoice_id for p in pushes if p.invoice_id is not None]
    invoices, lines = {}, {}
    for chunk in _chunks(pushed_ids + [n.invoice_id for n in notes.values()]):
        invoices.update({i.id: i for i in db.session.execute(db.select(Invoice).where(Invoice.id.in_(chunk))).scalars()})
    for chunk in _chunks(pushed_ids):  # a credit note's lines are its own (note_lines)
        for line in db.session.execute(db.select(InvoiceLine).where(InvoiceLine.invoice_id.in_(chunk))
                                       .order_by(InvoiceLine.invoice_id, InvoiceLine.position)).scalars():
            lines.setdefault(line.invoice_id, []).append(line)
    return _Maps(mappings.confirmed(connection.id, MappingKind.CUSTOMER),
                 mappings.confirmed(connection.id, MappingKind.ITEM),
                 mappings.confirmed(connection.id, MappingKind.TAX),
                 dict(db.session.execute(db.select(TaxRate.name, TaxRate.id)).all()), invoices, lines,
                 notes, note_lines, credited_lines, invoice_pushes)


def _tax_code(invoice: Invoice, maps: _Maps, info) -> tuple[str | None, str | None]:
    """(the code for this invoice's taxed lines, None) or (None, why it cannot go)."""
    rates = [r for r in invoice.tax_summary or [] if Decimal(str(r.get("tax") or "0")) != 0]
    names = [str(r["name"]) for r in rates]
    if len(rates) > 1:
        return None, (f"tax: the invoice is taxed at {len(rates)} rates at once ({', '.join(names)}); "
                      f"{info.display_name} takes one tax code per line, so it cannot carry the hub's tax exactly")
    rate_id = maps.rate_ids.get(names[0]) if rates else None
    code = maps.taxes.get(str(rate_id)) if rate_id is not None else None
    if code is None:
        return None, (f"tax: tax rate {names[0] if rates else '?'!r} is not mapped to a {info.display_name} tax "
                      f"code (map it on the destination's tax code page)")
    return code, None


def _build(connection: DestinationConnection, push: DestinationPush, maps: _Maps) -> InvoiceToPush | str:
    """The invoice in the provider's ids, or why it cannot go (a reason starting with its field)."""
    invoice = maps.invoices[push.invoice_id]
    lines = _mapped(connection, invoice, [(ln, ln.product_id, ln.taxable) for ln in maps.lines.get(invoice.id, [])],
                    maps)
    if isinstance(lines, str):
        return lines
    customer, lines = lines
    return InvoiceToPush(invoice_id=invoice.id, number=str(invoice.number), invoice_date=invoice.invoice_date,
                         due_date=invoice.due_date, currency=invoice.currency, customer_external_id=customer,
                         lines=tuple(lines), total=invoice.total, idempotency_key=idempotency_key(connection, push),
                         memo=invoice.memo, attempt=push.attempts + 1, tax_total=invoice.tax_total)


@dataclass(frozen=True)
class _Wait:
    reason: str


#: the credited invoice's push in these states: the invoice is not at the provider yet, but will be
NOT_YET = {PushState.QUEUED.value, PushState.PUSHING.value, PushState.RETRYING.value, PushState.BLOCKED.value}


def _build_credit_note(connection: DestinationConnection, push: DestinationPush,
                       maps: _Maps) -> CreditNoteToPush | str | _Wait:
    """The credit note in the provider's ids; why it cannot go (a reason starting with its field); or
    ``_Wait`` while the invoice it credits has not reached this destination (order matters there)."""
    from hub.billing.credit_notes import label

    note = maps.notes[push.credit_note_id]
    invoice = maps.invoices[note.invoice_id]
    invoice_push = maps.invoice_pushes.get(invoice.id)
    if invoice_push is not None and invoice_push.state in NOT_YET:
        return _Wait(f"invoice: waits for invoice {invoice.number} to reach "
                     f"{handle_for(connection.slug).info.display_name} first (it is {invoice_push.state})")
    rows = []
    for line in maps.note_lines.get(note.id, []):
        credited = maps.credited_lines.get(line.invoice_line_id)
        rows.append((line, credited.product_id if credited else None, credited.taxable if credited else True))
    mapped = _mapped(connection, invoice, rows, maps)
    if isinstance(mapped, str):
        return mapped
    customer, lines = mapped
    linked = invoice_push.external_id if invoice_push is not None and invoice_push.state == PushState.PUSHED.value \
        else None
    return CreditNoteToPush(credit_note_id=note.id, number=label(note.number), credit_date=note.credit_date,
                            currency=note.currency, customer_external_id=customer, lines=tuple(lines),
                            total=note.total, tax_total=note.tax_total,
                            idempotency_key=idempotency_key(connection, push), attempt=push.attempts + 1,
                            invoice_number=str(invoice.number), invoice_external_id=linked, reason=note.reason)


def _mapped(connection: DestinationConnection, invoice: Invoice, rows: list, maps: _Maps) -> tuple[str, list] | str:
    """(the customer's external id, the lines) of a document of ``invoice`` (the invoice itself, or a
    credit note of some of its lines), or why it cannot go. ``rows``: (line, product id, taxable)."""
    info = handle_for(connection.slug).info
    customer = maps.customers.get(str(invoice.organization_id))
    if customer is None:
        return (f"customer: Organization {invoice.organization.name!r} is not mapped to a {info.display_name} "
                f"{info.customer_noun} (map it on the destination's customer page)")
    lines = []
    taxed_code = None
    if any(line.tax_amount for line, _, _ in rows):
        taxed_code, reason = _tax_code(invoice, maps, info)
        if reason is not None:
            return reason
    for line, product_id, taxable in rows:
        item = maps.items.get(str(product_id)) if product_id is not None else None
        if item is None:
            return (f"item: product {line.product_code!r} (line {line.position}) is not mapped to a "
                    f"{info.display_name} {info.item_noun}")
        lines.append(LineToPush(description=line.description, quantity=line.quantity, unit_price=line.unit_price,
                                amount=line_amount(line.quantity, line.unit_price), item_external_id=item,
                                tax_code_external_id=taxed_code if line.tax_amount else maps.taxes.get(mappings.NO_TAX),
                                item_code=line.product_code, taxable=taxable, tax_amount=line.tax_amount))
    return customer, lines


# -- voids ------------------------------------------------------------------------------------------


def _void_requested(connection: DestinationConnection, report: PushReport, session_options: dict) -> None:
    now = utcnow()
    pushes = list(db.session.execute(db.select(DestinationPush).where(
        DestinationPush.connection_id == connection.id, DestinationPush.state == PushState.PUSHED.value,
        DestinationPush.void_requested_at.is_not(None),
        db.or_(DestinationPush.next_attempt_at.is_(None), DestinationPush.next_attempt_at <= now))).scalars())
    for push in pushes:
        external_id = push.external_id
        try:
            call_with_auth(connection, lambda h, c, s, a: h.void_invoice(c, s, a, external_id), **session_options)
        except VendorAuthError as err:
            db.session.rollback()
            _needs_reconnect(connection, err)
            db.session.commit()
            raise
        except VendorError as err:
            db.session.rollback()
            db.session.refresh(push)
            push.attempts += 1
            push.last_error = f"void failed: {err.message}"[:2000]
            push.next_attempt_at = _next_attempt(push.attempts, getattr(err, "retry_after", None))
            record(ACTOR, "destination.void_retry", *push.entity, field=connection.slug,
                   details={"reason": err.message[:500], "external_id": external_id})
            db.session.commit()
            continue
        db.session.refresh(push)
        push.state, push.voided_at, push.last_error, push.next_attempt_at = PushState.VOIDED.value, utcnow(), None, None
        record(ACTOR, "destination.void", *push.entity, field=connection.slug, old=PushState.PUSHED.value,
               new=PushState.VOIDED.value, details={"external_id": external_id})
        report.tally(push, "voided")
        db.session.commit()
