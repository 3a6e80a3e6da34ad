"""``hub invoices run|preview|export|list`` and ``hub report usage``."""

from __future__ import annotations

import csv
import io
import json

import pytest

from hub.extensions import db
from hub.models import Invoice


def test_invoices_run_preview_export(runner, billed):
    schedule, _ = billed
    preview = runner.invoke(args=["invoices", "preview", str(schedule.id), "--json"])
    assert preview.exit_code == 0, preview.output
    assert json.loads(preview.output)["lines"][0]["quantity"] == "20"
    table = runner.invoke(args=["invoices", "preview", str(schedule.id)])
    # overdue (its run date is long past): at issue means the count of its issue day, from history
    assert "total 200.00 USD" in table.output and "at issue 20: the count on 2024-01-31" in table.output

    result = runner.invoke(args=["invoices", "run", "--date", "2024-01-31"])
    assert result.exit_code == 0, result.output
    assert "2024-01-31: 1 issued, 0 drafts" in result.output
    again = runner.invoke(args=["invoices", "run", "--date", "2024-01-31", "--json"])
    assert json.loads(again.output)["issued"] == []

    invoice_id = db.session.execute(db.select(Invoice.id)).scalar_one()
    exported = runner.invoke(args=["invoices", "export", str(invoice_id), "--format", "csv"])
    [row] = list(csv.DictReader(io.StringIO(exported.output)))
    assert (row["invoice_number"], row["quantity"], row["amount"]) == ("INV-000001", "20", "200.00")
    as_json = runner.invoke(args=["invoices", "export", str(invoice_id), "--format", "json"])
    assert json.loads(as_json.output)["total"] == "200.00"
    html = runner.invoke(args=["invoices", "export", str(invoice_id), "--format", "html"])
    assert "<!doctype html>" in html.output
    listing = runner.invoke(args=["invoices", "list", "--json"])
    assert json.loads(listing.output)[0]["number"] == "INV-000001"


def test_cli_errors_are_clear(runner, billed):
    missing = runner.invoke(args=["invoices", "export", "999"])
    assert missing.exit_code == 6 and "invoice_id" in missing.output
    bad_date = runner.invoke(args=["invoices", "run", "--date", "31.01.2024"])
    assert bad_date.exit_code == 2 and "YYYY-MM-DD" in bad_date.output


def test_report_usage(runner, billed, vendor):
    vendor.fake.add("n1", "Nobody", seats=3)
    vendor.sync()
    table = runner.invoke(args=["report", "usage", "--vendor", "fake"])
    assert table.exit_code == 0, table.output
    assert "TOTAL license: vendor 23, billed 20, unbilled 3" in table.output
    assert "TOTAL unbilled worth 30.00 USD a month" in table.output
    rows = list(csv.DictReader(io.StringIO(runner.invoke(args=["report", "usage", "--csv"]).output)))
    assert [(r["vendor"], r["vendor_customer"], r["status"], r["unit"], r["currency"]) for r in rows] == [
        ("fake", "Contoso Ltd", "billed", "license", "USD"), ("fake", "Nobody", "not_mapped", "license", "USD"),
        ("TOTAL", "", "", "license", ""), ("TOTAL", "", "", "", "USD")]
    only = runner.invoke(args=["report", "usage", "--status", "not_mapped", "--csv"])
    assert "Contoso Ltd" not in only.output and "Nobody" in only.output


def test_invoices_list_names_and_filters_by_the_recurring_invoice(runner, billed):
    schedule, _ = billed
    assert runner.invoke(args=["invoices", "run", "--date", "2024-01-31"]).exit_code == 0
    listed = json.loads(runner.invoke(args=["invoices", "list", "--json"]).output)
    assert [r["recurring_invoice_id"] for r in listed] == [schedule.id]
    table = runner.invoke(args=["invoices", "list"]).output
    assert "RECURRING" in table.splitlines()[0]
    only = runner.invoke(args=["invoices", "list", "--recurring", str(schedule.id), "--json"])
    assert [r["number"] for r in json.loads(only.output)] == ["INV-000001"]
    other = runner.invoke(args=["invoices", "list", "--recurring", str(schedule.id + 1), "--json"])
    # an id that names no recurring invoice is a mistake, not an empty listing
    assert other.exit_code == 2 and "--recurring" in other.output
    assert f"no recurring invoice with id {schedule.id + 1}" in other.output


def test_invoices_list_refuses_an_unknown_organization(runner, billed):
    result = runner.invoke(args=["invoices", "list", "--organization", "999"])
    assert result.exit_code == 2 and "no Organization with id 999" in result.output


@pytest.mark.parametrize("args, option, valid", [
    (["--status", "unmapped"], "--status", "not_mapped"),
    (["--map-status", "gone"], "--map-status", "detached"),
    (["--vendor", "acronsi"], "--vendor", "fake"),
    (["--organization", "999"], "--organization", "no Organization with id 999"),
    (["--line-state", "stuck"], "--line-state", "held, kept"),
])
def test_report_usage_refuses_unknown_filter_values(runner, billed, args, option, valid):
    result = runner.invoke(args=["report", "usage", *args])
    assert result.exit_code == 2, result.output
    assert option in result.output and valid in result.output and "unbilled" not in result.output


def test_credit_notes_cli(runner, billed, tmp_path):
    runner.invoke(args=["invoices", "run", "--date", "2024-01-31"])
    invoice_id = db.session.execute(db.select(Invoice.id)).scalar_one()
    made = runner.invoke(args=["credit-notes", "create", str(invoice_id), "--reason", "refund"])
    assert made.exit_code == 0 and "credit note CN-000001" in made.output and "200.00 USD" in made.output
    again = runner.invoke(args=["credit-notes", "create", str(invoice_id), "--reason", "refund"])
    assert again.exit_code == 6 and "credited already" in again.output  # the command failed (README)
    note_id = made.output.split("(id ")[1].split(")")[0]
    exported = runner.invoke(args=["credit-notes", "export", note_id, "--format", "json"])
    assert json.loads(exported.output)["total"] == "200.00"
    pdf = tmp_path / "cn.pdf"
    printed = runner.invoke(args=["credit-notes", "pdf", note_id, "-o", str(pdf)])
    assert printed.exit_code == 0 and pdf.read_bytes().startswith(b"%PDF-")
    missing = runner.invoke(args=["credit-notes", "pdf", "999", "-o", str(tmp_path / "x.pdf")])
    assert missing.exit_code != 0 and "no credit note with id 999" in missing.output
