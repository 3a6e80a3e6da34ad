"""The dashboard's billing figures (issue 13): the next run's total is what the run would bill (each due
invoice's preview subtotal, the pending one-off charges it takes included), on varied data; and the figures,
kept per process until the billing data changes, are right again after a charge, a sync, an edit, an issue.

The world: three Organizations, runs due on 2026-04-01 in USD and EUR; vendor lines on the peak, average
and at-issue bases (an at-issue line sharing its Organization, vendor and product with a peak line),
a minimum, "do not bill", a price override, proration of an increase, and one-off charges aimed at an
Organization, at a recurring invoice, and at one that is not due.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal as D

import pytest

from hub import mapping
from hub.audit import Actor
from hub.billing import catalog, one_off, recurring
from hub.billing.forecast import run_totals
from hub.billing.invoicing import run_due_invoices
from hub.billing.money import ZERO, fmt_money
from hub.billing.preview import preview_invoice
from hub.extensions import db
from hub.models import Invoice, LicenseCountHistory, RecurringInvoice, VendorCustomer, VendorSku
from hub.web import dashboard_facts
from tests.web.conftest import sync_fake

ADMIN = Actor.cli("dashboard-billing-test")
DAY = date(2026, 4, 1)


def _customer(external_id: str) -> VendorCustomer:
    return db.session.execute(db.select(VendorCustomer).filter_by(external_id=external_id)).scalar_one()


def _history(external_id: str, rows) -> None:
    """Replace c's seats history by ``rows`` [(ISO datetime, quantity)] (a hub that ran through March)."""
    customer = _customer(external_id)
    sku = db.session.execute(db.select(VendorSku).filter_by(sku="seats")).scalar_one()
    db.session.execute(db.delete(LicenseCountHistory).filter_by(vendor_customer_id=customer.id, sku_id=sku.id))
    db.session.execute(db.insert(LicenseCountHistory), [
        dict(vendor_customer_id=customer.id, sku_id=sku.id, quantity=D(q), recorded_at=datetime.fromisoformat(at))
        for at, q in rows])
    db.session.commit()


@pytest.fixture
def world(fake_integration, fake_vendor, users):
    integration = fake_integration.id
    fake_vendor.add("c1", "Contoso Ltd", seats=11)
    fake_vendor.add("c2", "Fabrikam Inc", seats=10)
    fake_vendor.add("c3", "Northwind GmbH", seats=3)
    sync_fake()
    orgs = {name: mapping.create_organization(name, ADMIN) for name in ("Contoso", "Fabrikam", "Northwind")}
    for external_id, name in (("c1", "Contoso"), ("c2", "Fabrikam"), ("c3", "Northwind")):
        mapping.map_customer(_customer(external_id).id, orgs[name].id, ADMIN)
    seats = catalog.create_product("SEATS", "Cloud seats", "10.00", ADMIN, unit_cost="6.00")
    support = catalog.create_product("SUPPORT", "Managed support", "99.99", ADMIN, unit_cost="50.00")
    hosting = catalog.create_product("HOSTING", "Hosting", "45.50", ADMIN, currency="EUR")
    sku = db.session.execute(db.select(VendorSku).filter_by(sku="seats")).scalar_one()
    catalog.map_sku(sku.id, seats.id, ADMIN)
    integration_row = fake_integration
    integration_row.hold_decrease_over_seats = integration_row.hold_decrease_over_pct = None
    db.session.commit()

    def schedule(org, **kw):
        kw.setdefault("next_run_date", DAY)
        return recurring.create_recurring_invoice(orgs[org].id, ADMIN, **kw)

    def vendor_line(rid, **kw):
        return recurring.add_line(rid, ADMIN, kind="vendor", product_id=seats.id, integration_id=integration, **kw)

    # Contoso, in arrears (bills March): peak (14 on the 12th), and an at-issue line of the same key (11 now;
    # March ended on 9, and in arrears at issue is the period's last day)
    peak = schedule("Contoso", period_mode="in_arrears")
    vendor_line(peak.id, basis="peak")
    recurring.add_line(peak.id, ADMIN, kind="standard", product_id=support.id, quantity="1.5")
    at_issue = schedule("Contoso", period_mode="in_arrears")
    vendor_line(at_issue.id, min_quantity="5")
    recurring.add_line(at_issue.id, ADMIN, kind="standard", product_id=support.id, quantity="2",
                       unit_price_override="0.3333")
    recurring.add_line(at_issue.id, ADMIN, kind="standard", product_id=support.id, quantity="1", do_not_bill=True)
    # Fabrikam: in advance on the peak basis with proration of increases, issued for March; and an average
    # over March
    prorated = schedule("Fabrikam", next_run_date=date(2026, 3, 1), proration="increases")
    vendor_line(prorated.id, basis="peak")
    average = schedule("Fabrikam", period_mode="in_arrears")
    vendor_line(average.id, basis="average")
    _history("c2", [("2026-02-10T08:00", "10")])
    assert len(run_due_invoices(date(2026, 3, 1), ADMIN).issued) == 1  # March, in advance: 10 seats
    _history("c2", [("2026-02-10T08:00", "10"), ("2026-03-16T09:00", "16")])  # +6 from the 16th
    _history("c1", [("2026-02-20T08:00", "10"), ("2026-03-12T10:00", "14"), ("2026-03-20T06:00", "9")])
    _history("c3", [("2026-01-05T08:00", "3")])
    # Northwind, in EUR: a standard line, due now, and one due in May
    euro = schedule("Northwind", currency="EUR")
    recurring.add_line(euro.id, ADMIN, kind="standard", product_id=hosting.id, quantity="3", min_quantity="4")
    later = schedule("Northwind", currency="EUR", next_run_date=date(2026, 5, 1))
    recurring.add_line(later.id, ADMIN, kind="standard", product_id=hosting.id, quantity="1")
    # one-off charges: Contoso's (its first due USD invoice takes it), one for Northwind's due invoice,
    # one for the invoice due in May (not in this run)
    one_off.create_charge(orgs["Contoso"].id, ADMIN, description="Install", quantity="2", unit_price="120")
    one_off.create_charge(orgs["Northwind"].id, ADMIN, description="Setup", quantity="1", unit_price="80.25",
                          recurring_invoice_id=euro.id)
    one_off.create_charge(orgs["Northwind"].id, ADMIN, description="Later", quantity="1", unit_price="7",
                          recurring_invoice_id=later.id)
    return {"orgs": orgs, "at_issue": at_issue.id}


def _previews() -> dict[str, D]:
    """The sum of the due invoices' own previews (each lists the pending charges it takes)."""
    due = db.session.execute(db.select(RecurringInvoice).where(RecurringInvoice.active.is_(True),
                                                               RecurringInvoice.next_run_date == DAY)).scalars()
    out: dict[str, D] = {}
    for item in due:
        out[item.currency] = out.get(item.currency, ZERO) + preview_invoice(item.id).subtotal
    return out


def test_the_next_run_is_the_sum_of_the_previews_and_pending_charges(world, client, auth):
    expected = _previews()
    # peak 14 (not 11 at issue) + 1.5 support; 9 (at issue in arrears: March's last day, not 11 now) + 2 x 0.3333;
    # March's average (10 for 15 days, 16 for 16: 13.10 -> 13); April's peak (16) + the +6 of March's 16th to 31st prorated (6 x 16 / 31 = 3.0968)
    assert expected["USD"] == (D("140.00") + D("149.99") + D("90.00") + D("0.67") + D("130.00") + D("160.00")
                               + D("30.97") + D("240.00"))
    assert expected["EUR"] == D("182.00") + D("80.25")  # the minimum of 4
    run = dashboard_facts.next_invoice_run()
    assert (run.day, run.count, run.totals) == (DAY, 5, expected)
    auth.login("viewer")
    html = client.get("/dashboard/billing").data.decode()
    shown = html[html.index('id="next-run"'):].split("</dd>")[0]
    assert "5 invoices," in shown
    for currency, total in expected.items():
        assert f"{fmt_money(total)} {currency}" in shown


def test_the_next_run_is_what_the_run_then_bills(world):
    figures = run_totals(DAY, as_of=DAY)
    result = run_due_invoices(DAY, ADMIN)
    made = db.session.execute(db.select(Invoice).where(Invoice.id.in_(result.issued + result.drafts))).scalars()
    billed: dict[str, D] = {}
    for invoice in made:
        billed[invoice.currency] = billed.get(invoice.currency, ZERO) + invoice.subtotal
    assert figures == billed and len(result.issued + result.drafts) == 5
    # the at-issue line bills its own basis (March's last day: 9, not 11 now and not the peak line's 14 of the
    # same key)
    at_issue = db.session.execute(db.select(Invoice).filter_by(recurring_invoice_id=world["at_issue"])).scalar_one()
    assert [ln.quantity for ln in at_issue.lines if ln.kind == "vendor"] == [D("9")]


def _next_run_shown(client) -> str:
    html = client.get("/dashboard/billing").data.decode()
    return html[html.index('id="next-run"'):].split("</dd>")[0]


def test_the_kept_figures_are_right_again_after_a_charge_a_sync_an_edit_and_an_issue(
        world, client, auth, fake_vendor, monkeypatch):
    computed = []
    compute = dashboard_facts.compute_billing_summary
    monkeypatch.setattr(dashboard_facts, "compute_billing_summary", lambda: computed.append(1) or compute())
    auth.login("viewer")

    def shows_the_previews():
        shown = _next_run_shown(client)
        for currency, total in _previews().items():
            assert f"{fmt_money(total)} {currency}" in shown, (currency, total, shown)
        return shown

    shows_the_previews()
    shows_the_previews()
    assert len(computed) == 1  # nothing changed: kept
    one_off.create_charge(world["orgs"]["Contoso"].id, ADMIN, description="Cables", quantity="3", unit_price="4.50")
    shows_the_previews()
    assert len(computed) == 2
    fake_vendor.add("c1", "Contoso Ltd", seats=20)  # a sync: the at-issue line follows the count (11 -> 20)
    sync_fake()
    shows_the_previews()
    line = next(ln for ln in db.session.get(RecurringInvoice, world["at_issue"]).lines if ln.kind == "standard"
                and not ln.do_not_bill)
    recurring.update_line(line.id, ADMIN, quantity="5")  # an edit
    shows_the_previews()
    assert len(computed) == 4
    run_due_invoices(DAY, ADMIN)  # an issue: the next run is May's (the five issued, and Northwind's later one)
    assert "2026-05-01: 6 invoices," in _next_run_shown(client)
    assert len(computed) == 5
