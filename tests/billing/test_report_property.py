"""Property: for any catalog, mapping, lines and counts, the usage report's billed quantities add up to
what the invoices bill (the previews of the active recurring invoices, priced like the invoice run), on
any counting basis, in advance or in arrears, due today or overdue (at-issue lines then bill their issue
day's count from history).

Each example is built through the real services (fake vendor sync, mapping, SKU mapping, recurring
lines, approvals) on the test database, SQLite or PostgreSQL, and wiped before the next one.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from hub import mapping
from hub.billing import catalog, pending, recurring
from hub.billing.preview import preview_invoice
from hub.billing.usage_report import usage_report
from hub.extensions import db
from hub.timeutil import utcnow
from hub.models import (
    AuditEvent,
    LicenseCount,
    LicenseCountHistory,
    Organization,
    Product,
    QuantityChange,
    RecurringInvoice,
    RecurringLine,
    SyncRun,
    VendorCustomer,
    VendorSku,
)

from .conftest import ADMIN

SKUS = ("seats", "backup", "mail")
WIPE = (QuantityChange, RecurringLine, RecurringInvoice, LicenseCountHistory, LicenseCount, VendorCustomer,
        VendorSku, Product, Organization, AuditEvent, SyncRun)

customer = st.fixed_dictionaries({
    "counts": st.dictionaries(st.sampled_from(SKUS), st.integers(0, 30), max_size=3),
    "org": st.none() | st.integers(0, 2),
    "later": st.sampled_from(["stay", "change", "detach", "detach_and_unmap", "unmap"]),
    "new_counts": st.dictionaries(st.sampled_from(SKUS), st.integers(0, 30), max_size=3),
})
line = st.fixed_dictionaries({
    "product": st.integers(0, 2),
    "min_quantity": st.none() | st.integers(0, 12),
    "do_not_bill": st.booleans(),
    "price": st.none() | st.integers(0, 9999),
    "basis": st.sampled_from(["at_issue", "at_issue", "peak", "average", "end"]),
})
schedule = st.fixed_dictionaries({
    "org": st.integers(0, 2),
    "frequency": st.sampled_from(["monthly", "quarterly", "yearly"]),
    "period_mode": st.sampled_from(["in_advance", "in_arrears"]),
    # due today, or overdue: its period (or its issue day) lies before the later counts
    "overdue": st.booleans(),
    "active": st.booleans(),
    "lines": st.lists(line, min_size=1, max_size=3),
})
scenario = st.fixed_dictionaries({
    "prices": st.lists(st.integers(0, 9999), min_size=3, max_size=3),
    "sku_products": st.fixed_dictionaries({s: st.none() | st.integers(0, 2) for s in SKUS}),
    "units": st.fixed_dictionaries({s: st.sampled_from(["license", "GB"]) for s in SKUS}),
    "customers": st.lists(customer, max_size=5),
    "schedules": st.lists(schedule, max_size=3),
    "seat_limit": st.none() | st.integers(0, 5),
    "decisions": st.lists(st.booleans(), max_size=6),  # approve (True) or reject the held changes in turn
})


def _wipe(vendor) -> None:
    db.session.rollback()
    for model in WIPE:
        db.session.execute(db.delete(model))
    db.session.commit()
    vendor.fake.customers.clear()
    vendor.fake.counts.clear()


def _build(vendor, s: dict) -> None:
    vendor.integration.detach_threshold_pct = Decimal(100)
    vendor.policy(s["seat_limit"], None)
    vendor.fake.units.update(s["units"])
    vendor.fake.add("anchor", "Always listed", mail=1)  # so a listing never detaches everyone
    for n, c in enumerate(s["customers"]):
        vendor.fake.add(f"c{n}", f"Customer {n}", **c["counts"])
    vendor.sync()
    # the first counts were seen two months ago (history the period bases and overdue invoices measure); the
    # later ones today
    db.session.execute(db.update(LicenseCountHistory).values(recorded_at=utcnow() - timedelta(days=60)))
    db.session.commit()
    orgs = [mapping.create_organization(f"Org {n}", ADMIN) for n in range(3)]
    products = [catalog.create_product(f"P{n}", f"Product {n}", str(Decimal(p) / 100), ADMIN)
                for n, p in enumerate(s["prices"])]
    product_units: dict[int, str] = {}  # a product counts one unit (catalog.map_sku refuses a second)
    for sku, product in s["sku_products"].items():
        if product is not None and any(sku in c["counts"] for c in s["customers"]) \
                and product_units.setdefault(product, s["units"][sku]) == s["units"][sku]:
            vendor.map_sku(sku, products[product])
    for n, c in enumerate(s["customers"]):
        if c["org"] is not None:
            vendor.map(f"c{n}", orgs[c["org"]])
    for sched in s["schedules"]:
        today = utcnow().date()
        made = recurring.create_recurring_invoice(
            orgs[sched["org"]].id, ADMIN, next_run_date=today - timedelta(days=35) if sched["overdue"] else today,
            frequency=sched["frequency"], period_mode=sched["period_mode"])
        for ln in sched["lines"]:
            recurring.add_line(made.id, ADMIN, kind="vendor", product_id=products[ln["product"]].id,
                               integration_id=vendor.integration.id, do_not_bill=ln["do_not_bill"],
                               min_quantity=None if ln["min_quantity"] is None else str(ln["min_quantity"]),
                               unit_price_override=None if ln["price"] is None else str(Decimal(ln["price"]) / 100),
                               basis=ln["basis"])
        if not sched["active"]:
            recurring.update_recurring_invoice(made.id, ADMIN, active=False)
    # then life goes on: counts move, customers leave, people unmap and decide on held changes
    for n, c in enumerate(s["customers"]):
        if c["later"] == "change":
            vendor.fake.counts[f"c{n}"] = dict(c["new_counts"])
        elif c["later"].startswith("detach"):
            vendor.fake.remove(f"c{n}")
    vendor.sync()
    for n, c in enumerate(s["customers"]):
        if c["org"] is not None and c["later"] in ("unmap", "detach_and_unmap"):
            vendor.unmap(f"c{n}")
    for approve, held in zip(s["decisions"], pending.list_pending_changes()):
        (pending.approve_change if approve else pending.reject_change)(held.change.id, ADMIN)


def _invoiced() -> dict[tuple[int, int], Decimal]:
    """(integration, product) -> quantity the active recurring invoices' next invoices bill."""
    out: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    for rid in db.session.execute(db.select(RecurringInvoice.id).where(RecurringInvoice.active.is_(True))).scalars():
        for pl in preview_invoice(rid).lines:
            if pl.line.integration_id and pl.line.on_invoice:
                out[(pl.line.integration_id, pl.line.product_id)] += pl.line.quantity
    return {k: v for k, v in out.items() if v}


def _reported() -> dict[tuple[int, int], Decimal]:
    out: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    for row in usage_report().rows:
        if row.billed_quantity:
            out[(row.integration_id, row.product_id)] += row.billed_quantity
    return dict(out)


#: always tried: an overdue invoice's peak line, whose customer grew since its period (the line follows the
#: count now, 9; its invoice bills the period's peak, 5), beside an in-arrears at-issue line due today
MEASURED = {
    "prices": [1000, 2000, 3000], "sku_products": {"seats": 0, "backup": 1, "mail": None},
    "units": {"seats": "license", "backup": "GB", "mail": "license"},
    "customers": [{"counts": {"seats": 5}, "org": 0, "later": "change", "new_counts": {"seats": 9}},
                  {"counts": {"backup": 40}, "org": 1, "later": "change", "new_counts": {"backup": 70}}],
    "schedules": [
        {"org": 0, "frequency": "monthly", "period_mode": "in_advance", "overdue": True, "active": True,
         "lines": [{"product": 0, "min_quantity": None, "do_not_bill": False, "price": None, "basis": "peak"}]},
        {"org": 1, "frequency": "monthly", "period_mode": "in_arrears", "overdue": False, "active": True,
         "lines": [{"product": 1, "min_quantity": None, "do_not_bill": False, "price": None, "basis": "at_issue"}]}],
    "seat_limit": None, "decisions": [],
}


@settings(max_examples=24, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(s=scenario)
@example(s=MEASURED)
def test_the_reports_billed_quantities_add_up_to_the_invoices(vendor, s):
    _wipe(vendor)
    _build(vendor, s)
    assert _reported() == _invoiced()
