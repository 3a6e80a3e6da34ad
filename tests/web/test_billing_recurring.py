"""Recurring invoice pages: list, create, edit, delete, and standard and vendor lines."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hub.extensions import db
from hub.models import RecurringInvoice, RecurringLine
from tests.web.billing_fixtures import billing_world  # noqa: F401  (fixture)
from tests.web.billing_fixtures import fake_integration_id
from tests.web.billing_helpers import audit_count, field_error, fresh, text_of
from tests.web.conftest import sync_fake

GOOD = {"name": "Cloud services", "frequency": "quarterly", "period_mode": "in_arrears", "next_run_date": "2030-01-31",
        "currency": "eur", "due_days": "14", "memo": "Quarterly <b>bill</b>", "auto_issue": "true"}


def _count(model) -> int:
    return db.session.execute(db.select(db.func.count(model.id))).scalar_one()


def test_list_per_organization(client, auth, billing_world):
    auth.login("viewer")
    contoso, northwind = billing_world["orgs"]["Contoso"], billing_world["orgs"]["Northwind"]
    html = client.get("/billing/recurring").data.decode()
    assert "Recurring services" in html and "Contoso" in html and "/billing/recurring/new" not in html
    only = client.get(f"/billing/recurring?organization_id={northwind.id}").data.decode()
    assert "No recurring invoices for Northwind yet" in text_of(only)
    assert "Recurring services" in client.get(f"/billing/recurring?organization_id={contoso.id}").data.decode()
    junk = client.get("/billing/recurring?organization_id=junk")  # refused by name, not an empty list
    assert junk.status_code == 400 and "Unknown organization_id" in text_of(junk.data.decode())


def test_create_and_edit_a_recurring_invoice(client, auth, billing_world):
    auth.login("billing")
    org = billing_world["orgs"]["Northwind"]
    form = client.get(f"/billing/recurring/new?organization_id={org.id}").data.decode()
    assert f'<option value="{org.id}" selected>Northwind</option>' in form
    response = client.post("/billing/recurring/new", data={**GOOD, "organization_id": str(org.id)})
    assert response.status_code == 302
    created = db.session.execute(db.select(RecurringInvoice).filter_by(organization_id=org.id)).scalar_one()
    assert (created.frequency, created.period_mode, created.currency, created.due_days, created.next_run_date) == (
        "quarterly", "in_arrears", "EUR", 14, date(2030, 1, 31))
    assert response.headers["Location"].endswith(f"/billing/recurring/{created.id}")
    detail = client.get(f"/billing/recurring/{created.id}").data.decode()
    assert "Quarterly &lt;b&gt;bill&lt;/b&gt;" in detail and "bills 2029-10-31 to 2030-01-30" in text_of(detail)

    edit = {**GOOD, "frequency": "monthly", "next_run_date": "2030-02-28", "active": "true"}
    assert client.post(f"/billing/recurring/{created.id}/edit", data=edit).status_code == 302
    created = fresh(RecurringInvoice, created.id)
    assert (created.frequency, created.next_run_date, created.anchor_day) == ("monthly", date(2030, 2, 28), 28)
    assert audit_count("recurring.update") == 2


def test_recurring_form_errors_name_the_field_and_change_nothing(client, auth, billing_world):
    auth.login("billing")
    org = billing_world["orgs"]["Northwind"]
    before, events = _count(RecurringInvoice), audit_count()
    cases = [({"organization_id": ""}, "organization_id", "Organization: choose one"),
             ({"currency": "euro"}, "currency", "three-letter code"),
             ({"next_run_date": "31/01/2030"}, "next_run_date", "Next run date: enter a date like 2026-01-31, not '31/01/2030'"),
             ({"frequency": "weekly"}, "frequency", "Frequency: choose one of monthly, quarterly, yearly"),
             ({"due_days": "400"}, "due_days", "365 or less"),
             ({"name": ""}, "name", "Name is required")]
    for change, field, message in cases:
        response = client.post("/billing/recurring/new", data={**GOOD, "organization_id": str(org.id), **change})
        assert response.status_code == 400
        assert message in (field_error(response.data.decode(), field) or ""), (field, response.data[:200])
    assert _count(RecurringInvoice) == before and audit_count() == events
    recurring_id = billing_world["recurring_id"]
    bad = client.post(f"/billing/recurring/{recurring_id}/edit", data={**GOOD, "currency": "12"})
    assert bad.status_code == 400 and "three-letter code" in field_error(bad.data.decode(), "currency")
    assert fresh(RecurringInvoice, recurring_id).currency == "USD" and audit_count() == events



def test_recurring_form_shows_every_error_at_once_in_plain_words(client, auth, billing_world):
    auth.login("billing")
    before, events = _count(RecurringInvoice), audit_count()
    response = client.post("/billing/recurring/new", data={**GOOD, "organization_id": "", "next_run_date": "",
                                                           "currency": "e" * 20_000, "due_days": "400"})
    html = response.data.decode()
    assert response.status_code == 400
    assert field_error(html, "organization_id") == "Organization: choose one"
    assert field_error(html, "next_run_date") == "Next run date: enter a date like 2026-01-31"
    assert field_error(html, "currency").startswith("Currency: enter a three-letter code such as USD, not 'eeee")
    assert len(field_error(html, "currency")) < 150  # the 20,000 characters are not echoed
    assert field_error(html, "due_days") == "Payment due after (days): enter 365 or less"
    assert "Fix the fields marked below" in text_of(html)
    assert _count(RecurringInvoice) == before and audit_count() == events


def test_line_form_shows_every_error_at_once(client, auth, billing_world):
    auth.login("billing")
    recurring_id = billing_world["recurring_id"]
    lines, events = _count(RecurringLine), audit_count()
    response = client.post(f"/billing/recurring/{recurring_id}/lines/new", data={
        "kind": "standard", "product_id": "", "quantity": "two", "hold_decrease_over_seats": "1.5"})
    html = response.data.decode()
    assert response.status_code == 400
    assert field_error(html, "product_id") == "Product: choose one"
    assert field_error(html, "quantity") == "Quantity: enter a number like 12.50, not 'two'"
    assert field_error(html, "hold_decrease_over_seats").startswith("Hold decreases over (seats): enter a whole number")
    assert _count(RecurringLine) == lines and audit_count() == events

def test_detail_shows_each_vendor_lines_quantity_and_its_source(client, auth, billing_world):
    auth.login("viewer")
    html = client.get(f"/billing/recurring/{billing_world['recurring_id']}").data.decode()
    text = text_of(html)
    # the held decrease to 2 is not billed yet, and the line says so: not "counted", held
    assert "5 held: the counts at Fake fake say 2, waiting for approval (change" in text and "5 counted at" not in text
    assert "Held: change to 2 waiting for approval" in text
    assert "Contoso Ltd · seats : 2 license" in text and f"sync run {billing_world['run_id']}" in text
    assert '<span class="sub line-unit">license</span>' in html  # the vendor line's quantity, with its unit
    assert "fixed quantity" in text and "Next invoice total (USD) 200.00" in text
    assert "/lines/new" not in html  # viewers get no edit links


def test_add_a_vendor_line_counted_from_the_vendor(client, auth, billing_world, fake_vendor):
    auth.login("billing")
    recurring_id = billing_world["recurring_id"]
    fake_vendor.add("c-1", "Contoso Ltd", seats=2, backup_gb=40)
    sync_fake()
    client.post("/billing/catalog/new", data={"code": "BACKUP_GB", "name": "Backup", "unit_price": "0.10"})
    client.post("/billing/skus/accept-suggestions",
                data={"sku_ids": [db.session.execute(db.text("select id from vendor_skus where sku='backup_gb'"))
                                  .scalar_one()]})
    from hub.models import Product

    backup = db.session.execute(db.select(Product).filter_by(code="BACKUP_GB")).scalar_one()
    form = client.get(f"/billing/recurring/{recurring_id}/lines/new?kind=vendor").data.decode()
    assert 'value="vendor" id="kind-vendor" checked' in form
    response = client.post(f"/billing/recurring/{recurring_id}/lines/new", data={
        "kind": "vendor", "product_id": str(backup.id), "integration_id": str(fake_integration_id()),
        "min_quantity": "50", "markup_pct": "25", "quantity": "999"})
    assert response.status_code == 302
    line = db.session.execute(db.select(RecurringLine).filter_by(product_id=backup.id)).scalar_one()
    assert (line.quantity, line.min_quantity, line.markup_pct) == (Decimal(40), Decimal(50), Decimal(25))
    text = text_of(client.get(f"/billing/recurring/{recurring_id}").data.decode())
    assert "40 counted at Fake fake" in text and "minimum 50 billed" in text and "cost 0.00 + 25% markup" in text


def test_line_form_errors_name_the_field_and_change_nothing(client, auth, billing_world):
    auth.login("billing")
    recurring_id, seats = billing_world["recurring_id"], str(billing_world["product_id"])
    lines, events = _count(RecurringLine), audit_count()
    url = f"/billing/recurring/{recurring_id}/lines/new"
    integration = str(fake_integration_id())
    cases = [({"kind": "vendor", "product_id": seats}, "integration_id", "needs a vendor integration"),
             ({"kind": "standard", "product_id": ""}, "product_id", "Product: choose one"),
             ({"kind": "standard", "product_id": seats, "quantity": "two"}, "quantity", "Quantity: enter a number like 12.50, not 'two'"),
             ({"kind": "standard", "product_id": seats, "quantity": "1", "unit_price_override": "5",
               "markup_pct": "10"}, "markup_pct", "not both"),
             ({"kind": "vendor", "product_id": seats, "integration_id": integration, "min_quantity": "-3"},
              "min_quantity", "Minimum quantity: enter 0 or more"),
             ({"kind": "vendor", "product_id": seats, "integration_id": integration, "override_policy": "true",
               "hold_decrease_over_seats": "1.5"}, "hold_decrease_over_seats", "whole number"),
             ({"kind": "", "product_id": seats}, "kind", "Kind: choose one")]
    for form, field, message in cases:
        response = client.post(url, data=form)
        assert response.status_code == 400, form
        assert message in (field_error(response.data.decode(), field) or ""), (form, response.data[-3000:])
    assert _count(RecurringLine) == lines and audit_count() == events


def test_edit_and_remove_lines(client, auth, billing_world):
    auth.login("billing")
    recurring_id, line_id = billing_world["recurring_id"], billing_world["line_id"]
    url = f"/billing/recurring/{recurring_id}/lines/{line_id}/edit"
    form = client.get(url).data.decode()
    assert 'value="vendor" id="kind-vendor" checked' in form
    edit = {"kind": "vendor", "product_id": str(billing_world["product_id"]),
            "integration_id": str(fake_integration_id()), "unit_price_override": "9.50", "do_not_bill": "true",
            "quantity": "999"}  # a vendor line's quantity is counted, never typed: ignored
    assert client.post(url, data=edit).status_code == 302
    line = fresh(RecurringLine, line_id)
    assert (line.unit_price_override, line.do_not_bill, line.quantity) == (Decimal("9.50"), True, Decimal(5))
    bad = client.post(url, data={**edit, "unit_price_override": "x"})
    assert bad.status_code == 400 and "Unit price override: enter a number" in field_error(bad.data.decode(), "unit_price_override")
    assert fresh(RecurringLine, line_id).unit_price_override == Decimal("9.50")
    # the vendor line was invoiced: it is archived, not deleted; then it is gone from the page
    assert client.post(f"/billing/recurring/{recurring_id}/lines/{line_id}/remove").status_code == 303
    assert fresh(RecurringLine, line_id).archived_at is not None
    assert client.get(url).status_code == 404
    assert "Cloud seats" not in text_of(client.get(f"/billing/recurring/{recurring_id}").data.decode())


def test_delete_only_without_invoices(client, auth, billing_world):
    auth.login("billing")
    recurring_id = billing_world["recurring_id"]
    refused = client.post(f"/billing/recurring/{recurring_id}/delete", follow_redirects=True)
    assert "has invoices; deactivate it instead" in text_of(refused.data.decode())
    assert fresh(RecurringInvoice, recurring_id) is not None
    org = billing_world["orgs"]["Northwind"]
    client.post("/billing/recurring/new", data={**GOOD, "organization_id": str(org.id)})
    spare = db.session.execute(db.select(RecurringInvoice.id).filter_by(organization_id=org.id)).scalar_one()
    assert client.post(f"/billing/recurring/{spare}/delete").status_code == 303
    assert fresh(RecurringInvoice, spare) is None and audit_count("recurring.delete") == 1


def test_the_vendor_line_follows_a_sync(client, auth, billing_world, fake_vendor):
    auth.login("billing")
    recurring_id = billing_world["recurring_id"]
    fake_vendor.add("c-1", "Contoso Ltd", seats=12)  # an increase applies at once (and replaces the held change)
    sync_fake()
    text = text_of(client.get(f"/billing/recurring/{recurring_id}").data.decode())
    assert "12 counted at Fake fake" in text and "Held:" not in text and "Contoso Ltd · seats : 12" in text
