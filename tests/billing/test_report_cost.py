"""Cost and margin on the usage report, and the shared figures the dashboard takes from billing (issue 13),
on the usage report's hand-checked data set."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal as D

from hub.billing import catalog, recurring
from hub.billing.pricing import price_lines, subtotals
from hub.billing.usage_report import report_rows, unbilled_value, usage_report, usage_report_csv
from hub.extensions import db
from hub.models import RecurringInvoice

from .conftest import ADMIN
from .test_usage_report import data, other_vendor  # noqa: F401  (the fixtures of the hand-checked data set)

# (vendor, customer, sku) -> monthly unit cost, billed value, cost, margin (a month); SEATS costs 6.00, BACKUP 1.00.
# Cost is what the vendor's count costs (vendor quantity x unit cost); billed value what the row bills.
EXPECTED = {
    ("fake", "Contoso HQ", "backup"): ("1.00", "0.00", "100.00", "-100.00"),  # 100 GB, no line
    ("fake", "Contoso HQ", "flag"): (None, None, None, None),  # not billable, no product
    ("fake", "Contoso HQ", "seats"): ("6.00", "180.00", "120.00", "60.00"),  # 20 billed at 9.00
    ("fake", "Contoso Lab", "seats"): ("6.00", "45.00", "30.00", "15.00"),  # 5 at 9.00
    ("fake", "Fabrikam", "seats"): ("6.00", "80.00", "48.00", "32.00"),  # 8 at 10.00 (30.00 a quarter)
    ("fake", "Gone Ltd", "seats"): ("6.00", "40.00", "0.00", "40.00"),  # Detached: counts 0, bills 4 of the minimum
    ("fake", "Initech", "seats"): ("6.00", "0.00", "24.00", "-24.00"),
    ("fake", "Nobody Inc", "backup"): ("1.00", "0.00", "10.00", "-10.00"),
    ("fake", "Nobody Inc", "mystery"): (None, None, None, None),  # SKU without a product: no cost known
    ("fake", "Nobody Inc", "seats"): ("6.00", "0.00", "18.00", "-18.00"),
    ("other", "Contoso (other vendor)", "seats"): ("6.00", "0.00", "36.00", "-36.00"),
}


def _d(value):
    return None if value is None else D(value)


def test_rows_carry_cost_and_margin_in_decimal(data):
    rows = {(r.vendor, r.customer, r.sku): r for r in usage_report().rows}
    got = {k: (r.monthly_unit_cost, r.billed_value, r.monthly_cost, r.margin) for k, r in rows.items()}
    assert got == {k: tuple(map(_d, v)) for k, v in EXPECTED.items()}
    assert all(isinstance(v, D) for r in rows.values() for v in (r.billed_value, r.monthly_cost, r.margin)
               if v is not None)


def test_cost_and_margin_are_totalled_per_currency_and_per_vendor(data):
    report = usage_report()
    t = report.totals
    # billed 180 + 45 + 80 + 40; cost 100 + 120 + 30 + 48 + 0 + 24 + 10 + 18 + 36
    assert (t.billed_value, t.cost, t.margin) == ({"USD": D("345.00")}, {"USD": D("386.00")}, {"USD": D("-41.00")})
    assert (report.by_vendor["other"].cost, report.by_vendor["other"].margin) == ({"USD": D("36.00")},
                                                                                  {"USD": D("-36.00")})
    assert report.by_vendor["fake"].margin == {"USD": D("-5.00")}


def test_a_line_with_no_count_bills_its_minimum_at_no_cost(vendor, make_org, make_product):
    seats = make_product("SEATS", "12.50", "7.00")
    org = make_org("Minimum Ltd")
    schedule = recurring.create_recurring_invoice(org.id, ADMIN, next_run_date=date(2024, 1, 31))
    recurring.add_line(schedule.id, ADMIN, kind="vendor", product_id=seats.id, integration_id=vendor.integration.id,
                       min_quantity="2")
    (row,) = usage_report().rows
    assert (row.status, row.monthly_unit_cost, row.billed_value, row.monthly_cost, row.margin) == (
        "no_count", D("7.00"), D("25.00"), D("0.00"), D("25.00"))


def test_csv_has_cost_and_margin_columns_and_totals(data):
    rows = list(csv.DictReader(io.StringIO(usage_report_csv(usage_report()))))
    seats = [r for r in rows if r["vendor_customer"] == "Contoso HQ" and r["sku"] == "seats"][0]
    assert (seats["monthly_unit_cost"], seats["billed_monthly_value"], seats["monthly_cost"],
            seats["monthly_margin"]) == ("6.00", "180.00", "120.00", "60.00")
    mystery = [r for r in rows if r["sku"] == "mystery"][0]
    assert (mystery["monthly_cost"], mystery["monthly_margin"]) == ("", "")
    (usd,) = [r for r in rows if r["vendor"] == "TOTAL" and r["currency"]]
    assert (usd["billed_monthly_value"], usd["monthly_cost"], usd["monthly_margin"]) == ("345.00", "386.00", "-41.00")


def test_the_dashboards_unbilled_value_is_the_reports(data):
    report = usage_report()
    assert unbilled_value(report_rows()) == (report.totals.unbilled_value, report.totals.unpriced_rows)


def test_subtotals_price_each_line_as_the_invoice_run_does(data, make_product):
    """Lines with the same pricing inputs are priced once: the totals are still each line's own amount."""
    support = make_product("SUPPORT", "99.99", "50.00")
    for n in range(3):  # three alike lines and one with a minimum, an override and a "do not bill"
        schedule = recurring.create_recurring_invoice(data["fabrikam"].id, ADMIN, next_run_date=date(2024, 1, 1))
        recurring.add_line(schedule.id, ADMIN, kind="standard", product_id=support.id, quantity="1.5")
        recurring.add_line(schedule.id, ADMIN, kind="standard", product_id=support.id, quantity=str(n),
                           unit_price_override="0.3333", do_not_bill=n == 2)
    active = db.session.execute(db.select(RecurringInvoice.id, RecurringInvoice.currency)
                                .where(RecurringInvoice.active.is_(True))).all()
    expected: dict[str, D] = {}
    for rid, lines in price_lines([rid for rid, _ in active]).items():
        currency = dict(active)[rid]
        expected[currency] = expected.get(currency, D(0)) + sum((ln.amount for ln in lines if ln.on_invoice), D(0))
    assert subtotals(RecurringInvoice.active.is_(True)) == expected
    assert expected["USD"] > 0


def test_skus_without_a_product_are_counted_as_listed(data):
    assert catalog.count_skus_without_product() == sum(
        1 for r in catalog.list_skus() if r.status in ("unmapped", "suggested")) == 1  # "mystery"
