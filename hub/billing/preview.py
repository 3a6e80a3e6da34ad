"""The next invoice of a recurring invoice before it is issued, line by line: quantity, where it came from,
and what changed since the last invoice. Reads only; a fixed number of queries whatever the size."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import and_, func, or_

from hub.billing import one_off, proration, validate
from hub.billing.evidence import Contribution, load_contributions
from hub.billing.money import ZERO, fmt_money, fmt_price, fmt_quantity
from hub.billing.pricing import PricedLine, price_lines
from hub.billing.schedule import Period, period_for

PRORATION = proration.KIND
from hub.billing.tax import TaxedLines, rates_for, tax_lines
from hub.extensions import db
from hub.models import (
    ChangeStatus,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    LicenseCount,
    OneOffCharge,
    QuantityChange,
    RecurringInvoice,
    VendorCustomer,
    VendorIntegration,
    VendorSku,
)
from hub.timeutil import utcnow


@dataclass
class PreviewLine:
    line: PricedLine
    #: the same recurring line on the last invoice, if it was there
    previous: InvoiceLine | None = None
    #: quantity changes of this line since the last invoice (applied, approved, held, rejected)
    changes: list[QuantityChange] = field(default_factory=list)
    pending: QuantityChange | None = None
    #: vendor lines: the counts they add up, now
    contributions: list[Contribution] = field(default_factory=list)

    @property
    def status(self) -> str:
        """new, changed or unchanged against the last invoice; not_billed when it stays off this one."""
        if not self.line.on_invoice:
            return "not_billed"
        if self.previous is None:
            return "new"
        same = (Decimal(self.previous.quantity) == self.line.quantity
                and Decimal(self.previous.amount) == self.line.amount)
        return "unchanged" if same else "changed"

    @property
    def quantity_delta(self) -> Decimal | None:
        return None if self.previous is None else self.line.quantity - Decimal(self.previous.quantity)

    @property
    def amount_delta(self) -> Decimal | None:
        return None if self.previous is None else self.line.amount - Decimal(self.previous.amount)


@dataclass
class InvoicePreview:
    recurring: RecurringInvoice
    run_date: date
    period: Period
    lines: list[PreviewLine]
    last_invoice: Invoice | None
    #: lines of the last invoice whose recurring line is gone
    removed: list[InvoiceLine]
    warnings: list[str]
    #: the tax of the lines on the invoice, per line and per rate (hub.billing.tax)
    taxes: TaxedLines | None = None

    @property
    def subtotal(self) -> Decimal:
        return sum((pl.line.amount for pl in self.lines if pl.line.on_invoice), ZERO)

    @property
    def tax_total(self) -> Decimal:
        return self.taxes.total if self.taxes else ZERO

    @property
    def total(self) -> Decimal:
        return self.subtotal + self.tax_total

    def line_tax(self, pl: PreviewLine) -> Decimal:
        on = [x for x in self.lines if x.line.on_invoice]
        return self.taxes.line_taxes[on.index(pl)] if self.taxes and pl in on else ZERO

    @property
    def previous_total(self) -> Decimal | None:
        return None if self.last_invoice is None else Decimal(self.last_invoice.total)


def preview_invoice(recurring_id: int, run_date: date | None = None, as_of: date | None = None) -> InvoicePreview:
    """What the next invoice of ``recurring_id`` would be, if issued on ``run_date`` (default: its next run) by a
    run on ``as_of`` (default today: an overdue invoice bills its issue day's counts, as the run would)."""
    recurring = validate.existing(RecurringInvoice, recurring_id, "recurring_id")
    run_date = validate.day(run_date, "run_date") if run_date else recurring.next_run_date
    as_of = as_of or utcnow().date()
    period = period_for(run_date, recurring.frequency, recurring.period_mode, recurring.anchor_day)
    by_recurring = price_lines([recurring.id], {recurring.id: period}, as_of=as_of)
    priced = by_recurring.get(recurring.id, [])
    priced = priced + proration.proration_lines([recurring], {recurring.id: period}, by_recurring,
                                                as_of).get(recurring.id, [])
    last = db.session.execute(
        db.select(Invoice).where(Invoice.recurring_invoice_id == recurring.id,
                                 Invoice.status != InvoiceStatus.VOID.value)
        .order_by(Invoice.period_start.desc()).limit(1)).scalar()
    previous = {ln.recurring_line_id: ln for ln in (last.lines if last else []) if ln.kind != PRORATION}
    line_ids = [pl.recurring_line_id for pl in priced]
    changes: dict[int, list[QuantityChange]] = {}
    query = db.select(QuantityChange).where(QuantityChange.line_id.in_(line_ids)).order_by(QuantityChange.id)
    if last is not None:
        query = query.where(QuantityChange.created_at > last.created_at)
    for change in db.session.execute(query).scalars():
        changes.setdefault(change.line_id, []).append(change)
    pending = {c.line_id: c for c in db.session.execute(
        db.select(QuantityChange).where(QuantityChange.line_id.in_(line_ids),
                                        QuantityChange.status == ChangeStatus.PENDING.value)).scalars()}
    keys = {(recurring.organization_id, pl.integration_id, pl.product_id) for pl in priced if pl.integration_id}
    counts = load_contributions(keys)
    # a proration line names its vendor line; the changes, hold and counts are shown on that line only
    lines = [PreviewLine(pl) if pl.kind == PRORATION else
             PreviewLine(pl, previous.get(pl.recurring_line_id), changes.get(pl.recurring_line_id, []),
                         pending.get(pl.recurring_line_id),
                         counts.get((recurring.organization_id, pl.integration_id, pl.product_id), []))
             for pl in priced]
    lines += [PreviewLine(charge.line) for charge in pending_charges(recurring)]
    removed = [ln for rid, ln in previous.items() if rid not in set(line_ids)]
    taxes = tax_lines([(pl.line.amount, pl.line.taxable) for pl in lines if pl.line.on_invoice],
                      rates_for([recurring.organization_id]).get(recurring.organization_id, []))
    return InvoicePreview(recurring, run_date, period, lines, last, removed, _warnings(recurring, lines), taxes)


def pending_charges(recurring: RecurringInvoice) -> list[one_off.ChargeLine]:
    """The one-off charges this invoice bills when it is issued next: those aimed at it, and its
    Organization's unaimed ones in its currency, unless another active recurring invoice of the Organization
    in that currency issues first (an earlier next run, or the same day and a lower id, as the run orders them)."""
    charges = one_off.pending_for([recurring]).get(recurring.id, [])
    if not charges:
        return []
    first = db.session.execute(db.select(RecurringInvoice.id).where(
        RecurringInvoice.organization_id == recurring.organization_id, RecurringInvoice.currency == recurring.currency,
        RecurringInvoice.active.is_(True), RecurringInvoice.id != recurring.id,
        or_(RecurringInvoice.next_run_date < recurring.next_run_date,
            and_(RecurringInvoice.next_run_date == recurring.next_run_date, RecurringInvoice.id < recurring.id)))
        .limit(1)).first()
    if first is None:
        return charges
    aimed = set(db.session.execute(db.select(OneOffCharge.id).where(
        OneOffCharge.id.in_([c.charge_id for c in charges]),
        OneOffCharge.recurring_invoice_id == recurring.id)).scalars())
    return [c for c in charges if c.charge_id in aimed]


def _warnings(recurring: RecurringInvoice, lines: list[PreviewLine]) -> list[str]:
    out = [f"{pl.line.description}: a change to {fmt_quantity(pl.pending.new_quantity)} is waiting for approval"
           for pl in lines if pl.pending is not None]
    out += [f"{pl.line.description}: {pl.line.needs_review}; the invoice will wait as a draft"
            for pl in lines if pl.line.needs_review]
    billed = {(pl.line.integration_id, pl.line.product_id) for pl in lines if pl.line.integration_id}
    rows = db.session.execute(
        db.select(VendorIntegration.slug, VendorSku.integration_id, VendorSku.product_id, VendorSku.sku,
                  func.sum(LicenseCount.quantity))
        .join(VendorSku, VendorSku.id == LicenseCount.sku_id)
        .join(VendorCustomer, VendorCustomer.id == LicenseCount.vendor_customer_id)
        .join(VendorIntegration, VendorIntegration.id == VendorSku.integration_id)
        .where(VendorCustomer.organization_id == recurring.organization_id, VendorCustomer.detached_at.is_(None),
               VendorSku.billable.is_(True), LicenseCount.quantity > 0)
        .group_by(VendorIntegration.slug, VendorSku.integration_id, VendorSku.product_id, VendorSku.sku)).all()
    for slug, integration_id, product_id, sku, quantity in rows:
        if product_id is None:
            out.append(f"{slug}: {fmt_quantity(quantity)} licenses of SKU {sku} are not mapped to a product")
        elif (integration_id, product_id) not in billed:
            out.append(f"{slug}: {fmt_quantity(quantity)} licenses of SKU {sku} have no line on this invoice")
    return out


def preview_to_dict(preview: InvoicePreview) -> dict:
    """The preview as plain JSON-ready values (money and quantities as strings)."""
    return {
        "recurring_invoice_id": preview.recurring.id, "organization_id": preview.recurring.organization_id,
        "run_date": preview.run_date.isoformat(), "period_start": preview.period.start.isoformat(),
        "period_end": preview.period.end.isoformat(), "currency": preview.recurring.currency,
        "subtotal": fmt_money(preview.subtotal), "tax_total": fmt_money(preview.tax_total),
        "tax_summary": [t.as_dict() for t in preview.taxes.summary],
        "total": fmt_money(preview.total), "previous_total": fmt_money(preview.previous_total),
        "last_invoice_id": preview.last_invoice.id if preview.last_invoice else None,
        "warnings": preview.warnings,
        "removed": [{"description": ln.description, "quantity": fmt_quantity(ln.quantity),
                     "amount": fmt_money(ln.amount)} for ln in preview.removed],
        "lines": [{
            "recurring_line_id": pl.line.recurring_line_id, "kind": pl.line.kind, "description": pl.line.description,
            "product_code": pl.line.product_code, "status": pl.status, "quantity": fmt_quantity(pl.line.quantity),
            "counted_quantity": fmt_quantity(pl.line.counted_quantity), "quantity_state": pl.line.quantity_state,
            "unit_price": fmt_price(pl.line.unit_price), "price_source": pl.line.price_source,
            "amount": fmt_money(pl.line.amount), "tax": fmt_money(preview.line_tax(pl)),
            "source": pl.line.source, "vendor": pl.line.vendor, "basis": pl.line.basis,
            "basis_detail": pl.line.measure.as_dict() if pl.line.measure else None,
            "needs_review": pl.line.needs_review,
            "quantity_change_id": pl.line.quantity_change_id, "sync_run_id": pl.line.sync_run_id,
            "previous_quantity": fmt_quantity(pl.previous.quantity) if pl.previous else None,
            "previous_amount": fmt_money(pl.previous.amount) if pl.previous else None,
            "quantity_delta": fmt_quantity(pl.quantity_delta), "amount_delta": fmt_money(pl.amount_delta),
            "pending": ({"change_id": pl.pending.id, "new_quantity": fmt_quantity(pl.pending.new_quantity),
                         "reasons": pl.pending.reasons} if pl.pending else None),
            "changes": [{"id": c.id, "status": c.status, "cause": c.cause, "old": fmt_quantity(c.old_quantity),
                         "new": fmt_quantity(c.new_quantity), "at": c.created_at.isoformat(timespec="seconds"),
                         "sync_run_id": c.sync_run_id, "reasons": c.reasons} for c in pl.changes],
            "counts": [{"customer": c.customer, "external_id": c.external_id, "sku": c.sku,
                        "quantity": fmt_quantity(c.quantity), "unit": c.unit, "counted": c.counted,
                        "history_id": c.history_id}
                       for c in pl.contributions],
        } for pl in preview.lines],
    }
