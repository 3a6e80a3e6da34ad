"""The Third-Party Vendor Usage Report: what vendors count against what recurring invoices bill.

One row per vendor, vendor customer and SKU. Two queries whatever the size: the counts (with
customer, mapping, SKU and product) and the vendor lines of active recurring invoices. A vendor line
bills an (Organization, integration, product); its billed quantity is spread over that key's rows in
order (attached customers first, Detached last; any excess, e.g. a minimum, on the last row), so
each row shows what it is billed and the columns add up to the invoice.

Unbilled licenses are the positive differences on billable SKUs, including every license of a
Not mapped vendor customer: that is the money the MSP is losing. Monthly value = unbilled quantity x
the monthly unit price (a line's price divided by the months of its invoice's period; without a
line, the product's price, taken as monthly). "Do not bill" lines and non-billable SKUs are shown
but not counted as unbilled: someone decided not to bill them.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy.orm import aliased

from hub.billing.export import safe_cell
from hub.billing.money import ZERO, billed_quantity, cents, fmt_money, fmt_price, fmt_quantity, four, unit_price
from hub.extensions import db
from hub.models import (
    Frequency,
    LicenseCount,
    LicenseCountHistory,
    LineKind,
    Organization,
    Product,
    RecurringInvoice,
    RecurringLine,
    VendorCustomer,
    VendorIntegration,
    VendorSku,
)

#: billing statuses of a row; the ones marked * count as unbilled when the difference is positive
STATUSES = ("billed", "under_billed*", "over_billed", "no_line*", "not_mapped*", "sku_unmapped*",
            "detached", "do_not_bill", "not_billable")
UNBILLED_STATUSES = {s.rstrip("*") for s in STATUSES if s.endswith("*")}


@dataclass(slots=True)
class UsageRow:
    integration_id: int
    vendor: str
    customer_id: int
    customer: str
    external_id: str
    vendor_status: str
    map_status: str  # mapped, not_mapped, detached
    organization_id: int | None
    organization: str | None
    sku_id: int
    sku: str
    sku_name: str | None
    product_id: int | None
    product_code: str | None
    vendor_quantity: Decimal
    #: the last count of a Detached customer (its vendor quantity is 0: the vendor no longer lists it)
    last_quantity: Decimal
    billed_quantity: Decimal = ZERO
    monthly_unit_price: Decimal | None = None
    status: str = ""
    unbilled_quantity: Decimal = ZERO
    unbilled_value: Decimal | None = ZERO

    @property
    def difference(self) -> Decimal:
        return self.vendor_quantity - self.billed_quantity


@dataclass
class UsageTotals:
    vendor_quantity: Decimal = ZERO
    billed_quantity: Decimal = ZERO
    unbilled_quantity: Decimal = ZERO
    unbilled_value: Decimal = ZERO
    #: unbilled rows with no price (SKU not mapped to a product): their value is not in ``unbilled_value``
    unpriced_rows: int = 0

    def add(self, row: UsageRow) -> None:
        self.vendor_quantity += row.vendor_quantity
        self.billed_quantity += row.billed_quantity
        self.unbilled_quantity += row.unbilled_quantity
        if row.unbilled_value is None:
            self.unpriced_rows += 1
        else:
            self.unbilled_value += row.unbilled_value

    @property
    def difference(self) -> Decimal:
        return self.vendor_quantity - self.billed_quantity


@dataclass
class UsageReport:
    rows: list[UsageRow]
    totals: UsageTotals
    by_vendor: dict[str, UsageTotals] = field(default_factory=dict)


def usage_report(*, vendor: str | None = None, organization_id: int | None = None, status: str | None = None,
                 map_status: str | None = None) -> UsageReport:
    """Rows and totals, filtered by vendor slug, Organization, billing status and/or map status."""
    rows = _count_rows(vendor, organization_id)
    _allocate(rows, _billed_lines(vendor, organization_id))
    rows = [r for r in rows if r.vendor_quantity or r.billed_quantity]
    if status:
        rows = [r for r in rows if r.status == status]
    if map_status:
        rows = [r for r in rows if r.map_status == map_status]
    totals, by_vendor = UsageTotals(), defaultdict(UsageTotals)
    for r in rows:
        totals.add(r)
        by_vendor[r.vendor].add(r)
    return UsageReport(rows, totals, dict(by_vendor))


def _count_rows(vendor: str | None, organization_id: int | None) -> list[UsageRow]:
    product = aliased(Product)
    query = (db.select(VendorIntegration.id, VendorIntegration.slug, VendorCustomer.id, VendorCustomer.name,
                       VendorCustomer.external_id, VendorCustomer.vendor_status, VendorCustomer.detached_at,
                       VendorCustomer.organization_id, Organization.name, VendorSku.id, VendorSku.sku, VendorSku.name,
                       VendorSku.billable, VendorSku.product_id, product.code, product.unit_price, LicenseCount.quantity)
             .select_from(LicenseCount)
             .join(VendorCustomer, VendorCustomer.id == LicenseCount.vendor_customer_id)
             .join(VendorSku, VendorSku.id == LicenseCount.sku_id)
             .join(VendorIntegration, VendorIntegration.id == VendorSku.integration_id)
             .outerjoin(Organization, Organization.id == VendorCustomer.organization_id)
             .outerjoin(product, product.id == VendorSku.product_id)
             .order_by(VendorIntegration.slug, VendorCustomer.name, VendorCustomer.id, VendorSku.sku))
    if vendor:
        query = query.where(VendorIntegration.slug == vendor)
    if organization_id is not None:
        query = query.where(VendorCustomer.organization_id == organization_id)
    rows = []
    prices: dict[int, Decimal] = {}  # product id -> its price, taken as monthly
    for (iid, slug, cid, cname, ext, vstatus, detached_at, oid, oname, sid, sku, sname, billable, pid, pcode,
         pprice, qty) in db.session.connection().execute(query).all():  # Core rows: no ORM loading
        map_status = "detached" if detached_at is not None else ("mapped" if oid is not None else "not_mapped")
        row = UsageRow(iid, slug, cid, cname, ext, vstatus, map_status, oid, oname, sid, sku, sname, pid, pcode,
                       vendor_quantity=ZERO if detached_at is not None else qty, last_quantity=qty)
        if pid is not None:
            row.monthly_unit_price = prices.get(pid) or prices.setdefault(pid, four(pprice))
        row.status = ("not_billable" if not billable and pid is None else "detached" if detached_at is not None
                      else "sku_unmapped" if pid is None else "not_mapped" if oid is None else "no_line")
        rows.append(row)
    return rows


@dataclass
class _Billed:
    quantity: Decimal = ZERO
    value: Decimal = ZERO  # billed quantity x monthly price, to weigh prices of several lines
    first_price: Decimal | None = None
    do_not_bill: bool = True

    @property
    def monthly_price(self) -> Decimal | None:
        return four(self.value / self.quantity) if self.quantity else self.first_price


def _billed_lines(vendor: str | None, organization_id: int | None) -> dict[tuple, _Billed]:
    """(organization, integration, product) -> what the vendor lines of active recurring invoices bill."""
    query = (db.select(RecurringInvoice.organization_id, RecurringLine.integration_id, RecurringLine.product_id,
                       RecurringLine.quantity, RecurringLine.min_quantity, RecurringLine.do_not_bill,
                       RecurringLine.unit_price_override, RecurringLine.markup_pct, Product.unit_price,
                       Product.unit_cost, RecurringInvoice.frequency)
             .join(RecurringInvoice, RecurringInvoice.id == RecurringLine.recurring_invoice_id)
             .join(Product, Product.id == RecurringLine.product_id)
             .where(RecurringLine.kind == LineKind.VENDOR.value, RecurringLine.archived_at.is_(None),
                    RecurringInvoice.active.is_(True)))
    if vendor:
        query = query.join(VendorIntegration, VendorIntegration.id == RecurringLine.integration_id).where(
            VendorIntegration.slug == vendor)
    if organization_id is not None:
        query = query.where(RecurringInvoice.organization_id == organization_id)
    out: dict[tuple, _Billed] = defaultdict(_Billed)
    months = {f.value: f.months for f in Frequency}
    for oid, iid, pid, qty, minimum, dnb, override, markup, price, cost, frequency in (
            db.session.connection().execute(query).all()):
        billed = out[(oid, iid, pid)]
        monthly = unit_price(price, cost, override, markup) / months[frequency]
        quantity = billed_quantity(qty, minimum, dnb)
        billed.quantity += quantity
        billed.value += quantity * monthly
        billed.do_not_bill = billed.do_not_bill and dnb
        if billed.first_price is None:
            billed.first_price = four(monthly)
    return out


def _allocate(rows: list[UsageRow], billed: dict[tuple, _Billed]) -> None:
    groups: dict[tuple, list[UsageRow]] = defaultdict(list)
    for r in rows:
        if r.organization_id is not None and r.product_id is not None:
            groups[(r.organization_id, r.integration_id, r.product_id)].append(r)
    for key, members in groups.items():
        line = billed.get(key)
        if line is None:
            continue  # mapped, but no line bills it: status stays no_line (or detached)
        members.sort(key=lambda r: (r.map_status == "detached", r.customer_id, r.sku))
        left = line.quantity
        for n, r in enumerate(members):
            share = left if n == len(members) - 1 else min(left, r.vendor_quantity)
            r.billed_quantity, left = share, left - share
            r.monthly_unit_price = line.monthly_price
            if r.map_status != "detached":
                r.status = ("do_not_bill" if line.do_not_bill else "billed" if r.difference == 0
                            else "under_billed" if r.difference > 0 else "over_billed")
    for r in rows:
        if r.status in UNBILLED_STATUSES and r.difference > 0:
            r.unbilled_quantity = r.difference
            r.unbilled_value = (None if r.monthly_unit_price is None
                                else cents(r.unbilled_quantity * r.monthly_unit_price))


CSV_COLUMNS = ["vendor", "vendor_customer", "external_id", "vendor_status", "map_status", "organization", "sku",
               "sku_name", "product_code", "vendor_quantity", "billed_quantity", "difference", "monthly_unit_price",
               "unbilled_quantity", "unbilled_monthly_value", "status"]


def usage_report_csv(report: UsageReport) -> str:
    """The rows, then a TOTAL row. Vendor-supplied names are guarded against spreadsheet formulas."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in report.rows:
        writer.writerow([safe_cell(r.vendor), safe_cell(r.customer), safe_cell(r.external_id), r.vendor_status,
                         r.map_status, safe_cell(r.organization or ""), safe_cell(r.sku), safe_cell(r.sku_name or ""),
                         safe_cell(r.product_code or ""), fmt_quantity(r.vendor_quantity),
                         fmt_quantity(r.billed_quantity), fmt_quantity(r.difference),
                         fmt_price(r.monthly_unit_price) or "", fmt_quantity(r.unbilled_quantity),
                         fmt_money(r.unbilled_value) or "", r.status])
    t = report.totals
    writer.writerow(["TOTAL", "", "", "", "", "", "", "", "", fmt_quantity(t.vendor_quantity),
                     fmt_quantity(t.billed_quantity), fmt_quantity(t.difference), "",
                     fmt_quantity(t.unbilled_quantity), fmt_money(t.unbilled_value), ""])
    return out.getvalue()


@dataclass(frozen=True)
class HistoryPoint:
    recorded_at: object
    sku: str
    quantity: Decimal
    previous_quantity: Decimal | None
    sync_run_id: int | None


def count_history(customer_id: int, sku_id: int | None = None, since=None) -> list[HistoryPoint]:
    """How one vendor customer's counts moved over time (oldest first), per SKU: for the report's chart."""
    query = (db.select(LicenseCountHistory.recorded_at, VendorSku.sku, LicenseCountHistory.quantity,
                       LicenseCountHistory.previous_quantity, LicenseCountHistory.sync_run_id)
             .join(VendorSku, VendorSku.id == LicenseCountHistory.sku_id)
             .where(LicenseCountHistory.vendor_customer_id == customer_id)
             .order_by(LicenseCountHistory.recorded_at, LicenseCountHistory.id))
    if sku_id is not None:
        query = query.where(LicenseCountHistory.sku_id == sku_id)
    if since is not None:
        query = query.where(LicenseCountHistory.recorded_at >= since)
    return [HistoryPoint(at, sku, Decimal(q), None if p is None else Decimal(p), run)
            for at, sku, q, p, run in db.session.execute(query)]
