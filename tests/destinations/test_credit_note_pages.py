"""Where people see a credit note's way to the accounting system: its state per destination on the
invoice page (with "push now" while it waits, escaped), the push queue, and the API's credit note."""

from __future__ import annotations

import re

import sqlalchemy as sa

from hub.billing import credit_notes
from hub.destinations import mappings
from hub.destinations.push import run_pushes
from hub.extensions import db
from hub.models import DestinationPush
from tests.destinations.conftest import ADMIN
from tests.destinations.test_pages import login

QUIET = {"sleep": lambda s: None}


def note_items(html: str, note_id: int) -> list[str]:
    return re.findall(rf'<li data-credit-note="{note_id}" data-push-state="(\w+)">(.*?)</li>', html, re.S)


def blocked_credit_note(books):
    """An invoice issued before QuickBooks was enabled, credited: the credit note is blocked on its unmapped
    customer (whose name would be markup if it were not escaped)."""
    from hub.destinations import connections

    org, product = books.org("Evil <b>Corp</b>"), books.product("EP", "Managed Endpoint")
    connections.set_enabled("quickbooks", False, ADMIN)
    invoice_id = books.issue(org, product)
    connections.set_enabled("quickbooks", True, ADMIN)
    note = credit_notes.create_credit_note(invoice_id, ADMIN, "refund <script>alert(1)</script>")
    run_pushes(session_options=QUIET)
    return org, product, invoice_id, note


def test_the_invoice_page_shows_each_credit_notes_push_state_escaped_with_push_now(client, qbo, books, qbo_sim):
    login(client, "billing")
    org, product, invoice_id, note = blocked_credit_note(books)
    html = client.get(f"/billing/invoices/{invoice_id}").get_data(as_text=True)
    [(state, item)] = note_items(html, note.id)
    assert state == "blocked" and "QuickBooks Online" in item and "Push now" in item
    assert "Evil &lt;b&gt;Corp&lt;/b&gt;" in item and "<b>Corp</b>" not in html
    assert "<script>alert(1)</script>" not in html and "refund &lt;script&gt;" in html
    push = db.session.execute(sa.select(DestinationPush).filter_by(credit_note_id=note.id)).scalar_one()
    assert f'action="/admin/destinations/pushes/{push.id}/push-now"' in item and 'name="csrf_token"' in item
    mappings.create_at_provider("quickbooks", "customer", str(org.id), ADMIN)
    mappings.auto_match("quickbooks", "item", ADMIN)
    mappings.confirm("quickbooks", "item", [str(product.id)], ADMIN)
    pressed = client.post(f"/admin/destinations/pushes/{push.id}/push-now")
    assert pressed.status_code == 302
    assert pressed.headers["Location"].endswith(f"/billing/invoices/{invoice_id}#credit-notes")
    run_pushes(session_options=QUIET)
    html = client.get(f"/billing/invoices/{invoice_id}").get_data(as_text=True)
    [(state, item)] = note_items(html, note.id)
    memo_id = next(iter(qbo_sim.app.state.credit_memos))
    assert state == "pushed" and "Pushed to QuickBooks Online as" in item and "#CN-000001" in item
    assert f'href="https://app.qbo.intuit.com/app/creditmemo?txnId={memo_id}"' in item and "Push now" not in item


def test_a_viewer_sees_the_state_but_no_push_now(client, qbo, books):
    login(client, "viewer")
    _, _, invoice_id, note = blocked_credit_note(books)
    html = client.get(f"/billing/invoices/{invoice_id}").get_data(as_text=True)
    [(state, item)] = note_items(html, note.id)
    assert state == "blocked" and "Push now" not in item


def test_the_queue_page_lists_credit_notes_beside_invoices(client, qbo, books):
    login(client, "billing")
    _, _, invoice_id, note = blocked_credit_note(books)
    html = client.get("/admin/destinations/queue?state=blocked").get_data(as_text=True)
    at = html.index(f'data-credit-note="{note.id}"')
    row = html[html.rindex("<tr", 0, at):html.index("</tr>", at)]
    assert f'href="/billing/invoices/{invoice_id}#credit-notes"' in row and "credit note CN-000001" in row
    assert 'data-state="blocked"' in row and "Evil &lt;b&gt;Corp&lt;/b&gt;" in row and "Push now" in row
    assert "<b>Corp</b>" not in html
