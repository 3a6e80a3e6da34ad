"""The usage report page: filters, totals, unbilled value in front, the chart, CSV export, customer history."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest

from hub.billing import usage_report
from hub.extensions import db
from hub.models import LicenseCountHistory
from hub.timeutil import utcnow
from hub.web.billing_pages.usage_chart import build_chart, report_series
from tests.web.billing_fixtures import billing_world  # noqa: F401  (fixture)
from tests.web.billing_fixtures import sku
from tests.web.billing_helpers import text_of


def _rows(html: str) -> list[tuple[str, str, str]]:
    """(external id, sku, status) of each report row."""
    return re.findall(r'data-customer="([^"]+)" data-sku="([^"]+)" data-status="([^"]+)"', html)


def test_report_rows_totals_and_unbilled_value(client, auth, billing_world):
    auth.login("viewer")
    html = client.get("/billing/reports/usage").data.decode()
    assert _rows(html) == [("c-1", "seats", "over_billed"), ("c-2", "seats", "not_mapped")]
    text = text_of(html)
    # Fabrikam (not mapped) has 2 seats at 10.00 a month: the money being lost
    assert "Unbilled value per month 20.00 USD 2 license unbilled" in text
    # totals per unit (the columns: vendor, billed, difference, unbilled)
    assert re.search(r'<tr data-unit="license"><td>license</td><td class="num">4</td><td class="num">5</td>'
                     r'<td class="num">-1</td><td class="num">2</td></tr>', html)
    assert "license 2 0 2 10.00 USD 20.00" in text  # the row shows its unit and its price's currency
    assert 'class="figure figure-unbilled alert"' in html
    unbilled = html.split('data-customer="c-2"')[0].rsplit("<tr", 1)[1]
    assert 'class="unbilled"' in unbilled


def test_filters(client, auth, billing_world):
    auth.login("billing")
    contoso = billing_world["orgs"]["Contoso"]
    by_org = client.get(f"/billing/reports/usage?organization_id={contoso.id}").data.decode()
    assert _rows(by_org) == [("c-1", "seats", "over_billed")]
    assert "Unbilled value per month 0.00" in text_of(by_org)
    by_status = client.get("/billing/reports/usage?status=not_mapped").data.decode()
    assert _rows(by_status) == [("c-2", "seats", "not_mapped")]
    assert _rows(client.get("/billing/reports/usage?map_status=mapped").data.decode()) == [
        ("c-1", "seats", "over_billed")]
    assert _rows(client.get("/billing/reports/usage?vendor=fake&status=billed").data.decode()) == []
    odd = client.get("/billing/reports/usage?days=7&page=-3")  # paging and chart days fall back to defaults
    assert odd.status_code == 200 and len(_rows(odd.data.decode())) == 2


@pytest.mark.parametrize("query, words", [
    ("vendor=acronsi", "Unknown vendor 'acronsi': choose one of fake."),
    ("status=unmapped", "Unknown status 'unmapped': choose one of billed, under_billed, over_billed, no_line, "
                        "not_mapped,"),
    ("map_status=gone", "Unknown map_status 'gone': choose one of mapped, not_mapped, detached."),
    ("line_state=stuck", "Unknown line_state 'stuck': choose one of held, kept."),
    ("organization_id=x", "Unknown organization_id 'x': no Organization with that id."),
    ("organization_id=999999", "Unknown organization_id '999999'"),
])
@pytest.mark.parametrize("path", ["/billing/reports/usage", "/billing/reports/usage.csv"])
def test_unknown_filter_values_are_refused_by_name(client, auth, billing_world, path, query, words):
    auth.login("viewer")
    response = client.get(f"{path}?{query}")
    assert response.status_code == 400 and words in text_of(response.data.decode())


@pytest.mark.parametrize("path", ["/billing/invoices?status=paid", "/billing/invoices?organization_id=999999",
                                  "/billing/invoices?recurring_id=abc", "/billing/skus?vendor=999999",
                                  "/billing/skus?status=whatever", "/billing/pending?vendor=999999",
                                  "/billing/pending?organization_id=x", "/billing/recurring?organization_id=999999",
                                  "/admin/sync-runs/?vendor=acronsi", "/admin/sync-runs/?status=done",
                                  "/admin/destinations/queue?state=bogus"])
def test_every_billing_and_history_filter_refuses_unknown_values(client, auth, billing_world, path):
    auth.login("viewer")
    response = client.get(path)
    name = path.split("?")[1].split("=")[0]
    assert response.status_code == 400 and f"Unknown {name}" in text_of(response.data.decode())


def test_csv_export_follows_the_filters(client, auth, billing_world):
    auth.login("viewer")
    response = client.get("/billing/reports/usage.csv?status=not_mapped")
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="usage-report-')
    rows = list(csv.DictReader(io.StringIO(response.data.decode())))
    assert [(r["vendor"], r["vendor_customer"], r["unit"], r["unbilled_quantity"], r["currency"],
             r["unbilled_monthly_value"]) for r in rows] == [
        ("fake", "Fabrikam", "license", "2", "USD", "20.00"), ("TOTAL", "", "license", "2", "", ""),
        ("TOTAL", "", "", "", "USD", "20.00")]
    page = client.get("/billing/reports/usage?status=not_mapped").data.decode()
    assert 'href="/billing/reports/usage.csv?status=not_mapped"' in page


def _age_history(customer_id: int, sku_id: int, days: int) -> None:
    db.session.execute(db.update(LicenseCountHistory).where(
        LicenseCountHistory.vendor_customer_id == customer_id, LicenseCountHistory.sku_id == sku_id,
        LicenseCountHistory.previous_quantity.is_(None)).values(recorded_at=utcnow() - timedelta(days=days)))
    db.session.commit()


def test_the_chart_walks_the_history_back_from_todays_counts(app_ctx, billing_world):
    """c-2 counted 2 seats 20 days ago; c-1 counted 5 seats 10 days ago, then 2 today."""
    seats = sku("seats").id
    _age_history(billing_world["customers"]["c-2"].id, seats, 20)
    _age_history(billing_world["customers"]["c-1"].id, seats, 10)
    today = utcnow().date()
    [series] = report_series(usage_report.usage_report().rows, 30, today)
    values = dict(series.points)
    assert len(series.points) == 30 and series.label == "fake"
    assert values[today - timedelta(days=29)] == 0 and values[today - timedelta(days=21)] == 0
    assert values[today - timedelta(days=20)] == 2 and values[today - timedelta(days=11)] == 2
    assert values[today - timedelta(days=10)] == 7 and values[today - timedelta(days=1)] == 7
    assert values[today] == 4
    chart = build_chart([series])
    ys = [float(p.split(",")[1]) for p in chart.lines[0]["points"].split()]
    assert min(ys) >= chart.top and max(ys) <= chart.bottom
    assert [label for _, label in chart.y_ticks] == ["0", "5", "10"]
    assert chart.lines[0]["last"] == "4"


def test_the_page_draws_the_chart_inline(client, auth, billing_world):
    _age_history(billing_world["customers"]["c-2"].id, sku("seats").id, 20)
    auth.login("viewer")
    html = client.get("/billing/reports/usage?days=30").data.decode()
    assert '<svg viewBox="0 0 760 240"' in html and '<polyline class="series series-0"' in html
    assert "fake: 4 now" in text_of(html) and 'aria-current="true" class="active">30 days' in html
    assert "style=" not in html.split("<svg", 1)[1].split("</svg>")[0]  # no inline styles (CSP)


def test_customer_history_page(client, auth, billing_world):
    auth.login("viewer")
    customer_id = billing_world["customers"]["c-1"].id
    html = client.get(f"/billing/reports/usage/customers/{customer_id}").data.decode()
    text = text_of(html)
    assert "Contoso Ltd" in text and "<polyline" in html
    assert re.search(r"seats 5 2 \d+", text)  # the drop from 5 to 2, with its sync run
    assert client.get(f"/billing/reports/usage/customers/{customer_id}?sku=999999").status_code == 404
    assert client.get("/billing/reports/usage/customers/999999").status_code == 404


def test_money_is_decimal_in_the_report_totals(app_ctx, billing_world):
    totals = usage_report.usage_report().totals
    assert totals.unbilled_value == {"USD": Decimal("20.00")}
    assert isinstance(totals.unbilled_value["USD"], Decimal)


def test_the_chart_keeps_an_archived_customers_past(app_ctx, billing_world, fake_vendor):
    """c-2 counted 2 seats 20 days ago; today it is Detached and unmapped (archived): the trend keeps
    its 2 seats in the past and drops them today."""
    from hub import mapping
    from tests.web.billing_fixtures import SETUP
    from tests.web.conftest import sync_fake

    c2 = billing_world["customers"]["c-2"].id
    _age_history(c2, sku("seats").id, 20)
    integration = db.session.get(type(billing_world["customers"]["c-2"]), c2).integration
    integration.detach_threshold_pct = Decimal(100)
    db.session.commit()
    fake_vendor.remove("c-2")
    sync_fake()
    mapping.unmap_customer(c2, SETUP)
    today = utcnow().date()
    rows = usage_report.usage_report().rows
    [series] = report_series(rows, 30, today, include_archived=True)
    values = dict(series.points)
    # 15 days ago only c-2 counted (c-1's counts start today): its 2 seats are in the past ...
    assert values[today - timedelta(days=21)] == 0 and values[today - timedelta(days=15)] == 2
    assert values[today] == 2  # ... and not today: only c-1's 2 seats
    [narrow] = report_series(rows, 30, today)  # a filtered report leaves archived customers out
    assert dict(narrow.points)[today - timedelta(days=15)] == 0


def test_one_organizations_trend_counts_a_customer_on_the_days_it_held_it(app_ctx, billing_world):
    """c-1 counted 5 seats from 10 days ago and 2 from today; 4 days ago it moved from Contoso to Northwind.
    Each Organization's trend shows c-1 on its own days; a filtered report (status) draws only its rows."""
    from hub import mapping
    from hub.models import PastMapping, VendorCustomer
    from tests.web.billing_fixtures import SETUP

    c1 = billing_world["customers"]["c-1"].id
    _age_history(c1, sku("seats").id, 10)
    contoso, northwind = billing_world["orgs"]["Contoso"].id, billing_world["orgs"]["Northwind"].id
    mapping.map_customer(c1, northwind, SETUP)
    moved_at = utcnow() - timedelta(days=4)
    db.session.execute(db.update(PastMapping).filter_by(vendor_customer_id=c1).values(mapped_until=moved_at))
    db.session.execute(db.update(VendorCustomer).filter_by(id=c1).values(mapped_at=moved_at))
    db.session.commit()
    today = utcnow().date()

    def trend(organization_id, **kw):
        rows = usage_report.usage_report(organization_id=organization_id, **kw).rows
        [series] = report_series(rows, 30, today, organization_id, include_archived=not kw, **kw)
        return dict(series.points)

    days_ago = lambda n: today - timedelta(days=n)  # noqa: E731
    was = trend(contoso)
    assert (was[days_ago(11)], was[days_ago(10)], was[days_ago(5)], was[days_ago(4)], was[today]) == (0, 5, 5, 0, 0)
    now = trend(northwind)  # Northwind also holds c-3 (Detached today, 1 seat until today)
    assert (now[days_ago(5)], now[days_ago(4)], now[days_ago(1)], now[today]) == (0, 5, 5, 2)
    assert trend(northwind, vendor="fake")[days_ago(4)] == 5
    assert report_series([], 30, today, contoso, include_archived=True, vendor="no-such-vendor") == []
