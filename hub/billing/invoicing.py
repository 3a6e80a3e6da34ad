"""The invoice run: one invoice per due recurring invoice and period, never two, even from two processes.

Each batch is one transaction that first *claims* its recurring invoices: a single UPDATE moves
each ``next_run_date`` on, but only where it still holds the date this run read. On PostgreSQL the
row locks make a concurrent run wait and then find nothing to claim; on SQLite the write lock does
the same. The unique constraint on (recurring_invoice_id, period_start) backs the claim up. A batch
that loses a race is rolled back and retried one recurring invoice at a time, re-reading each.
Missed periods are caught up one round at a time, each period with its own invoice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.exc import DBAPIError, IntegrityError

from hub.audit import Actor, audit_event, record_many
from hub.billing import numbering, one_off, period_counts, proration, validate
from hub.billing.bulk_read import collections_paused
from hub.billing.errors import BillingError
from hub.billing.money import ZERO, fmt_money
from hub.billing.pricing import PricedLine, price_lines
from hub.billing.schedule import Period, next_run, period_for
from hub.billing.tax import TaxedLines, rates_for, tax_lines
from hub.events import invoices_issued
from hub.extensions import db
from hub.models import Invoice, InvoiceLine, InvoiceStatus, Product, RecurringInvoice
from hub.timeutil import utcnow
from hub.webhooks import emitters

log = logging.getLogger("hub.billing")

# Core tables for bulk writes: the ORM splits a bulk INSERT wherever rows differ in which values are None
RECURRING = RecurringInvoice.__table__
INVOICES = Invoice.__table__
INVOICE_LINES = InvoiceLine.__table__
BATCH = 200
#: catch-up limit per run: 400 missed periods (33 years of monthly runs)
MAX_ROUNDS = 400


@dataclass
class RunResult:
    run_date: date
    issued: list[int] = field(default_factory=list)  # invoice ids
    drafts: list[int] = field(default_factory=list)
    #: (recurring invoice id, run date) with nothing to bill: no invoice, the date moved on
    empty: list[tuple[int, date]] = field(default_factory=list)
    #: (recurring invoice id, why) left alone: an error, or a period that already had its invoice
    skipped: list[tuple[int, str]] = field(default_factory=list)


class _Conflict(Exception):
    """Another run claimed part of the batch first."""


@dataclass
class _Plan:
    recurring: Any  # a row of recurring_invoices
    run_date: date
    period: Period
    advance_to: date
    lines: list[PricedLine]
    #: the void invoice this one bills again (void-and-reissue)
    replaces: int | None = None
    taxes: TaxedLines | None = None
    #: pending one-off charges this invoice bills (after the recurring lines)
    charges: list[one_off.ChargeLine] = field(default_factory=list)

    @property
    def all_lines(self) -> list[PricedLine]:
        return self.lines + [c.line for c in self.charges]

    @property
    def review(self) -> list[str]:
        """Why this invoice must wait as a draft for a person (a period basis with no count history)."""
        return [f"{ln.description}: {ln.needs_review}" for ln in self.lines if ln.needs_review]


def run_due_invoices(today: date | None = None, actor: Actor | None = None, *, recurring_ids=None,
                     batch_size: int = BATCH) -> RunResult:
    """Issue (or draft, when ``auto_issue`` is off) every invoice due on or before ``today`` (UTC).

    Safe to run twice and from several processes at once. Commits per batch.
    """
    today = today or utcnow().date()
    actor = actor or Actor.system("invoice run")
    result = RunResult(today)
    db.session.commit()
    failed: set[int] = set()
    for _round in range(MAX_ROUNDS):
        due = [d for d in _due(today, recurring_ids) if d[0] not in failed]
        if not due:
            break
        with collections_paused():
            counts = _Counts(today, _round_tracks(due, today))
        for start in range(0, len(due), batch_size):
            batch = due[start:start + batch_size]
            if _attempt(batch, actor, result, counts) == "ok":
                continue
            for item in batch:  # someone else took part of it, or one of them fails: go one by one
                outcome = _attempt([item], actor, result, counts)
                if outcome == "ok" or (outcome == "conflict" and _resolve_conflict(*item, actor, result)):
                    continue
                failed.add(item[0])
                result.skipped.append((item[0], "could not claim it (database busy?)" if outcome == "conflict"
                                       else outcome))
    return result


def issue_now(recurring_id: int, actor: Actor, today: date | None = None) -> RunResult:
    """The invoice run for one recurring invoice, today: only when it is active and due (never two
    invoices for one period). Raises BillingError naming ``recurring_id`` when it is not due."""
    from hub.billing import validate
    from hub.billing.errors import BillingError

    item = validate.existing(RecurringInvoice, recurring_id, "recurring_id")
    today = today or utcnow().date()
    if not item.active or item.next_run_date > today:
        raise BillingError(f"Not due: the next invoice is due on {item.next_run_date.isoformat()}"
                           f"{'' if item.active else ' and this recurring invoice is inactive'}.", "recurring_id")
    return run_due_invoices(today, actor, recurring_ids=[item.id])


def _due(today: date, recurring_ids) -> list[tuple[int, date]]:
    query = (db.select(RecurringInvoice.id, RecurringInvoice.next_run_date)
             .where(RecurringInvoice.active.is_(True), RecurringInvoice.next_run_date <= today)
             .order_by(RecurringInvoice.id))
    if recurring_ids is not None:
        query = query.where(RecurringInvoice.id.in_(list(recurring_ids)))
    due = [(rid, run_date) for rid, run_date in db.session.connection().execute(query).all()]  # Core rows
    db.session.rollback()  # end the read: each claim starts a transaction of its own
    return due


@dataclass(frozen=True)
class _Counts:
    """What period-basis lines are measured with in one round of a run: the day, and the count history
    of every due invoice's period, read once (``period_counts.tracks_for_invoices``)."""

    as_of: date
    tracks: dict


def _round_tracks(due: list[tuple[int, date]], today: date) -> dict:
    run_dates = dict(due)
    periods, rows = {}, []
    ids = sorted(run_dates)
    for start in range(0, len(ids), period_counts.ORG_CHUNK):
        for r in db.session.connection().execute(  # Core rows: no ORM loading
                db.select(RECURRING.c.id, RECURRING.c.organization_id, RECURRING.c.frequency, RECURRING.c.period_mode,
                          RECURRING.c.anchor_day, RECURRING.c.proration)
                .where(RECURRING.c.id.in_(ids[start:start + period_counts.ORG_CHUNK]))):
            rows.append(r)
            periods[r.id] = period_for(run_dates[r.id], r.frequency, r.period_mode, r.anchor_day)
    tracks = period_counts.tracks_for_invoices(periods, today, proration.wanted(rows, periods))
    db.session.rollback()  # a read only: each claim starts a transaction of its own
    return tracks


def _attempt(batch: list[tuple[int, date]], actor: Actor, result: RunResult, counts: _Counts) -> str:
    """"ok", "conflict", or an error message; the transaction is committed or rolled back."""
    try:
        with collections_paused():  # the batch's objects live to its end (bulk_read)
            made = _issue_batch(batch, actor, counts)
            db.session.commit()
    except (_Conflict, one_off.ChargeTaken, DBAPIError) as err:
        db.session.rollback()
        if isinstance(err, (_Conflict, one_off.ChargeTaken)) or _is_race(err):
            return "conflict"
        log.exception("invoice run failed for recurring invoices %s", [b[0] for b in batch])
        return f"{type(err).__name__}: {err}"
    except Exception as err:  # a bug in one recurring invoice must not stop the others
        db.session.rollback()
        log.exception("invoice run failed for recurring invoices %s", [b[0] for b in batch])
        return f"{type(err).__name__}: {err}"
    for kind, value in made:
        getattr(result, kind).append(value)
    return "ok"


def _is_race(err: DBAPIError) -> bool:
    """Unique violations, lock timeouts and deadlocks: what a concurrent run causes."""
    if isinstance(err, IntegrityError):
        return True
    text = str(err.orig).lower()
    return any(word in text for word in ("locked", "deadlock", "could not serialize", "lock timeout"))


def _plans(batch: list[tuple[int, date]], counts: _Counts) -> list[_Plan]:
    ids = [rid for rid, _ in batch]
    recurring = {r.id: r for r in db.session.execute(db.select(RECURRING).where(RECURRING.c.id.in_(ids)))}
    periods = {}
    for rid, run_date in batch:
        r = recurring.get(rid)
        if r is None or not r.active or r.next_run_date != run_date:
            raise _Conflict()
        periods[rid] = period_for(run_date, r.frequency, r.period_mode, r.anchor_day)
    # each invoice bills its own period's counts (catch-up and in arrears too), never today's
    priced = price_lines(ids, periods, as_of=counts.as_of, tracks=counts.tracks)
    prorated = proration.proration_lines(list(recurring.values()), periods, priced, counts.as_of, counts.tracks)
    plans = [_Plan(recurring[rid], run_date, periods[rid], next_run(run_date, recurring[rid].frequency,
                                                                   recurring[rid].anchor_day),
                   [ln for ln in priced.get(rid, ()) if ln.on_invoice] + prorated.get(rid, []))
             for rid, run_date in batch]
    charges = one_off.pending_for([p.recurring for p in plans])
    for p in plans:
        p.charges = charges.get(p.recurring.id, [])
    return plans


def _claim(plans: list[_Plan]) -> None:
    """Move each next_run_date on, where it still is what we read. Must be the transaction's first write."""
    claimed = db.session.execute(
        db.update(RECURRING).where(RECURRING.c.id == bindparam("_id"), RECURRING.c.next_run_date == bindparam("_seen"))
        .values(next_run_date=bindparam("_next"), updated_at=utcnow()),
        [{"_id": p.recurring.id, "_seen": p.run_date, "_next": p.advance_to} for p in plans]).rowcount
    if claimed != len(plans):  # both drivers report the sum over an executemany
        raise _Conflict()


def _issue_batch(batch: list[tuple[int, date]], actor: Actor, counts: _Counts) -> list[tuple[str, object]]:
    plans = _plans(batch, counts)
    _claim(plans)
    now = utcnow()
    made: list[tuple[str, object]] = [("empty", (p.recurring.id, p.run_date)) for p in plans if not p.all_lines]
    plans = [p for p in plans if p.all_lines]
    if not plans:
        return made
    return made + _write_invoices(plans, actor, now)


def _write_invoices(plans: list[_Plan], actor: Actor, now) -> list[tuple[str, object]]:
    """Insert the invoices of ``plans`` with their lines and taxes, number the auto-issued ones, audit each."""
    made: list[tuple[str, object]] = []
    rates = rates_for(p.recurring.organization_id for p in plans)
    for p in plans:
        p.taxes = tax_lines([(ln.amount, ln.taxable) for ln in p.all_lines],
                            rates.get(p.recurring.organization_id, []))
    # one invoice per recurring invoice per batch: match ids by it (unordered RETURNING stays batched)
    by_recurring = dict(db.session.execute(
        db.insert(INVOICES).returning(INVOICES.c.recurring_invoice_id, INVOICES.c.id),
        [_invoice_row(p, actor, now) for p in plans]).all())
    ids = [by_recurring[p.recurring.id] for p in plans]
    # RETURNING makes this one multi-row INSERT per 1000 lines (not an executemany of single rows), so
    # PostgreSQL's statement-level guard on invoice_lines runs once per batch
    costs = unit_costs({ln.product_id for p in plans for ln in p.lines})
    db.session.execute(db.insert(INVOICE_LINES).returning(INVOICE_LINES.c.id), [
        _line_row(invoice_id, n, ln, p.taxes.line_taxes[n - 1], costs.get(ln.product_id))
        for invoice_id, p in zip(ids, plans) for n, ln in enumerate(p.lines, 1)] + [
        charge_line_row(invoice_id, len(p.lines) + n, c, p.taxes.line_taxes[len(p.lines) + n - 1])
        for invoice_id, p in zip(ids, plans) for n, c in enumerate(p.charges, 1)])
    one_off.claim([(c.charge_id, invoice_id) for invoice_id, p in zip(ids, plans) for c in p.charges], now)
    # a line that could not be measured over its period holds its invoice as a draft for a person
    to_issue = [(invoice_id, p) for invoice_id, p in zip(ids, plans) if p.recurring.auto_issue and not p.review]
    numbers = numbering.allocate(len(to_issue))
    if to_issue:
        db.session.execute(
            db.update(INVOICES).where(INVOICES.c.id == bindparam("_id"))
            .values(status=InvoiceStatus.ISSUED.value, number=bindparam("_number"), issued_at=now),
            [{"_id": invoice_id, "_number": number} for (invoice_id, _), number in zip(to_issue, numbers)])
    issued = {invoice_id: number for (invoice_id, _), number in zip(to_issue, numbers)}
    audits, events = [], []
    for invoice_id, p in zip(ids, plans):
        number = issued.get(invoice_id)
        if number:
            events.append({"invoice_id": invoice_id, "number": number, "organization_id": p.recurring.organization_id,
                           "recurring_invoice_id": p.recurring.id, "period_start": p.period.start,
                           "period_end": p.period.end, "total": sum((ln.amount for ln in p.all_lines), ZERO),
                           "currency": p.recurring.currency, "issued_at": now})
        audits.append(audit_event(
            actor, "invoice.issue" if number else "invoice.draft", "invoice", invoice_id, field="total",
            new=fmt_money(sum((ln.amount for ln in p.all_lines), ZERO) + p.taxes.total), at=now,
            details={"number": number, "recurring_invoice_id": p.recurring.id,
                     "organization_id": p.recurring.organization_id, "period_start": p.period.start.isoformat(),
                     "period_end": p.period.end.isoformat(), "lines": len(p.all_lines),
                     "one_off_charge_ids": [c.charge_id for c in p.charges] or None,
                     "next_run_date": p.advance_to.isoformat(), "replaces": p.replaces,
                     **({"needs_review": p.review} if p.review else {}),
                     **({"bases": {str(ln.recurring_line_id): ln.measure.note for ln in p.lines if ln.measure}}
                        if any(ln.measure for ln in p.lines) else {})}))
        made.append(("issued" if number else "drafts", invoice_id))
    record_many(audits)
    emitters.invoices_issued(events)
    if issued:
        invoices_issued.send(None, invoice_ids=list(issued), actor=actor)
    return made


def _invoice_row(p: _Plan, actor: Actor, now) -> dict:
    subtotal = sum((ln.amount for ln in p.all_lines), ZERO)
    taxable = sum((ln.amount for ln in p.all_lines if ln.taxable), ZERO)
    tax = p.taxes.total
    r = p.recurring
    return dict(status=InvoiceStatus.DRAFT.value, recurring_invoice_id=r.id, organization_id=r.organization_id,
                period_start=p.period.start, period_end=p.period.end, invoice_date=p.run_date,
                due_date=p.run_date + timedelta(days=r.due_days), currency=r.currency, memo=r.memo,
                subtotal=subtotal, taxable_subtotal=taxable, tax_total=tax,
                tax_summary=[t.as_dict() for t in p.taxes.summary], total=subtotal + tax, created_at=now,
                created_by=actor.label)


def unit_costs(product_ids) -> dict[int, object]:
    """product id -> its unit cost now (what an invoice line issued now keeps)."""
    ids = sorted(i for i in product_ids if i is not None)
    return dict(db.session.execute(db.select(Product.id, Product.unit_cost).where(Product.id.in_(ids))).all()) \
        if ids else {}


def charge_line_row(invoice_id: int, position: int, charge: one_off.ChargeLine, tax) -> dict:
    """A one-off charge's invoice line: its own unit cost, and its id as evidence."""
    row = _line_row(invoice_id, position, charge.line, tax, charge.unit_cost)
    row["details"] = {"one_off_charge_id": charge.charge_id, "price_source": charge.line.price_source}
    return row


def _line_row(invoice_id: int, position: int, ln: PricedLine, tax, unit_cost=None) -> dict:
    return dict(invoice_id=invoice_id, position=position, recurring_line_id=ln.recurring_line_id, kind=ln.kind,
                product_id=ln.product_id, product_code=ln.product_code, description=ln.description,
                quantity=ln.quantity, unit_price=ln.unit_price, amount=ln.amount, taxable=ln.taxable, tax_amount=tax,
                unit_cost=unit_cost,
                quantity_change_id=ln.quantity_change_id, sync_run_id=ln.sync_run_id, source=ln.source[:300],
                details={"counted_quantity": str(ln.counted_quantity), "price_source": ln.price_source,
                         "vendor": ln.vendor, "quantity_state": ln.quantity_state,
                         **({"basis": ln.basis} if ln.basis else {}),
                         **({"unit": ln.unit} if ln.unit else {}),
                         **({"measured": ln.measure.as_dict_once} if ln.measure else {}),
                         **({"needs_review": ln.needs_review} if ln.needs_review else {})})


def _resolve_conflict(recurring_id: int, run_date: date, actor: Actor, result: RunResult) -> bool:
    """A single claim failed. True when that is settled: another run got there first (nothing to do),
    or the period already has an invoice (the date was moved back by hand: move it on past it)."""
    recurring = db.session.get(RecurringInvoice, recurring_id)
    if recurring is None or recurring.next_run_date != run_date or not recurring.active:
        db.session.rollback()
        return True
    period = period_for(run_date, recurring.frequency, recurring.period_mode, recurring.anchor_day)
    existing = _live_invoice(recurring_id, period.start)
    if existing is None:
        db.session.rollback()
        return False
    moved = db.session.execute(
        db.update(RECURRING).where(RECURRING.c.id == recurring_id, RECURRING.c.next_run_date == run_date)
        .values(next_run_date=next_run(run_date, recurring.frequency, recurring.anchor_day))).rowcount
    if moved:
        record_many([audit_event(actor, "recurring.skip_period", "recurring_invoice", recurring_id,
                                 field="next_run_date", old=run_date,
                                 new=next_run(run_date, recurring.frequency, recurring.anchor_day),
                                 details={"invoice_id": existing, "period_start": period.start.isoformat()})])
        result.skipped.append((recurring_id, f"period {period.label} already has invoice {existing}"))
    db.session.commit()
    return True


def _live_invoice(recurring_id: int, period_start: date) -> int | None:
    """The invoice (draft or issued) that bills this period, if any; a void one bills nothing."""
    return db.session.execute(db.select(Invoice.id).where(
        Invoice.recurring_invoice_id == recurring_id, Invoice.period_start == period_start,
        Invoice.status != InvoiceStatus.VOID.value)).scalar()


def reissue_invoice(invoice_id: int, actor: Actor, today: date | None = None) -> int:
    """Bill a void invoice's period again: a new invoice for the same recurring invoice and period, with
    its lines as they stand now, dated ``today``; issued with the next number (a draft when the recurring
    invoice does not auto-issue). Returns the new invoice's id. Commits.

    The partial unique index on (recurring_invoice_id, period_start) where status <> 'void' still
    refuses a second live invoice for the period, whoever tries.
    """
    void = validate.existing(Invoice, invoice_id, "invoice_id")
    if void.status != InvoiceStatus.VOID.value:
        raise BillingError(f"invoice {void.id} is {void.status}; void it before reissuing its period", "invoice_id")
    if void.recurring_invoice_id is None:
        raise BillingError(f"invoice {void.id} was not made by a recurring invoice", "invoice_id")
    live = _live_invoice(void.recurring_invoice_id, void.period_start)
    if live is not None:
        raise BillingError(f"the period of invoice {void.id} already has invoice {live}", "invoice_id")
    today = today or utcnow().date()
    r = db.session.execute(db.select(RECURRING).where(RECURRING.c.id == void.recurring_invoice_id)).one()
    period = Period(void.period_start, void.period_end)
    priced = price_lines([r.id], {r.id: period}, as_of=today)
    lines = ([ln for ln in priced.get(r.id, ()) if ln.on_invoice]
             + proration.proration_lines([r], {r.id: period}, priced, today).get(r.id, []))
    plan = _Plan(r, today, period, r.next_run_date, lines, replaces=void.id,
                 charges=one_off.pending_for([r]).get(r.id, []))
    if not plan.all_lines:
        raise BillingError(f"recurring invoice {r.id} has nothing to bill now", "invoice_id")
    try:
        [(_kind, new_id)] = _write_invoices([plan], actor, utcnow())
        db.session.commit()
    except (IntegrityError, one_off.ChargeTaken):  # someone reissued it (or billed its charges) at the same moment
        db.session.rollback()
        raise BillingError(f"the period of invoice {invoice_id} was billed again meanwhile", "invoice_id") from None
    return new_id
