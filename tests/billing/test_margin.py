"""The margin view: revenue, cost, margin and margin % per product, vendor and Organization, per currency,
from issued invoices minus credit notes, with hand-computed Decimal figures."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal as D

import pytest

from hub.billing import credit_notes, invoices, manual_invoices, margin, recurring
from hub.billing.errors import BillingError
from hub.billing.invoicing import run_due_invoices
from hub.extensions import db
from hub.models import Invoice, InvoiceLine

from .conftest import ADMIN


@pytest.fixture
def world(billed, contoso, make_org, make_product):
    """January: Contoso's run invoice (20 SEATS x 10.00, cost 6.00; SUPPORT 1 x 99.95, cost 40.00) and a
    manual EUR invoice for Fabrikam (3 x 12.3333 typed, no product, cost 0)."""
    schedule, _ = billed
    support = make_product("SUPPORT", price="99.95", cost="40.00", taxable=False)
    recurring.add_line(schedule.id, ADMIN, kind="standard", product_id=support.id, quantity="1")
    run = run_due_invoices(date(2024, 1, 31))
    fabrikam = make_org("Fabrikam")
    manual_invoices.create_manual_invoice(fabrikam.id, ADMIN, currency="EUR", invoice_date="2024-01-20",
                                          lines=[{"description": "Workshop", "quantity": "3", "unit_price": "12.3333"}])
    return {"invoice": db.session.get(Invoice, run.issued[0]), "support": support, "fabrikam": fabrikam,
            "contoso": contoso}


def _by_key(report):
    return {(r.key, r.currency): r for r in report.rows}


def test_per_product_from_issued_invoices(world, seats):
    report = margin.margin_report("product", "2024-01-01", "2024-01-31")
    rows = _by_key(report)
    s = rows[(str(seats.id), "USD")]
    assert (s.revenue, s.cost, s.margin, s.margin_pct) == (D("200.00"), D("120.00"), D("80.00"), D("40.00"))
    p = rows[(str(world["support"].id), "USD")]
    # 59.95 / 99.95 = 59.97999 % -> 59.98
    assert (p.revenue, p.cost, p.margin, p.margin_pct) == (D("99.95"), D("40.00"), D("59.95"), D("59.98"))
    typed = rows[("", "EUR")]  # 3 x 12.3333 = 36.9999 -> 37.00
    assert (typed.label, typed.revenue, typed.cost, typed.margin_pct) == ("(no product)", D("37.00"), D("0"), D("100.00"))
    assert report.totals["USD"].revenue == D("299.95") and report.totals["USD"].cost == D("160.00")
    assert report.totals["EUR"].revenue == D("37.00")  # never added to dollars


def test_per_vendor_and_per_organization(world, vendor):
    by_vendor = _by_key(margin.margin_report("vendor", date(2024, 1, 1), date(2024, 1, 31)))
    assert by_vendor[("fake", "USD")].revenue == D("200.00")
    assert by_vendor[("", "USD")].revenue == D("99.95") and by_vendor[("", "USD")].label == "(no vendor)"
    by_org = _by_key(margin.margin_report("organization", date(2024, 1, 1), date(2024, 1, 31)))
    contoso = by_org[(str(world["contoso"].id), "USD")]
    assert (contoso.label, contoso.revenue, contoso.cost, contoso.margin) == (
        "Contoso", D("299.95"), D("160.00"), D("139.95"))
    assert by_org[(str(world["fabrikam"].id), "EUR")].revenue == D("37.00")


def test_credit_notes_in_the_period_come_off_and_void_or_draft_invoices_never_count(world, seats):
    seats_line = next(ln for ln in world["invoice"].lines if ln.product_id == seats.id)
    credit_notes.create_credit_note(world["invoice"].id, ADMIN, "unused", line_ids=[seats_line.id],
                                    credit_date=date(2024, 2, 3))
    january = _by_key(margin.margin_report("product", "2024-01-01", "2024-01-31"))
    assert january[(str(seats.id), "USD")].revenue == D("200.00")  # the credit is dated in February
    february = _by_key(margin.margin_report("product", "2024-02-01", "2024-02-29"))
    assert (february[(str(seats.id), "USD")].revenue, february[(str(seats.id), "USD")].cost) == (
        D("-200.00"), D("-120.00"))
    both = _by_key(margin.margin_report("product", "2024-01-01", "2024-02-29"))
    assert both[(str(seats.id), "USD")].revenue == D("0.00") and both[(str(seats.id), "USD")].margin_pct is None
    eur = db.session.execute(db.select(Invoice).filter_by(currency="EUR")).scalar_one()
    invoices.void_invoice(eur.id, ADMIN, "wrong customer")
    assert ("", "EUR") not in _by_key(margin.margin_report("product", "2024-01-01", "2024-01-31"))


def test_a_line_without_a_kept_cost_uses_the_products_cost_and_says_so(contoso, seats):
    """Lines issued before the unit cost was kept have none: the product's cost now stands in, flagged."""
    schedule = recurring.create_recurring_invoice(contoso.id, ADMIN, next_run_date=date(2024, 3, 1), auto_issue=False)
    recurring.add_line(schedule.id, ADMIN, kind="standard", product_id=seats.id, quantity="3")
    draft = run_due_invoices(date(2024, 3, 1)).drafts[0]
    db.session.execute(db.update(InvoiceLine).where(InvoiceLine.invoice_id == draft).values(unit_cost=None))
    db.session.commit()  # a draft's lines may still change; an issued one's never
    invoices.issue_invoice(draft, ADMIN)
    seats.unit_cost = D("7.5")
    db.session.commit()
    row = _by_key(margin.margin_report("product", "2024-03-01", "2024-03-31"))[(str(seats.id), "USD")]
    assert (row.revenue, row.cost, row.estimated_lines) == (D("30.00"), D("22.50"), 1)


def test_csv_has_the_rows_and_a_total_per_currency(world, seats):
    text = margin.margin_csv(margin.margin_report("product", "2024-01-01", "2024-01-31"))
    rows = list(csv.DictReader(io.StringIO(text)))
    seat_row = next(r for r in rows if r["key"] == str(seats.id))
    assert (seat_row["revenue"], seat_row["cost"], seat_row["margin"], seat_row["margin_pct"]) == (
        "200.00", "120.00", "80.00", "40.00")
    totals = {r["currency"]: r for r in rows if r["key"] == "total"}
    assert totals["USD"]["margin"] == "139.95" and totals["EUR"]["revenue"] == "37.00"


@pytest.mark.parametrize("args, field", [
    (("bogus", "2024-01-01", "2024-01-31"), "by"),
    (("product", "January", "2024-01-31"), "date_from"),
    (("product", "2024-02-01", "2024-01-31"), "date_to"),
])
def test_bad_arguments_name_the_field(app_ctx, args, field):
    with pytest.raises(BillingError) as info:
        margin.margin_report(*args)
    assert info.value.field == field
