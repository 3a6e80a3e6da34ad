"""Tax: per line and per rate, rounded half-up per line; compound rates; exemption; on the invoice, the
preview and the exports. Every expected figure is worked out by hand in Decimal."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal as D

import pytest

from hub.billing import export, recurring, tax
from hub.billing.errors import BillingError
from hub.billing.invoicing import run_due_invoices
from hub.billing.preview import preview_invoice, preview_to_dict
from hub.extensions import db
from hub.models import AuditEvent, Invoice

from .conftest import ADMIN

GST = tax.Rate(1, "GST", D("5"), False)
PST = tax.Rate(2, "PST", D("7"), False)
QST = tax.Rate(3, "QST", D("9.975"), True)  # compound: on the amount plus the non-compound taxes


@pytest.mark.parametrize("lines, rates, line_taxes, summary", [
    # no rates: no tax
    ([(D("100.00"), True)], [], [D("0")], []),
    # 5 % of 100.00 = 5.00; the non-taxable line is not taxed
    ([(D("100.00"), True), (D("40.00"), False)], [GST], [D("5.00"), D("0")], [("GST", D("100.00"), D("5.00"))]),
    # rounded per line, half-up: 0.10 x 5 % = 0.005 -> 0.01 on each of three lines = 0.03
    # (the invoice-level 0.30 x 5 % = 0.015 would give 0.02: the rule is per line)
    ([(D("0.10"), True)] * 3, [GST], [D("0.01")] * 3, [("GST", D("0.30"), D("0.03"))]),
    # two simple rates on the same base: 19.99 x 5 % = 0.9995 -> 1.00; x 7 % = 1.3993 -> 1.40
    ([(D("19.99"), True)], [PST, GST], [D("2.40")], [("GST", D("19.99"), D("1.00")), ("PST", D("19.99"), D("1.40"))]),
    # compound: GST 5 % of 100.00 = 5.00; QST 9.975 % of 105.00 = 10.47375 -> 10.47
    ([(D("100.00"), True)], [QST, GST], [D("15.47")], [("GST", D("100.00"), D("5.00")),
                                                      ("QST", D("105.00"), D("10.47"))]),
    # a credit-like negative amount rounds half-up away from zero: -0.10 x 5 % = -0.005 -> -0.01
    ([(D("-0.10"), True)], [GST], [D("-0.01")], [("GST", D("-0.10"), D("-0.01"))]),
])
def test_tax_lines(lines, rates, line_taxes, summary):
    taxed = tax.tax_lines(lines, rates)
    assert taxed.line_taxes == line_taxes
    assert [(t.rate.name, t.taxable, t.tax) for t in taxed.summary] == summary
    assert taxed.total == sum(line_taxes, D(0)) == sum((t.tax for t in taxed.summary), D(0))


@pytest.fixture
def taxed(billed, contoso, make_product):
    """Contoso's invoice: 20 seats x 10.00 = 200.00 taxable, support 99.95 not taxable; GST 5 % + QST compound."""
    schedule, _ = billed
    support = make_product("SUPPORT", price="99.95", cost="0", taxable=False)
    recurring.add_line(schedule.id, ADMIN, kind="standard", product_id=support.id, quantity="1")
    gst = tax.create_tax_rate("GST", "5", ADMIN)
    qst = tax.create_tax_rate("QST", "9.975", ADMIN, compound=True)
    tax.set_organization_tax(contoso.id, ADMIN, rate_ids=[gst.id, qst.id])
    return schedule


def test_the_invoice_carries_tax_per_line_and_per_rate(taxed):
    # GST 200.00 x 5 % = 10.00; QST (200.00 + 10.00) x 9.975 % = 20.9475 -> 20.95; tax 30.95
    # subtotal 200.00 + 99.95 = 299.95; total 330.90
    preview = preview_invoice(taxed.id)
    assert (preview.subtotal, preview.tax_total, preview.total) == (D("299.95"), D("30.95"), D("330.90"))
    as_dict = preview_to_dict(preview)
    assert [ln["tax"] for ln in as_dict["lines"]] == ["30.95", "0.00"]
    assert as_dict["tax_summary"] == [
        {"name": "GST", "percent": "5", "compound": False, "taxable": "200.00", "tax": "10.00"},
        {"name": "QST", "percent": "9.975", "compound": True, "taxable": "210.00", "tax": "20.95"}]
    run_due_invoices(date(2024, 1, 31))
    invoice = db.session.execute(db.select(Invoice)).scalar_one()
    assert (invoice.subtotal, invoice.taxable_subtotal, invoice.tax_total, invoice.total) == (
        D("299.95"), D("200.00"), D("30.95"), D("330.90"))
    assert invoice.tax_summary == as_dict["tax_summary"]
    assert [ln.tax_amount for ln in invoice.lines] == [D("30.95"), D("0")]
    data = json.loads(export.invoice_json(invoice))
    assert (data["tax_total"], data["total"], data["tax_summary"][1]["tax"]) == ("30.95", "330.90", "20.95")
    rows = list(csv.DictReader(io.StringIO(export.invoice_csv(invoice))))
    assert [r["tax_amount"] for r in rows] == ["30.95", "0.00"]
    html = export.render_invoice_html(invoice)
    assert "QST 9.975% (compound) on 210.00" in html and "330.90" in html
    invoice.tax_total = D("0.00")  # issued: the guard refuses a changed tax as for any other figure
    with pytest.raises(Exception, match="never change"):
        db.session.flush()
    db.session.rollback()


def test_an_exempt_organization_pays_no_tax(taxed, contoso):
    rates = [r.id for r in tax.list_tax_rates()]
    tax.set_organization_tax(contoso.id, ADMIN, rate_ids=rates, exempt=True)
    preview = preview_invoice(taxed.id)
    assert (preview.tax_total, preview.total, preview.taxes.summary) == (D("0"), D("299.95"), [])
    exempt = db.session.execute(db.select(AuditEvent).filter_by(action="tax.organization_exempt")).scalar_one()
    assert (exempt.old_value, exempt.new_value) == ("False", "True")


@pytest.mark.parametrize("call, field", [
    (lambda: tax.create_tax_rate("", "5", ADMIN), "name"),
    (lambda: tax.create_tax_rate("VAT", "abc", ADMIN), "percent"),
    (lambda: tax.create_tax_rate("VAT", "101", ADMIN), "percent"),
    (lambda: tax.create_tax_rate("VAT", "-1", ADMIN), "percent"),
    (lambda: tax.create_tax_rate("VAT", "1.23456", ADMIN), "percent"),
    (lambda: tax.set_organization_tax(999, ADMIN), "organization_id"),
])
def test_bad_tax_input_names_the_field(app_ctx, call, field):
    with pytest.raises(BillingError) as info:
        call()
    assert info.value.field == field


def test_unknown_rates_and_duplicates_are_refused(contoso):
    tax.create_tax_rate("VAT", "20", ADMIN)
    with pytest.raises(BillingError, match="already exists"):
        tax.create_tax_rate("vat", "19", ADMIN)
    db.session.rollback()
    with pytest.raises(BillingError) as info:
        tax.set_organization_tax(contoso.id, ADMIN, rate_ids=[999])
    assert info.value.field == "tax_rate_ids"


def test_a_rate_changed_bills_the_next_invoice_and_leaves_issued_ones(taxed, contoso):
    """GST 5 -> 6 %: the issued invoice keeps 10.00 of GST; the next one bills 6 % of 200.00 = 12.00 and QST
    9.975 % of 212.00 = 21.147 -> 21.15. Each change audited with its old and new value."""
    run_due_invoices(date(2024, 1, 31))
    issued = db.session.execute(db.select(Invoice)).scalar_one()
    gst = next(r for r in tax.list_tax_rates() if r.name == "GST")
    tax.update_tax_rate(gst.id, ADMIN, percent="6", name="GST (2024)")
    db.session.expire_all()
    assert db.session.get(Invoice, issued.id).tax_summary[0] == {
        "name": "GST", "percent": "5", "compound": False, "taxable": "200.00", "tax": "10.00"}
    preview = preview_invoice(taxed.id)
    assert [(t.rate.name, t.tax) for t in preview.taxes.summary] == [("GST (2024)", D("12.00")), ("QST", D("21.15"))]
    changes = db.session.execute(db.select(AuditEvent.field, AuditEvent.old_value, AuditEvent.new_value)
                                 .filter_by(action="tax.rate_update").order_by(AuditEvent.id)).all()
    assert sorted(changes) == [("name", "GST", "GST (2024)"), ("percent", "5", "6")]


def test_a_rate_in_use_cannot_be_retired_and_a_retired_one_is_offered_to_no_one(taxed, contoso, make_org):
    gst = next(r for r in tax.list_tax_rates() if r.name == "GST")
    with pytest.raises(BillingError) as refused:
        tax.update_tax_rate(gst.id, ADMIN, active=False, percent="7")
    assert refused.value.field == "active" and "Contoso" in str(refused.value)
    db.session.rollback()
    assert db.session.get(type(gst), gst.id).percent == D("5")  # nothing changed
    qst = next(r for r in tax.list_tax_rates() if r.name == "QST")
    tax.set_organization_tax(contoso.id, ADMIN, rate_ids=[qst.id])
    tax.update_tax_rate(gst.id, ADMIN, active=False)
    assert [r.name for r in tax.list_tax_rates(active_only=True)] == ["QST"]
    with pytest.raises(BillingError) as retired:
        tax.set_organization_tax(make_org("Fabrikam").id, ADMIN, rate_ids=[gst.id])
    assert retired.value.field == "tax_rate_ids" and "retired" in str(retired.value)


@pytest.mark.parametrize("changes, field", [
    ({"percent": "101"}, "percent"), ({"name": ""}, "name"), ({"name": "qst"}, "name"),
    ({"compound": "maybe"}, "compound"), ({"rate": "5"}, "rate"),
])
def test_bad_rate_changes_name_the_field_and_change_nothing(taxed, changes, field):
    gst = next(r for r in tax.list_tax_rates() if r.name == "GST")
    with pytest.raises(BillingError) as info:
        tax.update_tax_rate(gst.id, ADMIN, **changes)
    assert info.value.field == field
    db.session.rollback()
    assert (gst.name, gst.percent, gst.compound) == ("GST", D("5"), False)
