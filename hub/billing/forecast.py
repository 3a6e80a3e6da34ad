"""What the invoice run on a day would bill, per currency and before tax, for thousands of due recurring
invoices at once (the dashboard's next run). The run's own services price it, so the figure is the sum
of what each invoice would bill (its preview's subtotal, the pending one-off charges it takes included):

- lines billed as they stand (standard lines, vendor lines on the at-issue basis of an invoice whose issue
  day has not passed): grouped by their pricing inputs in the database and priced once per group
  (``pricing.subtotals``);
- vendor lines on a period basis (peak, average, end), at-issue vendor lines of an invoice made after its
  issue day (``schedule.dated_modes``: they bill that day's counts) and the proration lines of invoices that
  prorate:
  priced by ``price_lines`` and ``proration_lines`` over just those invoices, their count history read in
  one query (``period_counts.tracks_for_invoices``), as the run reads it;
- pending one-off charges: where the run puts them (``one_off.pending_for``).

A fixed number of queries whatever the size (chunked IN lists aside).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import or_

from hub.billing import one_off, period_counts, proration
from hub.billing.money import ZERO
from hub.billing.pricing import measured_line, price_lines, subtotals
from hub.billing.schedule import Period, dated_modes, period_for
from hub.extensions import db
from hub.models import LineKind, OneOffCharge, Proration, RecurringInvoice, RecurringLine
from hub.timeutil import utcnow

RECURRING = RecurringInvoice.__table__


def run_totals(day: date, as_of: date | None = None) -> dict[str, Decimal]:
    """Currency -> what the active recurring invoices due on ``day`` would bill (before tax), their period
    counts known up to ``as_of`` (default today, as the run and the preview measure them)."""
    as_of = as_of or utcnow().date()
    due = (RecurringInvoice.active.is_(True), RecurringInvoice.next_run_date == day)
    measured_lines = measured_line(dated_modes(day, as_of))  # a run after the issue day: at-issue lines too
    totals = subtotals(*due, ~measured_lines)
    measured = (db.select(RecurringLine.recurring_invoice_id)
                .join(RecurringInvoice, RecurringInvoice.id == RecurringLine.recurring_invoice_id)
                .where(RecurringLine.archived_at.is_(None), measured_lines))
    charged = db.select(OneOffCharge.organization_id).where(OneOffCharge.invoice_id.is_(None))
    # only the invoices something more than their at-issue lines may bill on: a line to measure, proration
    # turned on (``previous_period`` decides), pending charges of their Organization (all its due invoices,
    # so that ``pending_for`` picks the same invoice for an Organization's charge as the run)
    rows = db.session.execute(
        db.select(RECURRING.c.id, RECURRING.c.organization_id, RECURRING.c.currency, RECURRING.c.frequency,
                  RECURRING.c.period_mode, RECURRING.c.anchor_day, RECURRING.c.proration,
                  RECURRING.c.id.in_(measured).label("measured"),
                  RECURRING.c.organization_id.in_(charged).label("charged"))
        .where(*due, or_(RECURRING.c.id.in_(measured), RECURRING.c.proration != Proration.OFF.value,
                         RECURRING.c.organization_id.in_(charged)))
        .order_by(RECURRING.c.id)).all()
    periods = _periods(rows, day)
    prorating = {r.id for r in rows if proration.previous_period(r, periods[r.id]) is not None}
    whole = [r for r in rows if r.measured or r.id in prorating]
    if whole:
        wanted = {r.id: periods[r.id] for r in whole}
        tracks = period_counts.tracks_for_invoices(wanted, as_of, proration.wanted(whole, wanted))
        # the lines to measure; and every vendor line of an invoice that prorates (proration reads them)
        priced = price_lines([r.id for r in whole if r.id not in prorating], wanted, as_of=as_of, tracks=tracks,
                             only=measured_lines)
        priced.update(price_lines(sorted(prorating), wanted, as_of=as_of, tracks=tracks,
                                  only=RecurringLine.kind == LineKind.VENDOR.value))
        prorated = proration.proration_lines(whole, wanted, priced, as_of, tracks)
        for r in whole:
            # the at-issue lines of these invoices are in ``subtotals`` already
            lines = [ln for ln in priced.get(r.id, ()) if ln.measure is not None and ln.on_invoice]
            _add(totals, r.currency, [ln.amount for ln in lines + prorated.get(r.id, [])])
    currency = {r.id: r.currency for r in rows}
    for rid, charges in one_off.pending_for([r for r in rows if r.charged]).items():
        _add(totals, currency[rid], [c.line.amount for c in charges])
    return totals


def _periods(rows, day: date) -> dict:
    """Recurring invoice id -> the period its invoice on ``day`` bills (worked out once per kind of schedule)."""
    found: dict[tuple, Period] = {}
    out = {}
    for r in rows:
        kind = (r.frequency, r.period_mode, r.anchor_day)
        period = found.get(kind)
        if period is None:
            period = found[kind] = period_for(day, *kind)
        out[r.id] = period
    return out


def _add(totals: dict[str, Decimal], currency: str, amounts: list[Decimal]) -> None:
    if amounts:
        totals[currency] = totals.get(currency, ZERO) + sum(amounts, ZERO)
