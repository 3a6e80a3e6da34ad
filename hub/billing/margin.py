"""Margin: revenue, cost, margin and margin % per product, vendor or Organization, per currency, over a
period, from issued invoices minus credit notes.

- **Revenue** is the lines' amounts (before tax) of invoices *issued* (not draft, not void) whose invoice
  date is in the period, minus the amounts of credit-note lines whose credit date is in the period.
- **Cost** of a line is ``quantity x unit cost`` rounded half-up to cents, with the unit cost the line
  kept when issued (``invoice_lines.unit_cost``); lines issued before the hub kept it use the product's
  unit cost now and are counted in ``estimated_lines``. A credited line takes its cost back out too:
  credited, it is as if never billed.
- **Margin** = revenue - cost; **margin %** = margin / revenue x 100, rounded half-up to two places
  (none when revenue is zero). Money is Decimal and never added across currencies.

Two queries (invoice lines, credit-note lines) read every row once; the grouping is done here.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from hub.billing import validate
from hub.billing.errors import BillingError
from hub.billing.export import safe_cell
from hub.billing.money import HUNDRED, ZERO, fmt_money, line_amount
from hub.extensions import db
from hub.inputs import shown
from hub.models import (CreditNote, CreditNoteLine, Invoice, InvoiceLine, InvoiceStatus, Organization, Product,
                        VendorIntegration)

DIMENSIONS = ("product", "vendor", "organization")
NO_PRODUCT = "(no product)"
NO_VENDOR = "(no vendor)"


@dataclass
class MarginRow:
    key: str           # product id, vendor slug or Organization id, as text ("" for none)
    label: str
    currency: str
    revenue: Decimal = ZERO
    cost: Decimal = ZERO
    lines: int = 0
    credited_lines: int = 0
    estimated_lines: int = 0

    @property
    def margin(self) -> Decimal:
        return self.revenue - self.cost

    @property
    def margin_pct(self) -> Decimal | None:
        if self.revenue == ZERO:
            return None
        return (self.margin * HUNDRED / self.revenue).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    def as_dict(self) -> dict:
        return {"key": self.key, "label": self.label, "currency": self.currency, "revenue": self.revenue,
                "cost": self.cost, "margin": self.margin, "margin_pct": self.margin_pct, "lines": self.lines,
                "credited_lines": self.credited_lines, "estimated_lines": self.estimated_lines}


@dataclass
class MarginReport:
    by: str
    date_from: date
    date_to: date
    rows: list[MarginRow] = field(default_factory=list)
    #: per currency: the same figures over every row
    totals: dict[str, MarginRow] = field(default_factory=dict)


def check_args(by, date_from, date_to) -> tuple[str, date, date]:
    """The view's arguments, or FieldErrors naming each bad one."""
    def clean(key, value):
        if key == "by":
            value = (value or "product").strip() if isinstance(value, str) else value
            if value not in DIMENSIONS:
                raise BillingError(f"by: choose one of {', '.join(DIMENSIONS)}, not {shown(value)}", "by")
            return value
        return validate.day(value, key)

    values = validate.each_field({"by": by, "date_from": date_from, "date_to": date_to}, clean)
    if values["date_to"] < values["date_from"]:
        raise BillingError("date_to: on or after date_from", "date_to")
    return values["by"], values["date_from"], values["date_to"]


def margin_report(by: str, date_from, date_to, *, currency: str | None = None) -> MarginReport:
    by, start, end = check_args(by, date_from, date_to)
    if currency:
        currency = validate.currency(currency)
    report = MarginReport(by, start, end)
    groups: dict[tuple[str, str], MarginRow] = {}
    labels = _labels(by)
    for row, sign in _rows(start, end, currency):
        (product_id, quantity, amount, unit_cost, details, organization_id, row_currency, product_cost) = row
        key = _key(by, product_id, details, organization_id)
        group = groups.get((key, row_currency))
        if group is None:
            group = groups[(key, row_currency)] = MarginRow(key, labels(key), row_currency)
        if unit_cost is None:
            unit_cost = product_cost if product_cost is not None else ZERO
            group.estimated_lines += 1
        group.revenue += sign * Decimal(amount)
        group.cost += sign * line_amount(Decimal(quantity), Decimal(unit_cost))
        if sign > 0:
            group.lines += 1
        else:
            group.credited_lines += 1
    report.rows = sorted(groups.values(), key=lambda r: (r.currency, -r.revenue, r.label))
    for r in report.rows:
        total = report.totals.setdefault(r.currency, MarginRow("", "Total", r.currency))
        total.revenue += r.revenue
        total.cost += r.cost
        total.lines += r.lines
        total.credited_lines += r.credited_lines
        total.estimated_lines += r.estimated_lines
    return report


def _rows(start: date, end: date, currency: str | None):
    """(row, +1) for issued invoice lines dated in the period, (row, -1) for credit-note lines dated in it."""
    columns = (InvoiceLine.product_id, InvoiceLine.quantity, InvoiceLine.amount, InvoiceLine.unit_cost,
               InvoiceLine.details)
    issued = (db.select(*columns, Invoice.organization_id, Invoice.currency, Product.unit_cost)
              .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
              .outerjoin(Product, Product.id == InvoiceLine.product_id)
              .where(Invoice.status == InvoiceStatus.ISSUED.value, Invoice.invoice_date >= start,
                     Invoice.invoice_date <= end))
    credited = (db.select(InvoiceLine.product_id, CreditNoteLine.quantity, CreditNoteLine.amount,
                          InvoiceLine.unit_cost, InvoiceLine.details, CreditNote.organization_id, CreditNote.currency,
                          Product.unit_cost)
                .join(CreditNote, CreditNote.id == CreditNoteLine.credit_note_id)
                .join(InvoiceLine, InvoiceLine.id == CreditNoteLine.invoice_line_id)
                .outerjoin(Product, Product.id == InvoiceLine.product_id)
                .where(CreditNote.credit_date >= start, CreditNote.credit_date <= end))
    if currency:
        issued = issued.where(Invoice.currency == currency)
        credited = credited.where(CreditNote.currency == currency)
    for row in db.session.execute(issued):
        yield row, 1
    for row in db.session.execute(credited):
        yield row, -1


def _key(by: str, product_id, details, organization_id) -> str:
    if by == "product":
        return "" if product_id is None else str(product_id)
    if by == "vendor":
        return (details or {}).get("vendor") or ""
    return str(organization_id)


def _labels(by: str):
    """key -> readable name, from one query per dimension."""
    if by == "product":
        names = {str(i): f"{code} — {name}" for i, code, name in
                 db.session.execute(db.select(Product.id, Product.code, Product.name))}
        return lambda key: names.get(key, NO_PRODUCT if key == "" else f"product {key}")
    if by == "vendor":
        names = dict(db.session.execute(db.select(VendorIntegration.slug, VendorIntegration.display_name)).all())
        return lambda key: NO_VENDOR if key == "" else (names.get(key) or key)
    names = {str(i): n for i, n in db.session.execute(db.select(Organization.id, Organization.name))}
    return lambda key: names.get(key, f"Organization {key}")


def fmt_pct(value: Decimal | None) -> str:
    return "" if value is None else format(value, "f")


CSV_COLUMNS = ["by", "key", "name", "currency", "revenue", "cost", "margin", "margin_pct", "lines", "credited_lines",
               "estimated_cost_lines"]


def csv_filename(report: MarginReport) -> str:
    return f"margin-{report.by}-{report.date_from.isoformat()}-{report.date_to.isoformat()}.csv"


def margin_csv(report: MarginReport) -> str:
    """The rows, then one total row per currency (key "total")."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r, key in [(r, r.key) for r in report.rows] + [(t, "total") for t in report.totals.values()]:
        writer.writerow([report.by, key, safe_cell(r.label), r.currency, fmt_money(r.revenue), fmt_money(r.cost),
                         fmt_money(r.margin), fmt_pct(r.margin_pct), r.lines, r.credited_lines, r.estimated_lines])
    return out.getvalue()
