"""Proration: count changes during a period billed in advance, charged (or credited) on the next invoice.

A recurring invoice billed in advance with ``proration`` on bills, on each new invoice, what changed in the
period its *previous* invoice billed: for each vendor line on that invoice (billed quantity ``B`` at unit
price ``P``), or on the recurring invoice when that invoice was made but billing nothing then (``B`` = 0 at
its price now: a line counting 0 stays off an invoice), the line's daily counts over that period
(``period_counts``; minimum and "do not bill" applied as on any invoice) are compared with ``B``:

- a day counting more than ``B`` is charged; a day counting less is credited only when the proration is
  ``credits`` *and* the hold policy would have let that decrease apply at once (``policy.hold_reasons``
  is empty) *and* the line has no held or kept change; otherwise a decrease is not credited.
- **Day-count rule**: actual days. Each run of days with the same difference ``d`` becomes one line,
  "+d from <first day> to <last day> (n of N days)", N the days in that period (28 to 31 for a month,
  29 in February 2028); quantity = ``d x n / N`` rounded half-up to 4 places (the column's scale),
  amount = quantity x ``P`` rounded half-up to cents (as for every line); a credit is negative.

Each such line is an invoice line of kind ``proration`` pointing at the vendor line it prorates.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from hub.billing.money import ZERO, billed_quantity, fmt_quantity, four, line_amount
from hub.billing.period_counts import day_segments, load_for_periods
from hub.billing.policy import effective_policy, hold_reasons
from hub.billing.pricing import PricedLine
from hub.billing.schedule import Period, previous_run
from hub.extensions import db
from hub.models import (
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    LineKind,
    PeriodMode,
    Proration,
    RecurringLine,
    VendorIntegration,
)

KIND = "proration"
CHUNK = 500


def previous_period(recurring, period: Period) -> Period | None:
    """The period the invoice before ``period``'s billed, when ``recurring`` prorates; else None."""
    if recurring.proration == Proration.OFF.value or recurring.period_mode != PeriodMode.IN_ADVANCE.value:
        return None
    return Period(previous_run(period.start, recurring.frequency, recurring.anchor_day), period.start - timedelta(days=1))


def wanted(recurring_rows, periods: dict) -> list:
    """[(line key, previous period)] whose count history proration reads (for one shared history query)."""
    previous = {r.id: p for r in recurring_rows if (p := previous_period(r, periods[r.id])) is not None}
    if not previous:
        return []
    ids = sorted(previous)
    out = []
    orgs = {r.id: r.organization_id for r in recurring_rows}
    for start in range(0, len(ids), CHUNK):
        for rid, integration, product in db.session.execute(
                db.select(RecurringLine.recurring_invoice_id, RecurringLine.integration_id, RecurringLine.product_id)
                .where(RecurringLine.recurring_invoice_id.in_(ids[start:start + CHUNK]),
                       RecurringLine.kind == LineKind.VENDOR.value, RecurringLine.archived_at.is_(None))):
            out.append(((orgs[rid], integration, product), previous[rid]))
    return out


def proration_lines(recurring_rows, periods: dict, priced: dict, as_of, tracks=None) -> dict[int, list[PricedLine]]:
    """recurring invoice id -> the proration lines its invoice for ``periods[id]`` adds (after its own lines).

    ``priced`` are the invoices' lines as priced for those periods (for each vendor line's minimum, "do not
    bill", description and state); ``tracks`` the count history when the caller read it already."""
    previous = {r.id: p for r in recurring_rows if (p := previous_period(r, periods[r.id])) is not None}
    if not previous:
        return {}
    rows = {r.id: r for r in recurring_rows}
    invoices = _invoices_before(previous)
    if not invoices:
        return {}
    billed = _billed_before(invoices)
    # a vendor line that was on the recurring invoice when its previous invoice was made, but billed nothing
    # then (a count of 0 keeps a line off the invoice): it billed 0, at its price now, and an increase from 0
    # is charged like any other
    current = {rid: {ln.recurring_line_id: ln for ln in priced.get(rid, ()) if ln.kind == LineKind.VENDOR.value}
               for rid in invoices}
    created = _created({line_id for lines in current.values() for line_id in lines})
    for rid, (number, made_at, _) in invoices.items():
        before = billed.setdefault(rid, {})
        for line_id, line in current[rid].items():
            if line_id not in before and created.get(line_id, made_at) <= made_at:
                before[line_id] = (ZERO, line.unit_price, number)
    if tracks is None:
        tracks = load_for_periods(wanted([rows[rid] for rid in previous], periods), as_of)
    policies = _policies({line_id for lines in billed.values() for line_id in lines})
    out: dict[int, list[PricedLine]] = {}
    for rid, before in billed.items():
        period = previous[rid]
        made: list[PricedLine] = []
        for line_id, (quantity, price, invoice_number) in before.items():
            line = current[rid].get(line_id)
            if line is None or line_id not in policies:
                continue
            key = (rows[rid].organization_id, line.integration_id, line.product_id)
            made += _line_prorations(line, quantity, price, invoice_number, period, tracks.get(key, ()), as_of,
                                     rows[rid].proration, policies[line_id])
        if made:
            out[rid] = made
    return out


def _line_prorations(line: PricedLine, billed: Decimal, price, invoice_number, period: Period, tracks, as_of,
                     proration: str, policy) -> list[PricedLine]:
    days = (period.end - period.start).days + 1
    segments, _, known = day_segments(tracks, period.start, min(period.end, as_of))
    if not known:
        return []
    credits = (proration == Proration.INCREASES_AND_CREDITS.value and line.quantity_state in ("counted", "")
               and not line.do_not_bill)
    out = []
    for seg in segments:
        counted = billed_quantity(seg.quantity, line.min_quantity, line.do_not_bill)
        diff = counted - billed
        if diff == ZERO or (diff < ZERO and not (credits and not hold_reasons(billed, counted, policy))):
            continue
        quantity = four(diff * seg.days / days)
        if quantity == ZERO:
            continue
        sign = "+" if diff > 0 else "-"
        what = "charged" if diff > 0 else "credited"
        dates = (f"{sign}{fmt_quantity(abs(diff))} from {seg.start.isoformat()} to {seg.end.isoformat()} "
                 f"({seg.days} of {days} days)")
        out.append(replace(
            line, kind=KIND, description=f"{line.description}: {dates}, prorated"[:300], counted_quantity=counted,
            min_quantity=None, do_not_bill=False, quantity=quantity, unit_price=price,
            amount=line_amount(quantity, price), price_source=f"price billed on invoice {invoice_number or '(draft)'}",
            quantity_change_id=None, sync_run_id=None, measure=None, needs_review=None, basis="",
            source=(f"{what} pro rata: invoice {invoice_number or '(draft)'} billed {fmt_quantity(billed)} for "
                    f"{period.label}; the counts said {fmt_quantity(counted)} {dates}")))
    return out


def _invoices_before(previous: dict) -> dict[int, tuple]:
    """recurring invoice id -> (number, created at, invoice id) of its live invoice for the previous period,
    where it has one."""
    ids = sorted(previous)
    out: dict[int, tuple] = {}
    for start in range(0, len(ids), CHUNK):
        for rid, period_start, number, created_at, invoice_id in db.session.execute(
                db.select(Invoice.recurring_invoice_id, Invoice.period_start, Invoice.number, Invoice.created_at,
                          Invoice.id)
                .where(Invoice.recurring_invoice_id.in_(ids[start:start + CHUNK]),
                       Invoice.status != InvoiceStatus.VOID.value)):
            if period_start == previous[rid].start:
                out[rid] = (number, created_at, invoice_id)
    return out


def _created(line_ids) -> dict:
    """line id -> when it was added to its recurring invoice."""
    ids = sorted(line_ids)
    out = {}
    for start in range(0, len(ids), CHUNK):
        out.update(db.session.execute(db.select(RecurringLine.id, RecurringLine.created_at)
                                      .where(RecurringLine.id.in_(ids[start:start + CHUNK]))).all())
    return out


def _billed_before(invoices: dict) -> dict[int, dict[int, tuple]]:
    """recurring invoice id -> {vendor line id: (quantity billed, unit price, invoice number)} on its live
    invoice for the previous period (``invoices``, from ``_invoices_before``)."""
    by_invoice = {invoice_id: (rid, number) for rid, (number, _, invoice_id) in invoices.items()}
    ids = sorted(by_invoice)
    out: dict[int, dict[int, tuple]] = {}
    for start in range(0, len(ids), CHUNK):
        for invoice_id, line_id, quantity, price in db.session.execute(
                db.select(InvoiceLine.invoice_id, InvoiceLine.recurring_line_id, InvoiceLine.quantity,
                          InvoiceLine.unit_price)
                .where(InvoiceLine.invoice_id.in_(ids[start:start + CHUNK]),
                       InvoiceLine.kind == LineKind.VENDOR.value, InvoiceLine.recurring_line_id.is_not(None))):
            rid, number = by_invoice[invoice_id]
            out.setdefault(rid, {})[line_id] = (Decimal(quantity), Decimal(price), number)
    return out


def _policies(line_ids) -> dict:
    """line id -> its effective hold policy (a credit is a decrease: it follows the policy)."""
    ids = sorted(line_ids)
    out = {}
    for start in range(0, len(ids), CHUNK):
        for r in db.session.execute(
                db.select(RecurringLine.id, RecurringLine.override_policy, RecurringLine.hold_decrease_over_seats,
                          RecurringLine.hold_decrease_over_pct, VendorIntegration.hold_decrease_over_seats,
                          VendorIntegration.hold_decrease_over_pct, VendorIntegration.hold_drop_to_zero,
                          VendorIntegration.hold_detached)
                .join(VendorIntegration, VendorIntegration.id == RecurringLine.integration_id)
                .where(RecurringLine.id.in_(ids[start:start + CHUNK]))):
            out[r[0]] = effective_policy(*r[1:])
    return out
