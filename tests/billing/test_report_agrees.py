"""The report adds up to the invoices for any data, and no line bills a quantity no count supports unseen.

Each scenario goes through the real sync, mapping, approval and invoicing services; figures are
worked out by hand in the comments.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from hub.billing import pending, recurring
from hub.billing.invoicing import run_due_invoices
from hub.billing.preview import preview_invoice, preview_to_dict
from hub.billing.usage_report import usage_report
from hub.extensions import db
from hub.models import Invoice, QuantityChange
from hub.web.dashboard_facts import compute_billing_summary

from .conftest import ADMIN


#: the run date of ``_line_and_schedule``'s invoices: previews taken that day bill the counts now
ON_TIME = date(2024, 1, 31)


def _line_and_schedule(org, product, vendor, **fields):
    schedule = recurring.create_recurring_invoice(org.id, ADMIN, next_run_date=date(2024, 1, 31))
    line = recurring.add_line(schedule.id, ADMIN, kind="vendor", product_id=product.id,
                              integration_id=vendor.integration.id, **fields)
    return schedule, line


def _rows_of(report, organization):
    return [r for r in report.rows if r.organization == organization]


def test_a_line_billing_its_minimum_with_no_count_has_a_report_row(vendor, make_org, make_product):
    """Initech has no vendor customer at all; its line bills the minimum 2 x 12.50 = 25.00 on every invoice."""
    initech = make_org("Initech")
    backup = make_product("BACKUP", price="12.50")
    vendor.fake.add("x1", "Someone", seats=1)
    vendor.sync()
    vendor.map_sku("seats", backup)
    schedule, _ = _line_and_schedule(initech, backup, vendor, min_quantity="2")
    assert preview_invoice(schedule.id).total == D("25.00")
    [row] = _rows_of(usage_report(), "Initech")
    assert (row.status, row.customer_id, row.vendor_quantity, row.billed_quantity) == ("no_count", None, 0, 2)
    assert (row.product_code, row.monthly_unit_price, row.currency, row.unit) == ("BACKUP", D("12.50"), "USD",
                                                                                  "license")
    assert row.unbilled_quantity == 0  # billed, not lost
    assert usage_report(status="no_count").rows == [row]
    run_due_invoices(date(2024, 1, 31))
    invoice = db.session.execute(db.select(Invoice)).scalar_one()
    assert sum(ln.quantity for ln in invoice.lines) == row.billed_quantity


def test_reject_then_unmap_asks_again_and_never_bills_unseen(vendor, make_org, seats, actor):
    """Contoso's only customer d1 (2 seats) goes Detached: 2 -> 0 is held; a person rejects it; then
    someone unmaps d1. The unmapping is a new event: it asks again, and until someone decides, the line,
    the preview and the report all say the 2 are held, not counted."""
    contoso = make_org("Contoso")
    vendor.integration.detach_threshold_pct = D(100)
    vendor.fake.add("d1", "Contoso Ltd", seats=2)
    vendor.fake.add("x1", "Someone else", seats=1)
    vendor.sync()
    vendor.map("d1", contoso)
    vendor.map_sku("seats", seats)
    schedule, line = _line_and_schedule(contoso, seats, vendor)
    vendor.fake.remove("d1")
    vendor.sync()
    [held] = pending.list_pending_changes()
    assert {"drop_to_zero", "customer_detached"} <= set(held.change.reasons)
    pending.reject_change(held.change.id, actor, note="they still use it")
    [pl] = preview_invoice(schedule.id, as_of=ON_TIME).lines
    assert pl.line.quantity_state == "kept" and "kept by a person" in pl.line.source

    vendor.unmap("d1")  # archived: nothing counts for Contoso any more
    [again] = pending.list_pending_changes()
    assert (again.change.cause, again.change.old_quantity, again.change.new_quantity) == ("mapping", 2, 0)
    [pl] = preview_invoice(schedule.id, as_of=ON_TIME).lines
    assert pl.line.quantity == 2 and pl.line.quantity_state == "held"
    assert "counted at" not in pl.line.source and "waiting for approval" in pl.line.source
    assert preview_to_dict(preview_invoice(schedule.id, as_of=ON_TIME))["lines"][0]["quantity_state"] == "held"
    [row] = _rows_of(usage_report(), "Contoso")
    assert (row.status, row.billed_quantity, row.line_state) == ("no_count", 2, "held")

    pending.reject_change(again.change.id, actor, note="still theirs")  # a person decides again: kept
    [row] = _rows_of(usage_report(), "Contoso")
    assert row.line_state == "kept"
    # found by the report's filter, and the dashboard says so (nothing is pending any more to point at it)
    assert [r.organization for r in usage_report(line_state="kept").rows] == ["Contoso"]
    assert usage_report(line_state="held").rows == []
    assert compute_billing_summary().kept_lines == 1
    vendor.fake.counts["x1"]["seats"] = 3  # a later sync that changes nothing for Contoso does not nag
    vendor.sync()
    assert pending.list_pending_changes() == []
    run_due_invoices(date(2024, 1, 31))
    [invoice_line] = db.session.execute(db.select(Invoice)).scalar_one().lines
    assert invoice_line.details["quantity_state"] == "kept" and "rejected" in invoice_line.source


def test_an_unmapping_waiting_for_approval_is_billed_once(vendor, make_org, seats, actor):
    """Contoso bills c1 (20) + c2 (5) = 25; unmapping c2 proposes 20, held (5 seats > the 2-seat limit).
    Until someone decides, c2's 5 are still on Contoso's invoice: the report shows them billed there,
    not also as unbilled Not mapped licenses."""
    contoso = make_org("Contoso")
    vendor.policy(2, None)
    vendor.fake.add("c1", "Contoso HQ", seats=20)
    vendor.fake.add("c2", "Contoso Lab", seats=5)
    vendor.sync()
    vendor.map("c1", contoso)
    vendor.map("c2", contoso)
    vendor.map_sku("seats", seats)
    schedule, _ = _line_and_schedule(contoso, seats, vendor)
    vendor.unmap("c2")
    [held] = pending.list_pending_changes()
    assert (held.change.old_quantity, held.change.new_quantity) == (25, 20)
    report = usage_report()
    rows = {r.customer: r for r in report.rows}
    assert (rows["Contoso HQ"].billed_quantity, rows["Contoso HQ"].status) == (20, "billed")
    lab = rows["Contoso Lab"]
    assert (lab.map_status, lab.status, lab.billed_quantity, lab.unbilled_quantity, lab.line_state) == (
        "not_mapped", "still_billed", 5, 0, "held")
    licenses = report.totals.by_unit["license"]
    assert (licenses.vendor_quantity, licenses.billed_quantity, licenses.unbilled_quantity) == (25, 25, 0)
    assert preview_invoice(schedule.id).lines[0].line.quantity == licenses.billed_quantity

    pending.approve_change(held.change.id, actor)  # now c2 really is off the invoice: unbilled, Not mapped
    lab = {r.customer: r for r in usage_report().rows}["Contoso Lab"]
    assert (lab.status, lab.billed_quantity, lab.unbilled_quantity, lab.line_state) == ("not_mapped", 0, 5, "")
    assert db.session.get(QuantityChange, held.change.id).status == "approved"
