"""Invoice pages: preview, issue now, list, detail, printable view, CSV and JSON export, issue a draft, void."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import re
from datetime import timedelta

from hub.billing import recurring
from hub.extensions import db
from hub.models import Invoice, RecurringInvoice
from hub.timeutil import utcnow
from tests.web.billing_fixtures import SETUP
from tests.web.billing_fixtures import billing_world  # noqa: F401  (fixture)
from tests.web.billing_helpers import audit_count, field_error, fresh, text_of


def test_preview_line_by_line_with_changes_since_the_last_invoice(client, auth, billing_world):
    auth.login("viewer")
    html = client.get(f"/billing/recurring/{billing_world['recurring_id']}/preview").data.decode()
    text = text_of(html)
    assert "INV-000001" in text  # compared with the issued invoice
    assert "Held, not on this invoice yet: 5 → 2" in text
    assert "1 change since the last invoice" in text  # the held change, with its sync run
    assert f"sync run {billing_world['run_id']}" in text
    assert re.search(r'class="status-unchanged" data-line="\d+"', html)
    assert "Total (USD) 200.00" in text and "last invoice 200.00 (0.00)" in text


def test_preview_shows_a_changed_quantity_and_another_run_date(client, auth, billing_world, fake_vendor):
    from tests.web.conftest import sync_fake

    fake_vendor.add("c-1", "Contoso Ltd", seats=9)
    sync_fake()
    auth.login("billing")
    url = f"/billing/recurring/{billing_world['recurring_id']}/preview"
    text = text_of(client.get(url).data.decode())
    assert "changed" in text and "+4" in text and "+40.00" in text and "Total (USD) 240.00" in text
    bad = client.get(url + "?run_date=tomorrow")
    assert bad.status_code == 400 and "Run date: enter a date like 2026-01-31" in field_error(bad.data.decode(), "run_date")
    moved = text_of(client.get(url + "?run_date=2031-03-15").data.decode())
    assert "Bills 2031-03-15 – " in moved and "issued on 2031-03-15" in moved


def test_issue_now_only_when_due(client, auth, billing_world):
    auth.login("billing")
    recurring_id = billing_world["recurring_id"]
    invoices = db.session.execute(db.select(db.func.count(Invoice.id))).scalar_one()
    not_due = client.post(f"/billing/recurring/{recurring_id}/issue-now", follow_redirects=True)
    assert "Not due: the next invoice is due on" in text_of(not_due.data.decode())
    assert db.session.execute(db.select(db.func.count(Invoice.id))).scalar_one() == invoices
    recurring.update_recurring_invoice(recurring_id, SETUP, next_run_date=utcnow().date() - timedelta(days=1))
    issued = client.post(f"/billing/recurring/{recurring_id}/issue-now")
    assert issued.status_code == 303 and "/billing/invoices/" in issued.headers["Location"]
    assert db.session.execute(db.select(db.func.count(Invoice.id))).scalar_one() == invoices + 1
    assert fresh(RecurringInvoice, recurring_id).next_run_date > utcnow().date()


def test_invoice_list_filters_and_detail(client, auth, billing_world):
    auth.login("viewer")
    html = client.get("/billing/invoices").data.decode()
    assert "INV-000001" in html and "200.00 USD" in html and "Contoso" in html
    assert "INV-000001" not in client.get("/billing/invoices?status=void").data.decode()
    assert client.get("/billing/invoices?page=x").status_code == 200
    bogus = client.get("/billing/invoices?status=bogus")  # a filter value that names nothing is refused by name
    assert bogus.status_code == 400 and "Unknown status 'bogus': choose one of draft, issued, void." in text_of(
        bogus.data.decode())
    detail = client.get(f"/billing/invoices/{billing_world['invoice_id']}").data.decode()
    text = text_of(detail)
    assert "Cloud seats" in text and "5 counted at Fake fake" in text and "Total USD 200.00" in text
    assert 'id="void-form"' not in detail  # viewers cannot void


def test_exports_csv_json_and_the_printable_view(client, auth, billing_world):
    auth.login("viewer")
    invoice_id = billing_world["invoice_id"]
    response = client.get(f"/billing/invoices/{invoice_id}.csv")
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="invoice-INV-000001.csv"'
    rows = list(csv.DictReader(io.StringIO(response.data.decode())))
    assert [(r["product_code"], r["quantity"], r["amount"]) for r in rows] == [("SEATS", "5", "50.00"),
                                                                             ("SUPPORT", "1", "150.00")]
    data = json.loads(client.get(f"/billing/invoices/{invoice_id}.json").data)
    assert data["number"] == "INV-000001" and data["total"] == "200.00" and len(data["lines"]) == 2
    printable = client.get(f"/billing/invoices/{invoice_id}/print")
    html = printable.data.decode()
    assert "Invoice INV-000001" in html and "<nav" not in html
    style = re.search(r"<style>(.*?)</style>", html, flags=re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    csp = printable.headers["Content-Security-Policy"]
    assert f"style-src 'sha256-{digest}'" in csp and "script-src" not in csp and "default-src 'none'" in csp


def test_void_needs_a_reason_and_changes_nothing_without_one(client, auth, billing_world):
    auth.login("billing")
    invoice_id = billing_world["invoice_id"]
    events = audit_count()
    refused = client.post(f"/billing/invoices/{invoice_id}/void", data={"reason": "  "})
    assert refused.status_code == 400 and field_error(refused.data.decode(), "reason") == "Reason is required"
    assert fresh(Invoice, invoice_id).status == "issued" and audit_count() == events
    done = client.post(f"/billing/invoices/{invoice_id}/void", data={"reason": "Sent twice"})
    assert done.status_code == 303
    invoice = fresh(Invoice, invoice_id)
    assert (invoice.status, invoice.void_reason, invoice.number) == ("void", "Sent twice", 1)
    assert audit_count("invoice.void") == 1
    again = client.post(f"/billing/invoices/{invoice_id}/void", data={"reason": "again"})
    assert again.status_code == 400 and "void already" in text_of(again.data.decode())


def test_reissue_a_void_invoices_period(client, auth, billing_world):
    auth.login("billing")
    invoice_id = billing_world["invoice_id"]
    assert 'id="reissue-form"' not in client.get(f"/billing/invoices/{invoice_id}").data.decode()
    live = client.post(f"/billing/invoices/{invoice_id}/reissue", follow_redirects=True)
    assert "void it before reissuing" in live.data.decode() and audit_count("invoice.issue") == 1
    client.post(f"/billing/invoices/{invoice_id}/void", data={"reason": "Wrong seats"})
    assert 'id="reissue-form"' in client.get(f"/billing/invoices/{invoice_id}").data.decode()
    done = client.post(f"/billing/invoices/{invoice_id}/reissue")
    assert done.status_code == 303
    new_id = int(done.headers["Location"].rsplit("/", 1)[1])
    new, old = fresh(Invoice, new_id), fresh(Invoice, invoice_id)
    assert (new.status, new.number, new.period_start, new.total) == ("issued", 2, old.period_start, old.total)
    assert "was billed again" in client.get(f"/billing/invoices/{new_id}").data.decode()


def test_issue_a_draft(client, auth, billing_world):
    auth.login("billing")
    recurring_id = billing_world["recurring_id"]
    recurring.update_recurring_invoice(recurring_id, SETUP, auto_issue=False,
                                       next_run_date=utcnow().date() - timedelta(days=2))
    made = client.post(f"/billing/recurring/{recurring_id}/issue-now")
    draft_id = int(made.headers["Location"].rsplit("/", 1)[1])
    draft = fresh(Invoice, draft_id)
    assert draft.status == "draft" and draft.number is None
    assert "Draft" in client.get("/billing/invoices?status=draft").data.decode()
    assert client.post(f"/billing/invoices/{draft_id}/issue").status_code == 303
    issued = fresh(Invoice, draft_id)
    assert (issued.status, issued.number) == ("issued", 2)
    assert client.post(f"/billing/invoices/{draft_id}/issue").status_code == 409


def test_credit_notes_from_the_invoice_page(client, auth, billing_world):
    from hub.models import CreditNote

    invoice_id = billing_world["invoice_id"]
    auth.login("viewer")
    assert 'id="credit-form"' not in client.get(f"/billing/invoices/{invoice_id}").data.decode()
    auth.login("billing")
    assert 'id="credit-form"' in client.get(f"/billing/invoices/{invoice_id}").data.decode()
    refused = client.post(f"/billing/invoices/{invoice_id}/credit-notes", data={"reason": " "}, follow_redirects=True)
    assert "No credit note was made: Reason is required" in text_of(refused.data.decode())
    done = client.post(f"/billing/invoices/{invoice_id}/credit-notes", data={"reason": "Seats returned"})
    assert done.status_code == 303
    note = db.session.execute(db.select(CreditNote)).scalar_one()
    page = client.get(f"/billing/invoices/{invoice_id}").data.decode()
    assert "CN-000001" in page and "Seats returned" in page and 'id="credit-form"' not in page  # all credited
    printable = client.get(f"/billing/credit-notes/{note.id}/print")
    assert "Credit note CN-000001" in printable.data.decode() and "style-src 'sha256-" in printable.headers[
        "Content-Security-Policy"]
    exported = client.get(f"/billing/credit-notes/{note.id}.csv")
    assert exported.mimetype == "text/csv" and "CN-000001" in exported.data.decode()
    assert f'href="/billing/credit-notes/{note.id}.pdf"' in page
    pdf = client.get(f"/billing/credit-notes/{note.id}.pdf")
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF-")
    assert pdf.headers["Content-Disposition"] == 'attachment; filename="credit-note-CN-000001.pdf"'
