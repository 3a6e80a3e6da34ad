"""Tax rates to tax codes: listed, auto-matched by name or percent, confirmed; a taxed invoice reaches
each provider with the mapped code and the hub's tax and total, or is blocked naming its rate."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from hub.billing import tax
from hub.destinations import mappings
from hub.destinations.push import run_pushes
from hub.extensions import db
from hub.models import DestinationMapping, DestinationPush, Invoice, Product
from tests.destinations.conftest import ADMIN

QUIET = {"sleep": lambda s: None}


def taxed_invoice(books, slug: str, *rates) -> Invoice:
    """An invoice for an Organization taxed at ``rates``, its customer and item made at the provider."""
    org, product = books.org("Contoso"), books.product("EP", "Managed Endpoint", price="12.35")
    tax.set_organization_tax(org.id, ADMIN, rate_ids=[r.id for r in rates])
    mappings.create_at_provider(slug, "customer", str(org.id), ADMIN)
    mappings.create_at_provider(slug, "item", str(product.id), ADMIN)
    return db.session.get(Invoice, books.issue(org, product, quantity="7"))


def push_of(invoice_id: int) -> DestinationPush:
    db.session.expire_all()
    return db.session.execute(sa.select(DestinationPush).filter_by(invoice_id=invoice_id)).scalar_one()


def test_tax_rates_are_listed_and_auto_matched_by_name_or_percent(qbo, books):
    by_name = tax.create_tax_rate("GST", "15", ADMIN)
    by_percent = tax.create_tax_rate("Goods and services", "15.0000", ADMIN)
    tax.create_tax_rate("City levy", "2.5", ADMIN)
    rows = {r.local_key: r.label for r in mappings.rows("quickbooks", "tax_code")}
    assert rows == {str(by_name.id): "GST (15%)", str(by_percent.id): "Goods and services (15%)",
                    **{k: v for k, v in rows.items() if k not in (str(by_name.id), str(by_percent.id))}}
    assert rows[mappings.NO_TAX] == "Lines with no tax" and len(rows) == 4
    # GST by name; "Goods and services" by its percent (the one 15% code); the levy has no match;
    # "no tax" matches nothing by name, and at 0% three codes (TAX, NON and none) qualify: a person chooses
    assert mappings.auto_match("quickbooks", "tax_code", ADMIN) == 2
    db.session.expire_all()
    found = {m.local_key: m for m in db.session.execute(sa.select(DestinationMapping).filter_by(kind="tax_code")).scalars()}
    assert {k: (m.external_id, m.confirmed, m.source) for k, m in found.items()} == {
        str(by_name.id): ("5", False, "auto"), str(by_percent.id): ("5", False, "auto")}
    assert mappings.confirm("quickbooks", "tax_code", [str(by_name.id)], ADMIN) == 1


def test_a_taxed_invoice_reaches_quickbooks_with_the_mapped_code_and_the_hubs_tax(qbo, books, qbo_sim):
    gst = tax.create_tax_rate("GST", "15", ADMIN)
    invoice = taxed_invoice(books, "quickbooks", gst)
    assert invoice.tax_total > 0
    run_pushes(session_options=QUIET)
    push = push_of(invoice.id)
    assert push.state == "blocked" and push.error_field == "tax" and "'GST'" in push.last_error
    assert qbo_sim.app.state.invoices == {}  # never pushed with a guessed code
    mappings.auto_match("quickbooks", "tax_code", ADMIN)
    assert run_pushes(session_options=QUIET)[0].pushed == []  # a suggestion is not a mapping
    mappings.confirm("quickbooks", "tax_code", [str(gst.id)], ADMIN)
    mappings.set_mapping("quickbooks", "tax_code", mappings.NO_TAX, "NON", "NON", ADMIN)
    db.session.get(DestinationPush, push.id).state = "queued"
    db.session.commit()
    assert run_pushes(session_options=QUIET)[0].pushed == [invoice.id]
    [made] = qbo_sim.app.state.invoices.values()
    assert made["Line"][0]["SalesItemLineDetail"]["TaxCodeRef"] == {"value": "5"}
    assert Decimal(str(made["TxnTaxDetail"]["TotalTax"])) == invoice.tax_total
    assert Decimal(str(made["TotalAmt"])) == invoice.total


def test_a_taxed_invoice_reaches_xero_with_the_mapped_type_and_the_hubs_tax(xero, books, xero_sim):
    gst = tax.create_tax_rate("15% GST on Income", "15", ADMIN)
    invoice = taxed_invoice(books, "xero", gst)
    assert mappings.auto_match("xero", "tax_code", ADMIN) == 2  # the rate by name; "no tax" by 0%
    mappings.confirm("xero", "tax_code", [str(gst.id), mappings.NO_TAX], ADMIN)
    assert run_pushes(session_options=QUIET)[0].pushed == [invoice.id]
    [made] = xero_sim.app.state.orgs[xero.account_id].invoices.values()
    assert made["LineItems"][0]["TaxType"] == "OUTPUT2"
    assert Decimal(str(made["TotalTax"])) == invoice.tax_total
    assert Decimal(str(made["Total"])) == invoice.total


def test_an_untaxed_line_carries_the_no_tax_code(qbo, books, qbo_sim):
    mappings.set_mapping("quickbooks", "tax_code", mappings.NO_TAX, "NON", "NON", ADMIN)
    invoice = taxed_invoice(books, "quickbooks")
    assert invoice.tax_total == 0
    assert run_pushes(session_options=QUIET)[0].pushed == [invoice.id]
    [made] = qbo_sim.app.state.invoices.values()
    assert made["Line"][0]["SalesItemLineDetail"]["TaxCodeRef"] == {"value": "NON"}
    assert "TxnTaxDetail" not in made or Decimal(str(made["TxnTaxDetail"]["TotalTax"])) == 0
    assert Decimal(str(made["TotalAmt"])) == invoice.total


def test_an_invoice_taxed_at_two_rates_is_blocked_not_pushed(qbo, books, qbo_sim):
    state, city = tax.create_tax_rate("State", "6", ADMIN), tax.create_tax_rate("City", "1.5", ADMIN)
    invoice = taxed_invoice(books, "quickbooks", state, city)
    for rate in (state, city):
        mappings.set_mapping("quickbooks", "tax_code", str(rate.id), "TAX", "TAX", ADMIN)
    run_pushes(session_options=QUIET)
    push = push_of(invoice.id)
    assert push.state == "blocked" and push.error_field == "tax" and "City, State" in push.last_error
    assert qbo_sim.app.state.invoices == {}


def test_a_provider_total_unlike_the_hubs_is_shown_on_the_push(xero, books, xero_sim):
    org_state = xero_sim.app.state.orgs[xero.account_id]
    org_state.tax_rates["OUTPUT3"] = {"Name": "12.5% on Income", "TaxType": "OUTPUT3", "Status": "ACTIVE",
                                      "EffectiveRate": Decimal("12.5")}
    gst = tax.create_tax_rate("GST", "15", ADMIN)
    mappings.set_mapping("xero", "tax_code", str(gst.id), "OUTPUT3", "12.5% on Income", ADMIN)  # a wrong code
    first = taxed_invoice(books, "xero", gst)
    assert run_pushes(session_options=QUIET)[0].pushed == [first.id]
    assert push_of(first.id).error_field is None  # the hub's TaxAmount was taken: totals agree
    xero_sim.app.ignore_tax_amount = True  # an organisation that recomputes line tax at the code's rate
    product = db.session.get(Product, first.lines[0].product_id)
    second = db.session.get(Invoice, books.issue(first.organization, product, quantity="7"))
    assert run_pushes(session_options=QUIET)[0].pushed == [second.id]
    push = push_of(second.id)
    assert push.state == "pushed" and push.error_field == "total"
    assert str(second.total) in push.last_error and "Xero holds this invoice with total" in push.last_error
