"""Recurring lines priced as they stand now, for many recurring invoices at once (invoice run and preview).

Each priced line carries its evidence: the quantity change that set a vendor line's quantity, the
sync run behind it, and a sentence saying where the quantity and the price came from. A vendor line
whose quantity is not what its counts say now says so: ``held`` while a change waits for approval,
``kept`` after a person rejected the change the counts asked for. It never claims "counted at the
vendor" for a quantity no current count supports.

Given the periods being billed, a vendor line with a period basis (peak, average, end; see
``period_counts``) bills what its counts were over that period instead of its quantity now; a line at
issue bills its quantity now only while its invoice's issue day (``schedule.issue_day``: the period's first
day in advance, its last in arrears) is today or later: made later (a catch-up, an invoice in arrears, a
reissue), it bills the counts of that day, from the count history, never today's. Two
guards keep that safe: a line with no count history up to the period's end bills its quantity at issue
and asks for review (``needs_review``: the invoice run makes it a draft), and a line whose quantity is
held or kept never bills a period figure below it (a drop waiting for, or refused by, a person).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func

from hub.billing.money import ZERO, billed_quantity, fmt_price, fmt_quantity, line_amount, unit_price
from hub.billing.period_counts import Measure, load_for_periods, measure
from hub.billing.schedule import Period, past_issue_days
from hub.extensions import db
from hub.integrations import display_names
from hub.models import (
    ChangeStatus,
    LineKind,
    Product,
    QuantityBasis,
    QuantityChange,
    RecurringInvoice,
    RecurringLine,
    VendorIntegration,
    VendorSku,
)
from hub.timeutil import utcnow

CHUNK = 500
VENDOR, AT_ISSUE = LineKind.VENDOR.value, QuantityBasis.AT_ISSUE.value  # read once per line: plain str


@dataclass(frozen=True)
class PricedLine:
    recurring_line_id: int
    recurring_invoice_id: int
    position: int
    kind: str
    product_id: int
    product_code: str
    description: str
    taxable: bool
    #: what the line counts (vendor) or was given (standard), before minimum and "do not bill"
    counted_quantity: Decimal
    min_quantity: Decimal | None
    do_not_bill: bool
    quantity: Decimal  # what the invoice bills
    unit_price: Decimal
    amount: Decimal
    price_source: str
    integration_id: int | None
    vendor: str | None
    quantity_change_id: int | None
    sync_run_id: int | None
    source: str
    #: vendor lines: counted (the counts say so), held (a change waits) or kept (a change was rejected)
    quantity_state: str = ""
    #: vendor lines: the counting basis (QuantityBasis) and, when priced for a period, what it measured
    basis: str = QuantityBasis.AT_ISSUE.value
    measure: Measure | None = None
    #: why a person must look before this line is issued (no count history for its period); None: fine
    needs_review: str | None = None
    #: vendor lines: what their SKUs count (license, GB, ...; a product counts one unit, catalog.map_sku)
    unit: str = ""

    @property
    def on_invoice(self) -> bool:
        return on_invoice(self.quantity, self.do_not_bill)


def on_invoice(quantity: Decimal, do_not_bill: bool) -> bool:
    """Lines that bill nothing ("do not bill", or a quantity of zero) stay off the invoice."""
    return not do_not_bill and quantity != ZERO


def is_measured(kind: str, basis: str) -> bool:
    """Whether a line bills what its counts were over the period (a vendor line on a period basis)."""
    return kind == VENDOR and basis != AT_ISSUE


def measured_line(dated_modes=()):
    """``is_measured`` as a condition on RecurringLine rows (for queries that select or leave out those lines);
    with ``dated_modes`` (``schedule.dated_modes``) the at-issue vendor lines of invoices in those period modes
    too, whose issue day has passed (the query must join RecurringInvoice)."""
    measured = RecurringLine.basis != QuantityBasis.AT_ISSUE.value
    if dated_modes:
        measured = measured | RecurringInvoice.period_mode.in_(dated_modes)
    return (RecurringLine.kind == LineKind.VENDOR.value) & measured


def line_price(quantity, minimum, do_not_bill, price, cost, override, markup) -> tuple[Decimal, Decimal, Decimal]:
    """(billed quantity, unit price, amount) of one line: the rule ``price_lines`` and ``subtotals`` share."""
    billed = billed_quantity(quantity, minimum, do_not_bill)
    each = unit_price(price, cost, override, markup)
    return billed, each, line_amount(billed, each)


def price_lines(recurring_ids, periods: dict[int, Period] | None = None, *, as_of: date | None = None,
                tracks: dict | None = None, only=None) -> dict[int, list[PricedLine]]:
    """recurring invoice id -> its live lines, priced, in position order.

    ``periods`` (recurring invoice id -> the period being billed) makes period-basis vendor lines bill
    their period's counts, known up to ``as_of`` (default today); ``tracks`` are those counts when the
    caller read them already (``period_counts.load_tracks``), else they are read here in one query.
    ``only`` (a condition on RecurringLine) prices just those lines: each line is priced on its own, so
    they come out as they would among all the others.
    """
    ids = sorted(set(recurring_ids))
    rows = []
    for start in range(0, len(ids), CHUNK):
        rows += db.session.connection().execute(  # Core rows: no ORM loading
            db.select(RecurringLine.id, RecurringLine.recurring_invoice_id, RecurringLine.position, RecurringLine.kind,
                      RecurringLine.description, RecurringLine.quantity, RecurringLine.integration_id,
                      RecurringLine.min_quantity, RecurringLine.unit_price_override, RecurringLine.markup_pct,
                      RecurringLine.do_not_bill, Product.id, Product.code, Product.name, Product.unit_price,
                      Product.unit_cost, Product.taxable, RecurringLine.basis, RecurringInvoice.organization_id,
                      RecurringInvoice.period_mode)
            .join(Product, Product.id == RecurringLine.product_id)
            .join(RecurringInvoice, RecurringInvoice.id == RecurringLine.recurring_invoice_id)
            .where(RecurringLine.recurring_invoice_id.in_(ids[start:start + CHUNK]),
                   RecurringLine.archived_at.is_(None), *(() if only is None else (only,)))
            .order_by(RecurringLine.recurring_invoice_id, RecurringLine.position, RecurringLine.id)
        ).all()
    vendor_line_ids = [r[0] for r in rows if r[3] == VENDOR]
    changes = last_applied_changes(vendor_line_ids)
    states = quantity_states(vendor_line_ids, {line_id: change_id for line_id, (change_id, _) in changes.items()})
    slugs = dict(db.session.execute(db.select(VendorIntegration.id, VendorIntegration.slug)).all())
    units = sku_units() if vendor_line_ids else {}
    periods = periods or {}
    as_of = as_of or utcnow().date()
    # the day each invoice's at-issue counts are taken, where that day has passed (catch-up, in arrears,
    # reissue): its at-issue vendor lines bill that day's counts from history, never today's
    dated = past_issue_days(periods, {r[1]: r[19] for r in rows if r[1] in periods}, as_of)
    measured_rows = [r for r in rows
                     if r[1] in periods and (is_measured(r[3], r[17]) or (r[3] == VENDOR and r[1] in dated))]
    if tracks is None and measured_rows:
        tracks = load_for_periods([((r[18], r[6], r[11]), periods[r[1]]) for r in measured_rows], as_of)
    names = display_names()  # the source sentence is read by people (invoices too): "at Acronis ...", not "at acronis"
    out: dict[int, list[PricedLine]] = defaultdict(list)
    prices: dict[tuple, tuple[Decimal, str]] = {}  # lines priced alike (most of them) are priced once
    for r in rows:
        (line_id, rid, position, kind, description, quantity, integration_id, minimum, override, markup,
         do_not_bill, product_id, code, name, price, cost, taxable, basis, organization_id, _mode) = r
        counted = Decimal(quantity)
        minimum = None if minimum is None else Decimal(minimum)
        change_id, run_id = changes.get(line_id, (None, None))
        state = states.get(line_id, ("counted", None, None)) if kind == VENDOR else ("", None, None)
        measured, review, basis_text = None, None, None
        # the line's own basis decides, never another line's of the same key (an at-issue line stays at issue)
        if rid in periods and kind == VENDOR and (basis != AT_ISSUE or rid in dated):
            period = periods[rid]
            # at issue: the window ends on the invoice's issue day (one day in advance, the period in arrears)
            measured = measure(basis, (tracks or {}).get((organization_id, integration_id, product_id), ()),
                               period.start, period.end if basis != AT_ISSUE else dated[rid], as_of)
            counted, review, basis_text = _period_quantity(measured, counted, state[0])
        inputs = _price_inputs(price, cost, override, markup)
        priced = prices.get(inputs)
        if priced is None:
            priced = prices[inputs] = (unit_price(price, cost, override, markup),
                                       _price_source(price, cost, override, markup))
        price_each, price_source = priced
        billed = billed_quantity(counted, minimum, do_not_bill)
        amount = line_amount(billed, price_each)  # as line_price: the same unit price, the same rounding
        out[rid].append(PricedLine(
            recurring_line_id=line_id, recurring_invoice_id=rid, position=position, kind=kind, product_id=product_id,
            product_code=code, description=description or name, taxable=taxable, counted_quantity=counted,
            min_quantity=minimum, do_not_bill=do_not_bill, quantity=billed, unit_price=price_each,
            amount=amount, price_source=price_source,
            integration_id=integration_id, vendor=slugs.get(integration_id), quantity_change_id=change_id,
            sync_run_id=run_id, quantity_state=state[0], basis=basis if kind == VENDOR else "",
            measure=measured, needs_review=review,
            unit=units.get((integration_id, product_id), "") if kind == VENDOR else "",
            source=_quantity_source(kind, counted, minimum, do_not_bill, names.get(slugs.get(integration_id)),
                                    change_id, run_id, state, basis_text)))
    return out


def sku_units() -> dict[tuple[int, int], str]:
    """(integration id, product id) -> the unit its SKUs count: one small grouped read (a catalog, not a ledger)."""
    return {(iid, pid): unit for iid, pid, unit in db.session.connection().execute(
        db.select(VendorSku.integration_id, VendorSku.product_id, func.min(VendorSku.unit))
        .where(VendorSku.product_id.is_not(None)).group_by(VendorSku.integration_id, VendorSku.product_id))}


def _price_inputs(*values) -> tuple:
    """A key for equal prices: the values, and their signs (0 and -0 are equal but print differently)."""
    return tuple((v, v.is_signed()) if v is not None else None for v in values)


def _period_quantity(measured: Measure, at_issue: Decimal, state: str) -> tuple[Decimal, str | None, str]:
    """What a period-basis line counts: (quantity, why it needs review or None, the sentence saying so)."""
    if measured.quantity is None and at_issue == ZERO:
        return at_issue, None, f"{measured.note} and no count now: nothing counted"
    if measured.quantity is None:
        return (at_issue, f"{measured.note}: billed at issue ({fmt_quantity(at_issue)}) until a person checks it",
                f"{measured.note}; billed at issue {fmt_quantity(at_issue)}, the invoice waits as a draft")
    if state in ("held", "kept") and measured.quantity < at_issue:
        return (at_issue, None, f"{measured.note}, below the {state} quantity {fmt_quantity(at_issue)}: "
                                f"billed {fmt_quantity(at_issue)}")
    return measured.quantity, None, measured.note
def subtotals(*conditions) -> dict[str, Decimal]:
    """Currency -> the sum of the amounts on the invoice (before tax) of the live lines of the recurring
    invoices matching ``conditions``, each priced as ``price_lines`` prices it (``line_price``, ``on_invoice``)
    at issue: a line on a peak / average / end basis counts its current quantity here, as its period's
    figure is known only when its invoice is priced (``forecast.run_totals`` leaves those lines out with
    ``~measured_line()`` and prices them with ``price_lines``).

    For totals over thousands of invoices (the dashboard's next run): lines with the same pricing inputs
    are counted together by the database and priced once, in Decimal; no row per line reaches Python.
    """
    inputs = (RecurringInvoice.currency, RecurringLine.quantity, RecurringLine.min_quantity, RecurringLine.do_not_bill,
              Product.unit_price, Product.unit_cost, RecurringLine.unit_price_override, RecurringLine.markup_pct)
    query = (db.select(*inputs, func.count())
             .join(RecurringInvoice, RecurringInvoice.id == RecurringLine.recurring_invoice_id)
             .join(Product, Product.id == RecurringLine.product_id)
             .where(RecurringLine.archived_at.is_(None), *conditions).group_by(*inputs))
    out: dict[str, Decimal] = {}
    for currency, quantity, minimum, do_not_bill, price, cost, override, markup, lines in (
            db.session.connection().execute(query)):  # Core rows: no ORM loading
        billed, _each, amount = line_price(quantity, minimum, do_not_bill, price, cost, override, markup)
        if on_invoice(billed, do_not_bill):
            out[currency] = out.get(currency, ZERO) + amount * lines
        else:
            out.setdefault(currency, ZERO)
    return out


def quantity_states(line_ids, last_applied: dict[int, int]) -> dict[int, tuple[str, int, Decimal]]:
    """line id -> ("held", pending change id, its new quantity), or ("kept", rejected change id, the quantity
    a person refused) for a rejection since the line's quantity was last set; other lines are absent."""
    ids = sorted(set(line_ids))
    out: dict[int, tuple[str, int, Decimal]] = {}
    for start in range(0, len(ids), CHUNK):
        for line_id, change_id, status, new in db.session.execute(
                db.select(QuantityChange.line_id, QuantityChange.id, QuantityChange.status, QuantityChange.new_quantity)
                .where(QuantityChange.line_id.in_(ids[start:start + CHUNK]),
                       QuantityChange.status.in_([ChangeStatus.PENDING.value, ChangeStatus.REJECTED.value]))
                .order_by(QuantityChange.id)):
            if status == ChangeStatus.PENDING.value:
                out[line_id] = ("held", change_id, Decimal(new))
            elif change_id > last_applied.get(line_id, 0) and out.get(line_id, ("",))[0] != "held":
                out[line_id] = ("kept", change_id, Decimal(new))
    return out


def last_applied_changes(line_ids) -> dict[int, tuple[int, int | None]]:
    """line id -> (id, sync run id) of the applied or approved change that set its quantity."""
    ids = sorted(set(line_ids))
    latest: dict[int, int] = {}
    for start in range(0, len(ids), CHUNK):
        latest.update(db.session.connection().execute(
            db.select(QuantityChange.line_id, func.max(QuantityChange.id))
            .where(QuantityChange.line_id.in_(ids[start:start + CHUNK]),
                   QuantityChange.status.in_([ChangeStatus.APPLIED.value, ChangeStatus.APPROVED.value]))
            .group_by(QuantityChange.line_id)).all())
    change_ids = sorted(latest.values())
    runs: dict[int, int | None] = {}
    for start in range(0, len(change_ids), CHUNK):
        runs.update(db.session.connection().execute(db.select(QuantityChange.id, QuantityChange.sync_run_id)
                                       .where(QuantityChange.id.in_(change_ids[start:start + CHUNK]))).all())
    return {line_id: (change_id, runs.get(change_id)) for line_id, change_id in latest.items()}


def _price_source(price, cost, override, markup) -> str:
    if override is not None:
        return "price override"
    if markup is not None:
        return f"cost {fmt_price(cost)} + {fmt_quantity(markup)}% markup"
    return "product price"


def _quantity_source(kind, counted, minimum, do_not_bill, vendor, change_id, run_id, state, basis_text=None) -> str:
    status, other_id, other_quantity = state
    if kind != VENDOR:
        text = "fixed quantity"
    elif basis_text is not None:
        text = f"{basis_text} (counts at {vendor or 'the vendor'})"
        if status == "held":
            text += f"; a change to {fmt_quantity(other_quantity)} waits for approval (change {other_id})"
        elif status == "kept":
            text += f"; a change to {fmt_quantity(other_quantity)} was rejected (change {other_id})"
    elif status == "held":
        text = (f"{fmt_quantity(counted)} held: the counts at {vendor or 'the vendor'} say "
                f"{fmt_quantity(other_quantity)}, waiting for approval (change {other_id})")
    elif status == "kept":
        text = (f"{fmt_quantity(counted)} kept by a person: the change to {fmt_quantity(other_quantity)} "
                f"the counts at {vendor or 'the vendor'} asked for was rejected (change {other_id})")
    else:
        text = f"{fmt_quantity(counted)} counted at {vendor or 'the vendor'}"
        if change_id is not None:
            text += f" (change {change_id}" + (f", sync run {run_id})" if run_id else ")")
    if minimum is not None and minimum > counted:
        text += f"; minimum {fmt_quantity(minimum)} billed"
    if do_not_bill:
        text += "; do not bill"
    return text
