"""The Third-Party Vendor Usage Report: what vendors count against what recurring invoices bill.

One row per vendor, vendor customer and SKU. A fixed number of narrow queries whatever the size, joined here
by id: the SKUs (with their product), the vendor customers (with their mapping), the counts; the vendor lines
of active recurring invoices bare, the catalog's prices, and the few lines with a held or rejected change
(three small ones more describe lines that bill with no count). A vendor line bills an (Organization,
integration, product); its billed quantity fills that key's rows top to bottom as the report lists them (attached
customers first, then Detached ones, then any unmapped while the line is held or kept; each row up to its count, any
excess, e.g. a minimum, on the last row), so each row shows what it is billed and the columns
add up to the invoices, for any data:

- a line bills what its next invoice bills (the preview's figure): its quantity as it stands, but for a line
  on a period basis (peak, average, end) or of an invoice already past its issue day (overdue, or in arrears
  and due), which bills a figure from the count history (``_measured_quantities``);
- a line with no count behind it at all (an Organization with no mapped vendor customer billing its
  minimum) gets a row of its own, status ``no_count``;
- while a line's drop waits for approval (``held``) or after a person rejected it (``kept``), the
  customers its quantity was counted from still carry it: one unmapped meanwhile is billed on that
  line's row (``still_billed``), not also shown as unbilled Not mapped.

Totals add like with like: quantities per unit (seats and gigabytes never in one figure), money per
currency.

Unbilled licenses are the positive differences on billable SKUs, including every license of a
Not mapped vendor customer: that is the money the MSP is losing. Monthly value = unbilled quantity x
the monthly unit price (a line's price divided by the months of its invoice's period; without a
line, the product's price, taken as monthly). "Do not bill" lines and non-billable SKUs are shown
but not counted as unbilled: someone decided not to bill them.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from itertools import groupby
from operator import attrgetter, itemgetter
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import Text, case, cast, func, or_
from sqlalchemy.orm import aliased

from hub.billing.bulk_read import collections_paused, converter, raw
from hub.billing.errors import BillingError
from hub.billing.export import safe_cell
from hub.billing.money import ZERO, billed_quantity, cents, fmt_money, fmt_price, fmt_quantity, four, unit_price
from hub.billing.pricing import price_lines, sku_units
from hub.billing.schedule import dated_modes, period_for
from hub.extensions import db
from hub.inputs import shown
from hub.models import (
    ChangeStatus,
    Frequency,
    LicenseCount,
    LicenseCountHistory,
    LineKind,
    MapStatus,
    Organization,
    Product,
    QuantityBasis,
    QuantityChange,
    RecurringInvoice,
    RecurringLine,
    VendorCustomer,
    VendorIntegration,
    VendorSku,
)
from hub.timeutil import utcnow

#: billing statuses of a row; the ones marked * count as unbilled when the difference is positive
STATUSES = ("billed", "under_billed*", "over_billed", "no_line*", "not_mapped*", "sku_unmapped*",
            "detached", "do_not_bill", "not_billable", "no_count", "still_billed")
UNBILLED_STATUSES = {s.rstrip("*") for s in STATUSES if s.endswith("*")}
STATUS_VALUES = tuple(s.rstrip("*") for s in STATUSES)
MAP_STATUS_VALUES = tuple(m.value for m in MapStatus)
#: what a line bills when its quantity is not what its counts say now
LINE_STATES = {"held": "a change waits for approval", "kept": "a person rejected the change to the counts"}


class Amounts(dict):
    """(quantity, price) -> cents(quantity x price), each distinct pair worked out once: a report multiplies the
    same few quantities and prices over and over. Exact: cents() gives the same Decimal for equal inputs."""

    def __missing__(self, key: tuple[Decimal, Decimal]) -> Decimal:
        amount = self[key] = cents(key[0] * key[1])
        return amount


@dataclass(slots=True)
class UsageRow:
    integration_id: int
    vendor: str
    #: None on a ``no_count`` row: a line that bills with no vendor customer counted behind it
    customer_id: int | None
    customer: str
    external_id: str
    vendor_status: str
    map_status: str  # mapped, not_mapped, detached; "" on a no_count row
    organization_id: int | None
    organization: str | None
    sku_id: int | None
    sku: str
    sku_name: str | None
    product_id: int | None
    product_code: str | None
    vendor_quantity: Decimal
    #: the last count of a Detached customer (its vendor quantity is 0: the vendor no longer lists it)
    last_quantity: Decimal
    #: what the SKU counts (license, GB, ...): quantities of different units are never added together
    unit: str = "license"
    billed_quantity: Decimal = ZERO
    monthly_unit_price: Decimal | None = None
    #: currency of the price, the cost and every amount of the row
    currency: str | None = None
    status: str = ""
    #: held / kept when the billing line's quantity is not what its counts say now (see LINE_STATES)
    line_state: str = ""
    unbilled_quantity: Decimal = ZERO
    unbilled_value: Decimal | None = ZERO
    #: the product's unit cost, taken as monthly like its price (None: the SKU has no product)
    monthly_unit_cost: Decimal | None = None

    @property
    def difference(self) -> Decimal:
        return self.vendor_quantity - self.billed_quantity

    @property
    def billed_value(self) -> Decimal | None:
        """What the row bills a month: billed quantity x monthly unit price, to the cent (None: no price)."""
        return None if self.monthly_unit_price is None else cents(self.billed_quantity * self.monthly_unit_price)

    @property
    def monthly_cost(self) -> Decimal | None:
        """What the vendor's count costs a month: vendor quantity x unit cost, to the cent (None: no product)."""
        return None if self.monthly_unit_cost is None else cents(self.vendor_quantity * self.monthly_unit_cost)

    @property
    def margin(self) -> Decimal | None:
        """Billed value less cost, a month (None when either is unknown)."""
        billed, cost = self.billed_value, self.monthly_cost
        return None if billed is None or cost is None else billed - cost


@dataclass
class QuantityTotals:
    """Quantities of one unit."""

    vendor_quantity: Decimal = ZERO
    billed_quantity: Decimal = ZERO
    unbilled_quantity: Decimal = ZERO

    @property
    def difference(self) -> Decimal:
        return self.vendor_quantity - self.billed_quantity


_VENDOR_QUANTITY, _BILLED_QUANTITY, _UNBILLED_QUANTITY = (attrgetter("vendor_quantity"), attrgetter("billed_quantity"),
                                                        attrgetter("unbilled_quantity"))


@dataclass
class UsageTotals:
    #: unit -> its quantities
    by_unit: dict[str, QuantityTotals] = field(default_factory=dict)
    #: currency -> unbilled value per month
    unbilled_value: dict[str, Decimal] = field(default_factory=dict)
    #: unbilled rows with no price (SKU not mapped to a product): their value is not in ``unbilled_value``
    unpriced_rows: int = 0
    #: currency -> per month: what the rows bill, what their counts cost, and the difference (rows with a currency)
    billed_value: dict[str, Decimal] = field(default_factory=dict)
    cost: dict[str, Decimal] = field(default_factory=dict)
    margin: dict[str, Decimal] = field(default_factory=dict)

    @classmethod
    def of(cls, rows: list[UsageRow]) -> UsageTotals:
        """The totals of ``rows``: quantities per unit, money per currency (sums of the rows' own figures)."""
        buckets: dict[tuple, list[UsageRow]] = defaultdict(list)
        for r in rows:
            buckets[(r.unit, r.currency)].append(r)
        totals, amounts = cls({}, *unbilled_value(rows)), Amounts()
        for (unit, currency), part in buckets.items():
            q = totals.by_unit.setdefault(unit, QuantityTotals())
            q.vendor_quantity += sum(map(_VENDOR_QUANTITY, part), ZERO)
            q.billed_quantity += sum(map(_BILLED_QUANTITY, part), ZERO)
            q.unbilled_quantity += sum(map(_UNBILLED_QUANTITY, part), ZERO)
            if currency is None:
                continue
            # a row with a currency has a product, so a cost, and a price: its margin is billed less cost
            # the rows' billed_value and monthly_cost, each distinct product worked out once
            billed = sum([amounts[r.billed_quantity, r.monthly_unit_price] for r in part if r.billed_quantity], ZERO)
            cost = sum([amounts[r.vendor_quantity, r.monthly_unit_cost] for r in part if r.vendor_quantity], ZERO)
            totals.billed_value[currency] = totals.billed_value.get(currency, ZERO) + billed
            totals.cost[currency] = totals.cost.get(currency, ZERO) + cost
            totals.margin[currency] = totals.margin.get(currency, ZERO) + billed - cost
        return totals

    @classmethod
    def merged(cls, parts) -> UsageTotals:
        """The sum of several totals (the vendors' into the report's)."""
        out = cls()
        for part in parts:
            for unit, q in part.by_unit.items():
                mine = out.by_unit.setdefault(unit, QuantityTotals())
                mine.vendor_quantity += q.vendor_quantity
                mine.billed_quantity += q.billed_quantity
                mine.unbilled_quantity += q.unbilled_quantity
            for name in ("unbilled_value", "billed_value", "cost", "margin"):
                mine, theirs = getattr(out, name), getattr(part, name)
                for currency, value in theirs.items():
                    mine[currency] = mine.get(currency, ZERO) + value
            out.unpriced_rows += part.unpriced_rows
        return out

    @property
    def has_unbilled(self) -> bool:
        return any(t.unbilled_quantity for t in self.by_unit.values())


@dataclass
class UsageReport:
    rows: list[UsageRow]
    totals: UsageTotals
    by_vendor: dict[str, UsageTotals] = field(default_factory=dict)


def usage_report(*, vendor: str | None = None, organization_id: int | None = None, status: str | None = None,
                 map_status: str | None = None, line_state: str | None = None) -> UsageReport:
    """Rows and totals, filtered by vendor slug, Organization, billing status, map status and/or line state
    (``held``, ``kept``: rows billed at a quantity that is not what the counts say now, see LINE_STATES).

    An unknown filter value is a BillingError naming the filter and its valid values, never an empty report.
    """
    check_filters(vendor=vendor, organization_id=organization_id, status=status, map_status=map_status,
                  line_state=line_state)
    with collections_paused():  # tens of thousands of rows that live to the end (bulk_read)
        rows = report_rows(vendor, organization_id)
        if status:
            rows = [r for r in rows if r.status == status]
        if map_status:
            rows = [r for r in rows if r.map_status == map_status]
        if line_state:
            rows = [r for r in rows if r.line_state == line_state]
        by_vendor = {slug: UsageTotals.of(list(group)) for slug, group in groupby(rows, key=attrgetter("vendor"))}
        return UsageReport(rows, UsageTotals.merged(by_vendor.values()), by_vendor)


def report_rows(vendor: str | None = None, organization_id: int | None = None) -> list[UsageRow]:
    """The report's rows (unfiltered but for vendor and Organization), each with what it bills: the one
    computation behind the report, its CSV, the API and the dashboard's unbilled value."""
    with collections_paused():  # the rows live to the end (bulk_read)
        catalog = _catalog()
        billed = _billed_lines(vendor, organization_id, catalog)
        rows, by_key = _count_rows(vendor, organization_id, billed)
        rows += _allocate(by_key, billed, catalog)
        rows = [r for r in rows if r.vendor_quantity or r.billed_quantity]
        rows.sort(key=attrgetter("vendor"))  # stable: the query's order, no_count rows (added last) after
        return rows


def unbilled_value(rows: list[UsageRow]) -> tuple[dict[str, Decimal], int]:
    """(currency -> unbilled value per month, unbilled rows with no price) of ``rows``: the report's figure,
    which the dashboard shows without building the rest of the totals."""
    values: dict[str, list[Decimal]] = defaultdict(list)
    unpriced = 0
    for r in rows:
        if r.unbilled_quantity:
            if r.unbilled_value is None:
                unpriced += 1
            else:
                values[r.currency].append(r.unbilled_value)
    return {currency: sum(v, ZERO) for currency, v in values.items()}, unpriced


def check_filters(*, vendor: str | None = None, organization_id: int | None = None, status: str | None = None,
                  map_status: str | None = None, line_state: str | None = None) -> None:
    """Raise a BillingError naming the first unknown filter value and listing the valid ones."""
    if status and status not in STATUS_VALUES:
        raise BillingError(f"status must be one of {', '.join(STATUS_VALUES)}, not {shown(status)}", "status")
    if map_status and map_status not in MAP_STATUS_VALUES:
        raise BillingError(f"map_status must be one of {', '.join(MAP_STATUS_VALUES)}, not {shown(map_status)}",
                           "map_status")
    if line_state and line_state not in LINE_STATES:
        raise BillingError(f"line_state must be one of {', '.join(LINE_STATES)}, not {shown(line_state)}",
                           "line_state")
    if vendor:
        slugs = list(db.session.execute(db.select(VendorIntegration.slug).order_by(VendorIntegration.slug)).scalars())
        if vendor not in slugs:
            raise BillingError(f"vendor must be one of {', '.join(slugs) or '(no vendor is configured)'}, "
                               f"not {vendor!r}", "vendor")
    if organization_id is not None and db.session.get(Organization, organization_id) is None:
        raise BillingError(f"organization_id: no Organization with id {organization_id}", "organization_id")


def _count_rows(vendor: str | None, organization_id: int | None,
                billed: dict[tuple, _Billed]) -> tuple[list[UsageRow], dict[tuple, list]]:
    """One row per count, in the report's order (vendor, customer name and id, SKU), and the rows of SKUs mapped to
    a product by (Organization or None, integration, product): what a vendor line bills. Three narrow queries joined
    here by id: the SKUs with their product, the customers with their Organization, and the counts as bare ids
    and quantities. One wide join would repeat each customer's and SKU's text on every count, which costs more
    to read than everything else the report does."""
    product = aliased(Product)
    sku_query = (db.select(VendorSku.id, VendorIntegration.id, VendorIntegration.slug, VendorSku.sku, VendorSku.name,
                           VendorSku.billable, VendorSku.product_id, product.code, raw(product.unit_price),
                           raw(product.unit_cost), product.currency, VendorSku.unit)
                 .join(VendorIntegration, VendorIntegration.id == VendorSku.integration_id)
                 .outerjoin(product, product.id == VendorSku.product_id)
                 .order_by(VendorIntegration.slug, VendorSku.sku))  # the database's collation, as before
    customer_query = (db.select(VendorCustomer.id, VendorCustomer.name, VendorCustomer.external_id,
                                VendorCustomer.vendor_status, VendorCustomer.detached_at.is_not(None),
                                VendorCustomer.organization_id, Organization.name)
                      .outerjoin(Organization, Organization.id == VendorCustomer.organization_id)
                      .order_by(VendorCustomer.name, VendorCustomer.id))
    count_query = db.select(LicenseCount.vendor_customer_id, LicenseCount.sku_id, raw(LicenseCount.quantity))
    if vendor:
        sku_query = sku_query.where(VendorIntegration.slug == vendor)
        count_query = count_query.where(LicenseCount.sku_id.in_(
            db.select(VendorSku.id).join(VendorIntegration, VendorIntegration.id == VendorSku.integration_id)
            .where(VendorIntegration.slug == vendor)))
    if organization_id is not None:
        customer_query = customer_query.where(VendorCustomer.organization_id == organization_id)
        count_query = count_query.where(LicenseCount.vendor_customer_id.in_(
            db.select(VendorCustomer.id).where(VendorCustomer.organization_id == organization_id)))
    connection = db.session.connection()  # Core rows: no ORM loading
    quantity, money, amounts = converter(LicenseCount.quantity), converter(Product.unit_price), Amounts()
    # sku id -> (vendor's place, the SKU's place in the order, the row's SKU part, with what decides its status)
    skus: dict[int, tuple] = {}
    prices: dict[int, tuple[Decimal, Decimal]] = {}  # product id -> its price and cost, taken as monthly
    vendors: dict[str, int] = {}
    for place, (sid, iid, slug, sku, sname, billable, pid, pcode, pprice, pcost, pcurrency, unit) in enumerate(
            connection.execute(sku_query).all()):
        if pid is None:
            price = cost = pcurrency = None
        else:
            price, cost = prices.get(pid) or prices.setdefault(pid, (four(money(pprice)), four(money(pcost))))
        skus[sid] = (vendors.setdefault(slug, len(vendors)), place, iid, slug, sid, sku, sname, pid, pcode, price,
                     cost, pcurrency, unit, billable)
    customers = {row[0]: (place, row) for place, row in enumerate(connection.execute(customer_query).all())}
    counts = []
    for cid, sid, qty in connection.execute(count_query).all():
        sku, customer = skus.get(sid), customers.get(cid)
        if sku is not None and customer is not None:
            counts.append((sku[0], customer[0], sku[1], customer[1], sku, qty))
    counts.sort(key=_count_order)
    rows, by_key, late = [], defaultdict(list), defaultdict(list)
    append = rows.append
    for _, _, _, (cid, cname, ext, vstatus, detached, oid, oname), (
            _, _, iid, slug, sid, sku, sname, pid, pcode, price, cost, pcurrency, unit, billable), qty in counts:
        if pid is None:
            status = "not_billable" if not billable else "detached" if detached else "sku_unmapped"
        else:
            status = "detached" if detached else "not_mapped" if oid is None else "no_line"
        map_status = "detached" if detached else "mapped" if oid is not None else "not_mapped"
        qty = quantity(qty)
        unbilled, value = ZERO, ZERO
        if status in UNBILLED_STATUSES and qty > 0 and (oid, iid, pid) not in billed:  # a line's rows: _allocate
            unbilled, value = qty, None if price is None else amounts[qty, price]
        # positional: this runs once per count (tens of thousands)
        row = UsageRow(iid, slug, cid, cname, ext, vstatus, map_status, oid, oname, sid, sku, sname, pid, pcode,
                       ZERO if detached else qty, qty, unit, ZERO, price, pcurrency, status, "", unbilled, value, cost)
        append(row)
        if pid is not None:
            if detached:  # filled after the key's attached rows: kept apart, so no key's rows need sorting
                late[(oid, iid, pid)].append(row)
            else:
                by_key[(oid, iid, pid)].append(row)
    for key, detached_rows in late.items():
        by_key[key] += detached_rows
    return rows, by_key


#: vendor, customer (name, id), SKU: the places the queries gave them
_count_order = itemgetter(0, 1, 2)


@dataclass(slots=True)
class _Billed:
    """What the vendor lines of one (Organization, integration, product) bill. How it is described (vendor,
    Organization, product, unit) is only needed for a ``no_count`` row, and is read for those alone."""

    quantity: Decimal = ZERO
    value: Decimal = ZERO  # billed quantity x monthly price, to weigh prices of several lines
    first_price: Decimal | None = None
    #: the first line's monthly price as computed, and whether another line's differs from it: while all
    #: lines share one price, the weighted price (value / quantity) is that price, with no division
    first_monthly: Decimal | None = None
    mixed_prices: bool = False
    #: the currency of the first line, and whether another line's differs from it
    first_currency: str | None = None
    mixed_currencies: bool = False
    do_not_bill: bool = True
    #: held / kept, see LINE_STATES
    line_state: str = ""
    #: customers the quantity was counted from when it was last applied (while held or kept)
    carried_by: frozenset = frozenset()

    def monthly_price_of(self, quotients: dict) -> Decimal | None:
        """The lines' monthly price, weighted by quantity; each distinct (value, quantity) is divided once in
        ``quotients`` (shared by a report)."""
        if self.mixed_currencies:
            return None  # lines in several currencies have no one price
        if not self.quantity or not self.mixed_prices:
            return self.first_price
        key = (self.value, self.quantity)
        price = quotients.get(key)
        if price is None:
            price = quotients[key] = four(self.value / self.quantity)
        return price

    @property
    def currency(self) -> str | None:
        return None if self.mixed_currencies else self.first_currency


def _line_states() -> dict[int, tuple[bool, bool, str | None]]:
    """line id -> (held, kept, evidence of the change that set its quantity) for each line with a change waiting
    for approval or rejected since its last applied one. Found through the status index: the thousands of lines
    whose changes were all applied are not read."""
    applied = (ChangeStatus.APPLIED.value, ChangeStatus.APPROVED.value)
    asked = (db.select(QuantityChange.line_id)
             .where(QuantityChange.status.in_((ChangeStatus.PENDING.value, ChangeStatus.REJECTED.value))))
    states = (db.select(QuantityChange.line_id.label("line_id"),
                        func.max(case((QuantityChange.status.in_(applied), QuantityChange.id))).label("last_applied"),
                        func.max(case((QuantityChange.status == ChangeStatus.PENDING.value, 1), else_=0))
                        .label("held"),
                        func.max(case((QuantityChange.status == ChangeStatus.REJECTED.value, QuantityChange.id)))
                        .label("last_rejected"))
              .where(QuantityChange.line_id.in_(asked))
              .group_by(QuantityChange.line_id).subquery("line_states"))
    held = states.c.held == 1
    kept = states.c.last_rejected > func.coalesce(states.c.last_applied, 0)
    basis = aliased(QuantityChange)  # the change that set the quantity
    query = (db.select(states.c.line_id, func.coalesce(held, False), func.coalesce(kept, False),
                       cast(basis.evidence, Text))
             .outerjoin(basis, basis.id == states.c.last_applied)
             .where(or_(held, kept)))
    return {line_id: (bool(h), bool(k), evidence)
            for line_id, h, k, evidence in db.session.connection().execute(query)}


def _measured_quantities(organization_id: int | None) -> dict[int, Decimal]:
    """line id -> what its recurring invoice's next invoice bills, for the vendor lines that bill a figure from
    the count history there rather than their quantity as it stands: lines on a period basis, and every vendor
    line of an invoice already past its issue day (overdue, or in arrears and due). Priced as the preview
    prices them (``price_lines``, today), for just those invoices: usually none, one small query."""
    today = utcnow().date()
    by_basis = (db.select(RecurringLine.recurring_invoice_id)
                .where(RecurringLine.kind == LineKind.VENDOR.value, RecurringLine.archived_at.is_(None),
                       RecurringLine.basis != QuantityBasis.AT_ISSUE.value))
    # past the issue day (schedule.issue_day): due before today, or due today in a mode whose issue day was earlier
    dated = (RecurringInvoice.next_run_date < today) | (
        (RecurringInvoice.next_run_date == today) & RecurringInvoice.period_mode.in_(dated_modes(today, today)))
    query = (db.select(RecurringInvoice.id, RecurringInvoice.next_run_date, RecurringInvoice.frequency,
                       RecurringInvoice.period_mode, RecurringInvoice.anchor_day)
             .where(RecurringInvoice.active.is_(True), RecurringInvoice.id.in_(by_basis) | dated))
    if organization_id is not None:
        query = query.where(RecurringInvoice.organization_id == organization_id)
    periods = {r.id: period_for(r.next_run_date, r.frequency, r.period_mode, r.anchor_day)
               for r in db.session.connection().execute(query)}
    if not periods:
        return {}
    priced = price_lines(list(periods), periods, as_of=today, only=RecurringLine.kind == LineKind.VENDOR.value)
    return {ln.recurring_line_id: ln.quantity for lines in priced.values() for ln in lines}


def _catalog() -> dict[int, tuple]:
    """product id -> (unit price, unit cost, code), as stored: the products table read whole (a catalog, not a
    ledger), once per report, for pricing the lines and describing those with no count."""
    return {pid: (price, cost, code) for pid, price, cost, code in db.session.connection().execute(
        db.select(Product.id, raw(Product.unit_price), raw(Product.unit_cost), Product.code))}


def _billed_lines(vendor: str | None, organization_id: int | None, catalog: dict[int, tuple]) -> dict[tuple, _Billed]:
    """(organization, integration, product) -> what the vendor lines of active recurring invoices bill.

    The lines are read bare (ids, quantities, prices as stored): their products' prices come from
    ``catalog``, and the few lines with a held or rejected change from ``_line_states``; joining those onto
    ten thousand lines costs more than the rest of this."""
    query = (db.select(RecurringLine.id, RecurringInvoice.organization_id, RecurringLine.integration_id,
                       RecurringLine.product_id, raw(RecurringLine.quantity), raw(RecurringLine.min_quantity),
                       RecurringLine.do_not_bill, raw(RecurringLine.unit_price_override),
                       raw(RecurringLine.markup_pct), RecurringInvoice.frequency, RecurringInvoice.currency)
             .join(RecurringInvoice, RecurringInvoice.id == RecurringLine.recurring_invoice_id)
             .where(RecurringLine.kind == LineKind.VENDOR.value, RecurringLine.archived_at.is_(None),
                    RecurringInvoice.active.is_(True)))
    if vendor:
        query = query.where(RecurringLine.integration_id.in_(
            db.select(VendorIntegration.id).where(VendorIntegration.slug == vendor)))
    if organization_id is not None:
        query = query.where(RecurringInvoice.organization_id == organization_id)
    connection = db.session.connection()
    states = _line_states()
    measured = _measured_quantities(organization_id)
    out: dict[tuple, _Billed] = {}
    months = {f.value: f.months for f in Frequency}
    quantity_of, money, percent = (converter(RecurringLine.quantity), converter(Product.unit_price),
                                   converter(RecurringLine.markup_pct))
    # lines priced alike (most of them) are priced once: inputs -> (monthly price, to four places)
    monthly_prices: dict[tuple, tuple[Decimal, Decimal]] = {}
    quantities: dict[tuple, Decimal] = {}  # (quantity, minimum, do not bill) as read -> the billed quantity
    for (line_id, oid, iid, pid, qty, minimum, dnb, override, markup, frequency, currency
         ) in connection.execute(query).all():
        key = (oid, iid, pid)
        billed = out.get(key)
        if billed is None:
            billed = out[key] = _Billed()
        inputs = (pid, override, markup, frequency)
        prices = monthly_prices.get(inputs)
        if prices is None:
            price, cost, _ = catalog[pid]
            monthly = unit_price(money(price), money(cost), money(override), percent(markup)) / months[frequency]
            prices = monthly_prices[inputs] = (monthly, four(monthly))
        monthly = prices[0]
        quantity = measured.get(line_id) if measured else None
        if quantity is None:  # as it stands (nearly every line)
            counted = (qty, minimum, dnb)
            quantity = quantities.get(counted)
            if quantity is None:
                quantity = quantities[counted] = billed_quantity(quantity_of(qty), quantity_of(minimum), dnb)
        billed.quantity += quantity
        billed.value += quantity * monthly
        billed.do_not_bill = billed.do_not_bill and dnb
        if billed.first_price is None:
            billed.first_price, billed.first_monthly, billed.first_currency = prices[1], monthly, currency
        else:
            if monthly != billed.first_monthly:
                billed.mixed_prices = True
            if currency != billed.first_currency:
                billed.mixed_currencies = True
        state = states.get(line_id)
        if state is not None:
            held, kept, evidence = state
            billed.line_state = "held" if held else (billed.line_state or "kept")
            # read as text (no JSON decoding for the thousands of rows without it)
            billed.carried_by |= {c["customer_id"] for c in json.loads(evidence or "{}").get("counts", ())
                                  if c.get("counted") and Decimal(c["quantity"]) > 0}
    return out


def _allocate(by_key: dict[tuple, list[UsageRow]], billed: dict[tuple, _Billed],
              catalog: dict[int, tuple]) -> list[UsageRow]:
    """Spread each key's billed quantity over its rows (``by_key``, from ``_count_rows``: in the report's order,
    Detached ones last); returns the extra rows of lines with no count."""
    groups = {key: rows for key, rows in by_key.items() if key[0] is not None and key in billed}
    carried = {cid for line in billed.values() for cid in line.carried_by}
    loose: dict[tuple, list[UsageRow]] = defaultdict(list)  # (customer, integration, product) -> carried rows
    if carried:
        for key, rows in by_key.items():
            if key not in groups:
                for r in rows:
                    if r.customer_id in carried:
                        loose[(r.customer_id, r.integration_id, r.product_id)].append(r)
    for key, line in billed.items():
        if line.carried_by:  # customers unmapped while the line's drop is held or kept: still billed there
            for cid in sorted(line.carried_by):
                found = loose.pop((cid, key[1], key[2]), None)
                if found:
                    groups[key] = groups.get(key, []) + found
    uncounted, amounts, quotients = [], Amounts(), {}
    for key, line in billed.items():
        members = groups.get(key)
        if not members:
            if line.quantity:
                uncounted.append((key, line))
            continue
        left, last = line.quantity, members[-1]
        price, currency, state = line.monthly_price_of(quotients), line.currency, line.line_state
        for r in members:
            share = left if r is last else min(left, r.vendor_quantity)
            r.billed_quantity, left = share, left - share
            r.monthly_unit_price, r.currency, r.line_state = price, currency, state
            r.unbilled_quantity, r.unbilled_value = ZERO, ZERO
            if r.organization_id != key[0]:
                r.status = "still_billed"
            elif r.map_status != "detached":
                difference = r.vendor_quantity - share
                r.status = ("do_not_bill" if line.do_not_bill else "billed" if difference == 0
                            else "under_billed" if difference > 0 else "over_billed")
                if r.status in UNBILLED_STATUSES:
                    r.unbilled_quantity = difference
                    r.unbilled_value = None if price is None else amounts[difference, price]
    return _no_count_rows(uncounted, quotients, catalog)


#: up to this many Organizations are named through one IN list; more, by reading every one with an active
#: recurring invoice (one plain query, instead of a list of thousands of parameters)
_FEW = 500


def _no_count_rows(uncounted: list[tuple[tuple, _Billed]], quotients: dict,
                   catalog: dict[int, tuple]) -> list[UsageRow]:
    """A row for each line that bills with no vendor count behind it (e.g. an Organization's minimum), described
    by its vendor, Organization, product and the unit its SKUs count: read for these keys alone."""
    if not uncounted:
        return []
    connection = db.session.connection()
    organization_ids = {oid for (oid, _, _), _ in uncounted}
    slugs = dict(connection.execute(db.select(VendorIntegration.id, VendorIntegration.slug)).all())
    names = db.select(Organization.id, Organization.name)
    if len(organization_ids) <= _FEW:
        names = names.where(Organization.id.in_(organization_ids))
    else:  # many: every Organization with an active recurring invoice, in one plain query
        names = names.where(Organization.id.in_(db.select(RecurringInvoice.organization_id)
                                                .where(RecurringInvoice.active.is_(True))))
    organizations = dict(connection.execute(names).all())
    units = sku_units()
    money, costs = converter(Product.unit_cost), {}
    rows = []
    for (oid, iid, pid), line in uncounted:
        _, cost, code = catalog[pid]
        unit_cost = costs.get(cost)
        if unit_cost is None:
            unit_cost = costs[cost] = four(money(cost))
        rows.append(UsageRow(iid, slugs[iid], None, "", "", "", "", oid, organizations[oid], None, "", None, pid, code,
                             vendor_quantity=ZERO, last_quantity=ZERO, unit=units.get((iid, pid)) or "unit",
                             billed_quantity=line.quantity, monthly_unit_price=line.monthly_price_of(quotients),
                             currency=line.currency, status="no_count", line_state=line.line_state,
                             monthly_unit_cost=unit_cost))
    return rows



CSV_COLUMNS = ["vendor", "vendor_customer", "external_id", "vendor_status", "map_status", "organization", "sku",
               "sku_name", "product_code", "unit", "vendor_quantity", "billed_quantity", "difference",
               "monthly_unit_price", "currency", "unbilled_quantity", "unbilled_monthly_value", "status", "line_state",
               "monthly_unit_cost", "billed_monthly_value", "monthly_cost", "monthly_margin"]


def usage_report_csv(report: UsageReport) -> str:
    """The rows, then TOTAL rows: one per unit (quantities) and one per currency (unbilled value, billed value,
    cost and margin). Vendor-supplied names are guarded against spreadsheet formulas."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in report.rows:
        writer.writerow([safe_cell(r.vendor), safe_cell(r.customer), safe_cell(r.external_id), r.vendor_status,
                         r.map_status, safe_cell(r.organization or ""), safe_cell(r.sku), safe_cell(r.sku_name or ""),
                         safe_cell(r.product_code or ""), safe_cell(r.unit), fmt_quantity(r.vendor_quantity),
                         fmt_quantity(r.billed_quantity), fmt_quantity(r.difference),
                         fmt_price(r.monthly_unit_price) or "", r.currency or "", fmt_quantity(r.unbilled_quantity),
                         fmt_money(r.unbilled_value) or "", r.status, r.line_state,
                         fmt_price(r.monthly_unit_cost) or "", fmt_money(r.billed_value) or "",
                         fmt_money(r.monthly_cost) or "", fmt_money(r.margin) or ""])
    blank = dict.fromkeys(CSV_COLUMNS, "")
    t = report.totals
    for unit, q in sorted(t.by_unit.items()):
        writer.writerow({**blank, "vendor": "TOTAL", "unit": safe_cell(unit), "vendor_quantity": fmt_quantity(
            q.vendor_quantity), "billed_quantity": fmt_quantity(q.billed_quantity), "difference": fmt_quantity(
            q.difference), "unbilled_quantity": fmt_quantity(q.unbilled_quantity)}.values())
    for currency in sorted(set(t.unbilled_value) | set(t.billed_value)):
        writer.writerow({**blank, "vendor": "TOTAL", "currency": currency,
                         "unbilled_monthly_value": fmt_money(t.unbilled_value.get(currency, ZERO)),
                         "billed_monthly_value": fmt_money(t.billed_value.get(currency, ZERO)),
                         "monthly_cost": fmt_money(t.cost.get(currency, ZERO)),
                         "monthly_margin": fmt_money(t.margin.get(currency, ZERO))}.values())
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
