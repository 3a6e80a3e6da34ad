"""The Third-Party Vendor Usage Report on a hand-checked data set, built through real syncs and mappings."""

from __future__ import annotations

import csv
import io
from decimal import Decimal as D

import pytest
from sqlalchemy import event

from hub import integrations
from hub.billing import catalog, pending, recurring
from hub.billing.usage_report import count_history, usage_report, usage_report_csv
from hub.extensions import db
from hub.timeutil import utcnow
from hub.sync import run_sync
from tests.fakes.fake_vendor import FAKE_CONFIG, FakeVendor

from .conftest import ADMIN

#: the schedules are due today: their next invoices bill the lines as they stand (an overdue one would bill
#: its issue day's counts from history, see test_report_property)
TODAY = utcnow().date()


@pytest.fixture
def other_vendor(app, fake_integration):
    vendor = FakeVendor("other")
    registry = app.extensions["hub.plugins"]
    assert registry.register(vendor, "other") is not None, registry.errors
    integrations.configure("other", dict(FAKE_CONFIG), ADMIN, enable=True)
    yield vendor
    registry.unregister("other")


@pytest.fixture
def data(vendor, other_vendor, make_org, make_product):
    """The data set; the expected figures are worked out by hand in EXPECTED below."""
    seats, backup = make_product("SEATS", "10.00", "6.00"), make_product("BACKUP", "2.50", "1.00")
    contoso, fabrikam, initech = make_org("Contoso"), make_org("Fabrikam"), make_org("Initech")
    fake = vendor.fake
    fake.units["backup"] = "GB"
    fake.add("c1", "Contoso HQ", seats=18, backup=100, flag=1)
    fake.add("c2", "Contoso Lab", seats=5)
    fake.add("f1", "Fabrikam", seats=8)
    fake.add("d1", "Gone Ltd", seats=2)
    fake.add("i1", "Initech", seats=4)
    fake.add("n1", "Nobody Inc", seats=3, backup=10, mystery=7)
    vendor.sync()
    fake.counts["c1"]["seats"] = 20  # some history for c1
    vendor.sync()
    for ext, org in (("c1", contoso), ("c2", contoso), ("f1", fabrikam), ("d1", fabrikam), ("i1", initech)):
        vendor.map(ext, org)
    vendor.map_sku("seats", seats)
    vendor.map_sku("backup", backup)
    catalog.set_sku_billable(vendor.sku("flag").id, False, ADMIN)
    schedule = recurring.create_recurring_invoice(contoso.id, ADMIN, next_run_date=TODAY)
    recurring.add_line(schedule.id, ADMIN, kind="vendor", product_id=seats.id, integration_id=vendor.integration.id,
                       markup_pct="50")  # 6.00 + 50 % = 9.00 a month
    schedule = recurring.create_recurring_invoice(fabrikam.id, ADMIN, next_run_date=TODAY,
                                                  frequency="quarterly")
    recurring.add_line(schedule.id, ADMIN, kind="vendor", product_id=seats.id, integration_id=vendor.integration.id,
                       unit_price_override="30", min_quantity="12")  # 30.00 a quarter = 10.00 a month
    fake.remove("d1")  # Detached: Fabrikam's 10 -> 8 is held; the line still counts 10, bills its minimum 12
    vendor.sync()
    assert len(pending.list_pending_changes()) == 1

    other_vendor.add("o1", "Contoso (other vendor)", seats=6)
    assert run_sync("other").status == "succeeded"
    other = integrations.get_integration("other")
    from hub.models import VendorCustomer, VendorSku

    o1 = db.session.execute(db.select(VendorCustomer).filter_by(integration_id=other.id)).scalar_one()
    from hub import mapping

    mapping.map_customer(o1.id, contoso.id, ADMIN)
    sku = db.session.execute(db.select(VendorSku).filter_by(integration_id=other.id)).scalar_one()
    catalog.map_sku(sku.id, seats.id, ADMIN)
    return {"contoso": contoso, "fabrikam": fabrikam}


# (vendor, customer, sku) -> vendor qty, billed qty, difference, monthly price, unbilled qty, unbilled value, status
EXPECTED = {
    ("fake", "Contoso HQ", "backup"): ("100", "0", "100", "2.50", "100", "250.00", "no_line"),
    ("fake", "Contoso HQ", "flag"): ("1", "0", "1", None, "0", "0.00", "not_billable"),
    ("fake", "Contoso HQ", "seats"): ("20", "20", "0", "9.00", "0", "0.00", "billed"),
    ("fake", "Contoso Lab", "seats"): ("5", "5", "0", "9.00", "0", "0.00", "billed"),
    ("fake", "Fabrikam", "seats"): ("8", "8", "0", "10.00", "0", "0.00", "billed"),
    # Detached: the vendor no longer counts it (0, last count 2); it carries the rest of the minimum 12
    ("fake", "Gone Ltd", "seats"): ("0", "4", "-4", "10.00", "0", "0.00", "detached"),
    ("fake", "Initech", "seats"): ("4", "0", "4", "10.00", "4", "40.00", "no_line"),
    ("fake", "Nobody Inc", "backup"): ("10", "0", "10", "2.50", "10", "25.00", "not_mapped"),
    ("fake", "Nobody Inc", "mystery"): ("7", "0", "7", None, "7", None, "sku_unmapped"),
    ("fake", "Nobody Inc", "seats"): ("3", "0", "3", "10.00", "3", "30.00", "not_mapped"),
    ("other", "Contoso (other vendor)", "seats"): ("6", "0", "6", "10.00", "6", "60.00", "no_line"),
}


def _figures(row):
    return (row.vendor_quantity, row.billed_quantity, row.difference, row.monthly_unit_price,
            row.unbilled_quantity, row.unbilled_value, row.status)


def _expected(values):
    vq, bq, diff, price, uq, value, status = values
    return (D(vq), D(bq), D(diff), None if price is None else D(price), D(uq), None if value is None else D(value),
            status)


def test_rows_and_totals_match_the_hand_checked_figures(data):
    report = usage_report()
    got = {(r.vendor, r.customer, r.sku): _figures(r) for r in report.rows}
    assert got == {k: _expected(v) for k, v in EXPECTED.items()}
    t = report.totals
    # quantities per unit, never gigabytes added to seats:
    # licenses: vendor 1+20+5+8+0+4+7+3+6 = 54, billed 20+5+8+4 = 37, unbilled 4+7+3+6 = 20; GB: 100+10
    quantities = {unit: (q.vendor_quantity, q.billed_quantity, q.difference, q.unbilled_quantity)
                  for unit, q in t.by_unit.items()}
    assert quantities == {"license": (D(54), D(37), D(17), D(20)), "GB": (D(110), D(0), D(110), D(110))}
    assert (t.unbilled_value, t.unpriced_rows) == ({"USD": D("405.00")}, 1)  # 250+40+25+30+60; "mystery" unpriced
    assert report.by_vendor["other"].unbilled_value == {"USD": D("60.00")}
    assert {r.sku: r.unit for r in report.rows if r.vendor == "fake"}["backup"] == "GB"
    gone = [r for r in report.rows if r.customer == "Gone Ltd"][0]
    assert (gone.map_status, gone.last_quantity, gone.organization) == ("detached", D(2), "Fabrikam")


def test_billed_quantities_follow_an_approval(data):
    pending.approve_change(pending.list_pending_changes()[0].change.id, ADMIN)
    rows = {(r.customer, r.sku): r for r in usage_report(vendor="fake").rows}
    # Fabrikam's line now counts 8, still bills its minimum 12: 8 on Fabrikam's row, 4 on the Detached one
    assert rows[("Fabrikam", "seats")].billed_quantity == 8
    assert rows[("Gone Ltd", "seats")].billed_quantity == 4


@pytest.mark.parametrize("filters, keys", [
    ({"vendor": "other"}, {("other", "Contoso (other vendor)", "seats")}),
    ({"status": "not_mapped"}, {("fake", "Nobody Inc", "backup"), ("fake", "Nobody Inc", "seats")}),
    ({"map_status": "detached"}, {("fake", "Gone Ltd", "seats")}),
    ({"vendor": "fake", "status": "no_line"}, {("fake", "Contoso HQ", "backup"), ("fake", "Initech", "seats")}),
])
def test_filters(data, filters, keys):
    report = usage_report(**filters)
    assert {(r.vendor, r.customer, r.sku) for r in report.rows} == keys
    assert sum((q.unbilled_quantity for q in report.totals.by_unit.values()), D(0)) == sum(
        (_expected(EXPECTED[k])[4] for k in keys), D(0))


def test_organization_filter(data):
    report = usage_report(organization_id=data["contoso"].id)
    assert {(r.customer, r.sku) for r in report.rows} == {
        ("Contoso HQ", "backup"), ("Contoso HQ", "flag"), ("Contoso HQ", "seats"), ("Contoso Lab", "seats"),
        ("Contoso (other vendor)", "seats")}
    assert report.totals.unbilled_value == {"USD": D("310.00")}


def test_csv_export(data):
    rows = list(csv.reader(io.StringIO(usage_report_csv(usage_report()))))
    header, body, totals = rows[0], [r for r in rows[1:] if r[0] != "TOTAL"], [r for r in rows[1:] if r[0] == "TOTAL"]
    assert header[:3] == ["vendor", "vendor_customer", "external_id"] and len(body) == len(EXPECTED)
    initech = [r for r in body if r[1] == "Initech"][0]
    assert [dict(zip(header, initech))[c] for c in ("vendor_quantity", "billed_quantity", "difference",
                                                     "monthly_unit_price", "unbilled_quantity",
                                                     "unbilled_monthly_value", "status")] == [
        "4", "0", "4", "10.00", "4", "40.00", "no_line"]
    totals = [dict(zip(header, r)) for r in totals]
    assert [(t["unit"], t["vendor_quantity"], t["billed_quantity"], t["unbilled_quantity"], t["currency"],
             t["unbilled_monthly_value"]) for t in totals] == [
        ("GB", "110", "0", "110", "", ""), ("license", "54", "37", "20", "", ""), ("", "", "", "", "USD", "405.00")]
    assert dict(zip(header, initech))["unit"] == "license"


def test_count_history_per_customer_and_sku(data, vendor):
    c1 = vendor.customer("c1")
    points = count_history(c1.id, vendor.sku("seats").id)
    assert [(p.previous_quantity, p.quantity) for p in points] == [(None, D(18)), (D(18), D(20))]
    assert {p.sku for p in count_history(c1.id)} == {"seats", "backup", "flag"}


def _report_statements() -> list[str]:
    statements = []

    def count(conn, cursor, statement, *rest):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        report = usage_report()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert report.rows
    # SKUs, customers, counts, the catalog, the lines' held states, the invoices whose lines bill a figure from
    # history (none here) and the vendor lines; three more (vendors, Organizations, units) describe lines that
    # bill with no count behind them
    assert len(statements) == 7 + 3 * any(r.status == "no_count" for r in report.rows), statements
    return statements


def test_report_is_a_fixed_number_of_queries_whatever_the_size(data, vendor, make_org):
    """A fixed number of queries, however many customers, counts and lines."""
    before = _report_statements()
    for n in range(6):  # more customers, mapped and billed, with counts of more SKUs
        org = make_org(f"Grown {n}")
        vendor.fake.add(f"g{n}", f"Grown {n}", seats=n + 1, backup=n + 2, extra=n + 3)
        vendor.sync()
        vendor.map(f"g{n}", org)
        schedule = recurring.create_recurring_invoice(org.id, ADMIN, next_run_date=TODAY)
        recurring.add_line(schedule.id, ADMIN, kind="vendor", product_id=vendor.sku("seats").product_id,
                           integration_id=vendor.integration.id)
    after = _report_statements()
    assert len(usage_report().rows) > len(EXPECTED) + 12
    assert len(after) == len(before), after


def test_money_is_totalled_per_currency(vendor, make_product):
    """Nobody (Not mapped) has 3 seats of a USD product at 10.00 and 10 backup of a EUR product at 2.50:
    30.00 USD and 25.00 EUR unbilled, never 55.00 of anything."""
    seats = make_product("SEATS", "10.00")
    backup = catalog.create_product("BACKUP-EU", "Backup (EUR)", "2.50", ADMIN, currency="EUR")
    vendor.fake.add("n1", "Nobody", seats=3, backup=10)
    vendor.sync()
    vendor.map_sku("seats", seats)
    vendor.map_sku("backup", backup)
    report = usage_report()
    assert report.totals.unbilled_value == {"USD": D("30.00"), "EUR": D("25.00")}
    assert {r.sku: r.currency for r in report.rows} == {"seats": "USD", "backup": "EUR"}
    rows = list(csv.DictReader(io.StringIO(usage_report_csv(report))))
    assert [(r["currency"], r["unbilled_monthly_value"]) for r in rows if r["vendor"] == "TOTAL" and r["currency"]] \
        == [("EUR", "25.00"), ("USD", "30.00")]


def _joined_counts(vendor=None, organization_id=None) -> list[tuple]:
    """The obvious read the report's narrow queries replace: every count joined with its customer and SKU in one
    query, in the report's order (vendor, customer name and id, SKU)."""
    from hub.models import LicenseCount, VendorCustomer, VendorIntegration, VendorSku

    query = (db.select(VendorIntegration.slug, VendorCustomer.id, VendorCustomer.name, VendorSku.sku,
                       LicenseCount.quantity)
             .select_from(LicenseCount)
             .join(VendorCustomer, VendorCustomer.id == LicenseCount.vendor_customer_id)
             .join(VendorSku, VendorSku.id == LicenseCount.sku_id)
             .join(VendorIntegration, VendorIntegration.id == VendorSku.integration_id)
             .order_by(VendorIntegration.slug, VendorCustomer.name, VendorCustomer.id, VendorSku.sku))
    if vendor:
        query = query.where(VendorIntegration.slug == vendor)
    if organization_id is not None:
        query = query.where(VendorCustomer.organization_id == organization_id)
    return [tuple(r) for r in db.session.execute(query)]


def test_counts_read_apart_come_in_the_order_of_one_joined_query(data, vendor, make_org):
    """Customers, SKUs and counts are read apart and joined by id: the rows are the joined query's, in its order
    (the database's collation), with or without filters. Names chosen to sort differently by case and accents."""
    org = make_org("Zeta")
    for ext, name in (("z1", "zeta lower"), ("z2", "Zeta upper"), ("z3", "Élan"), ("z4", "elan"), ("z5", "Zeta upper")):
        vendor.fake.add(ext, name, seats=2, backup=3, aaa=1)
    vendor.sync()
    for ext in ("z1", "z3", "z5"):
        vendor.map(ext, org)
    for filters in ({}, {"vendor": "fake"}, {"vendor": "other"}, {"organization_id": org.id},
                    {"organization_id": data["contoso"].id, "vendor": "fake"}):
        counted = [(r.vendor, r.customer_id, r.customer, r.sku, r.last_quantity)
                   for r in usage_report(**filters).rows if r.customer_id is not None]
        joined = [row for row in _joined_counts(**filters) if row[-1] or (row[1], row[3]) in {
            (c[1], c[3]) for c in counted}]  # the report leaves out rows with nothing counted or billed
        assert counted == joined, filters
        assert counted


def test_lines_of_one_product_at_different_prices_are_weighed_and_at_one_price_keep_it(vendor, make_org,
                                                                                       make_product):
    """Two vendor lines of one Organization, vendor and product bill one key: at different prices the row
    shows the price weighed by their quantities, at one price that price (here a quarterly 10.00, 3.3333 a
    month) with nothing lost to dividing."""
    seats = make_product("SEATS", "10.00")
    mixed, same = make_org("Mixed"), make_org("Same")
    vendor.fake.add("m1", "Mixed Co", seats=4)
    vendor.fake.add("s1", "Same Co", seats=5)
    vendor.sync()
    vendor.map("m1", mixed)
    vendor.map("s1", same)
    vendor.map_sku("seats", seats)
    for org, first, second, frequency in ((mixed, {"unit_price_override": "9"}, {}, "monthly"),
                                          (same, {}, {}, "quarterly")):
        schedule = recurring.create_recurring_invoice(org.id, ADMIN, next_run_date=TODAY,
                                                      frequency=frequency)
        recurring.add_line(schedule.id, ADMIN, kind="vendor", product_id=seats.id,
                           integration_id=vendor.integration.id, **first)
        recurring.add_line(schedule.id, ADMIN, kind="vendor", product_id=seats.id,
                           integration_id=vendor.integration.id, **second)
    rows = {r.customer: r for r in usage_report().rows}
    # each line follows the counts (4, and 4 again): 8 billed at (4 x 9.00 + 4 x 10.00) / 8 = 9.50
    assert (rows["Mixed Co"].billed_quantity, rows["Mixed Co"].monthly_unit_price) == (D("8"), D("9.5000"))
    assert (rows["Same Co"].billed_quantity, rows["Same Co"].monthly_unit_price) == (D("10"), D("3.3333"))


def test_a_lines_quantity_fills_its_rows_in_the_order_the_report_shows_them(vendor, make_org, make_product):
    """Two customers of one Organization, the first listed by the vendor named last: the line's quantity fills
    the rows top to bottom as the report lists them (by name), and what is left over (here a minimum) lands on
    the row shown last, whatever order the vendor listed them in."""
    seats = make_product("SEATS", "10.00")
    org = make_org("Acme")
    vendor.fake.add("z1", "Zed Co", seats=3)
    vendor.fake.add("a1", "Amy Co", seats=4)
    vendor.sync()
    vendor.map("z1", org)
    vendor.map("a1", org)
    vendor.map_sku("seats", seats)
    schedule = recurring.create_recurring_invoice(org.id, ADMIN, next_run_date=TODAY)
    recurring.add_line(schedule.id, ADMIN, kind="vendor", product_id=seats.id, integration_id=vendor.integration.id,
                       min_quantity="10")
    rows = [(r.customer, r.vendor_quantity, r.billed_quantity, r.status) for r in usage_report().rows]
    assert rows == [("Amy Co", D(4), D(4), "billed"), ("Zed Co", D(3), D(6), "over_billed")]
