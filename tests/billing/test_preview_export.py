"""The preview of the next invoice (line by line, against the last one) and the CSV, JSON and HTML exports."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal as D

from hub.billing import catalog, export, recurring
from hub.billing.invoicing import run_due_invoices
from hub.billing.preview import preview_invoice, preview_to_dict
from hub.extensions import db
from hub.models import Invoice

from .conftest import ADMIN


def _standard_line(schedule, make_product, code="SUPPORT", price="99.95", quantity="2"):
    product = make_product(code, price=price, cost="0")
    return recurring.add_line(schedule.id, ADMIN, kind="standard", product_id=product.id, quantity=quantity)


def test_first_preview_shows_every_line_as_new_with_its_source(billed, vendor, make_product):
    schedule, line = billed
    _standard_line(schedule, make_product)
    vendor.fake.counts["c1"]["extra_sku"] = 4  # licenses on a SKU nobody mapped yet
    vendor.sync()
    preview = preview_invoice(schedule.id, as_of=date(2024, 1, 31))  # on its day: the count now
    assert (preview.run_date, preview.period.start, preview.period.end) == (
        date(2024, 1, 31), date(2024, 1, 31), date(2024, 2, 28))
    seats, support = preview.lines
    assert [pl.status for pl in preview.lines] == ["new", "new"]
    assert (seats.line.quantity, seats.line.amount, seats.line.vendor) == (D(20), D("200.00"), "fake")
    assert [(c.customer, c.sku, c.quantity, c.unit) for c in seats.contributions] == [
        ("Contoso Ltd", "seats", D(20), "license")]  # each count with what its SKU counts
    assert preview_to_dict(preview)["lines"][0]["counts"][0]["unit"] == "license"
    assert seats.line.source.startswith("20 counted at Fake fake (change ")
    assert support.line.source == "fixed quantity"
    assert preview.total == D("399.90") and preview.previous_total is None
    assert preview.warnings == ["fake: 4 licenses of SKU extra_sku are not mapped to a product"]


def test_preview_after_an_invoice_shows_what_changed(billed, vendor, make_product):
    schedule, line = billed
    support = _standard_line(schedule, make_product)
    run_due_invoices(date(2024, 1, 31))
    vendor.fake.counts["c1"]["seats"] = 25
    run = vendor.sync()
    vendor.fake.counts["c1"]["seats"] = 5  # -20: held
    vendor.sync()
    recurring.update_line(support.id, ADMIN, quantity="3")
    preview = preview_invoice(schedule.id)
    seats, support_line = preview.lines
    assert preview.run_date == date(2024, 2, 29) and preview.previous_total == D("399.90")
    assert (seats.status, seats.quantity_delta, seats.amount_delta) == ("changed", D(5), D("50.00"))
    assert [(c.status, c.cause, c.sync_run_id) for c in seats.changes][:1] == [("applied", "sync", run.id)]
    assert seats.pending is not None and seats.pending.new_quantity == 5
    assert (support_line.status, support_line.quantity_delta) == ("changed", D(1))
    assert preview.warnings == ["Product SEATS: a change to 5 is waiting for approval"]
    recurring.remove_line(support.id, ADMIN)  # invoiced before: archived, and listed as removed
    preview = preview_invoice(schedule.id)
    assert [ln.description for ln in preview.removed] == ["Product SUPPORT"]
    data = json.loads(json.dumps(preview_to_dict(preview)))
    assert data["lines"][0]["quantity"] == "25" and data["lines"][0]["previous_quantity"] == "20"
    assert data["lines"][0]["pending"]["new_quantity"] == "5"


def test_unchanged_and_not_billed_lines(billed, make_product):
    schedule, line = billed
    run_due_invoices(date(2024, 1, 31))
    assert [pl.status for pl in preview_invoice(schedule.id).lines] == ["unchanged"]
    recurring.update_line(line.id, ADMIN, do_not_bill=True)
    preview = preview_invoice(schedule.id)
    assert [pl.status for pl in preview.lines] == ["not_billed"] and preview.total == 0


def _issued(billed, make_product, org_name=None, description=None):
    schedule, _ = billed
    if org_name:
        schedule.organization.name = org_name
        db.session.commit()
    support = _standard_line(schedule, make_product, price="0.335", quantity="3")
    if description:
        recurring.update_line(support.id, ADMIN, description=description)
    run_due_invoices(date(2024, 1, 31))
    return db.session.execute(db.select(Invoice)).scalar_one()


def test_csv_and_json_exports(billed, make_product):
    invoice = _issued(billed, make_product, description="=HYPERLINK(\"http://evil\")")
    rows = list(csv.DictReader(io.StringIO(export.invoice_csv(invoice))))
    assert [(r["product_code"], r["quantity"], r["unit"], r["unit_price"], r["amount"]) for r in rows] == [
        ("SEATS", "20", "license", "10.00", "200.00"),  # a vendor line: what its SKUs count
        ("SUPPORT", "3", "", "0.335", "1.01")]  # 1.005 rounds half-up
    assert rows[0]["invoice_number"] == "INV-000001" and rows[0]["organization"] == "Contoso"
    assert rows[0]["quantity_change_id"] != "" and rows[1]["quantity_change_id"] == ""
    assert rows[1]["description"].startswith("'=")  # never a live spreadsheet formula
    data = json.loads(export.invoice_json(invoice))
    assert (data["number"], data["total"], data["status"]) == ("INV-000001", "201.01", "issued")
    assert data["lines"][0]["evidence"]["quantity_change_id"] == int(rows[0]["quantity_change_id"])


def test_printable_html_escapes_vendor_and_user_text(billed, make_product):
    invoice = _issued(billed, make_product, org_name="<script>alert(1)</script>")
    html = export.render_invoice_html(invoice)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "INV-000001" in html and "201.01" in html and "0.335" in html


def test_sku_list_shows_mapping_status_and_suggestions(vendor, make_product):
    vendor.fake.add("c1", "Contoso", seats=3, backup=7, flag=1)
    vendor.sync()
    make_product("BACKUP")  # the fake plugin suggests the code "BACKUP" for SKU "backup"
    seats = make_product("SEATS_PRODUCT")
    catalog.map_sku(vendor.sku("seats").id, seats.id, ADMIN)
    catalog.set_sku_billable(vendor.sku("flag").id, False, ADMIN)
    status = {r.sku: (r.status, r.suggested_product_code, r.licenses) for r in catalog.list_skus()}
    assert status == {"seats": ("mapped", "SEATS", D(3)), "backup": ("suggested", "BACKUP", D(7)),
                      "flag": ("not_billable", "FLAG", D(1))}
    assert [r.sku for r in catalog.unmapped_skus()] == ["backup", "flag"]
    catalog.accept_suggestions([vendor.sku("backup").id], ADMIN)
    assert [r.sku for r in catalog.unmapped_skus()] == ["flag"]
    product = catalog.create_product_from_sku(vendor.sku("flag").id, "0", ADMIN)
    assert (product.code, product.name) == ("FLAG", "Fake flag")
    assert catalog.unmapped_skus() == []
