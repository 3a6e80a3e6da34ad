"""Credit notes to Xero through the core: an ACCRECCREDIT credit note on the chosen tenant, once (an
Idempotency-Key, then a lookup by CreditNoteNumber), allocated to the invoice it credits, refusals
blocked naming the field."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from hub.billing import credit_notes, tax
from hub.destinations import mappings, queue
from hub.destinations.push import run_pushes
from hub.extensions import db
from hub.models import DestinationPush
from hub.timeutil import utcnow
from tests.destinations.conftest import ADMIN

QUIET = {"sleep": lambda s: None}
TENANT = "3f7a1c2e-0000-4000-8000-000000000002"


def push_of(credit_note_id: int) -> DestinationPush:
    db.session.expire_all()
    return db.session.execute(sa.select(DestinationPush).filter_by(credit_note_id=credit_note_id)).scalar_one()


def credit_note_calls(xero_sim, method: str) -> list[tuple[str, dict, dict]]:
    return [(path, args, headers) for m, path, args, headers in xero_sim.app.state.requests
            if m == method and "/CreditNotes" in path]


@pytest.fixture
def customer(xero, books):
    org, product = books.org("Customer 001"), books.product("EP-MGD", "Managed Endpoint")
    mappings.auto_match("xero", "customer", ADMIN)
    mappings.confirm("xero", "customer", [str(org.id)], ADMIN)
    mappings.create_at_provider("xero", "item", str(product.id), ADMIN)
    return org, product


def pushed_invoice(books, customer, quantity: str = "3") -> int:
    invoice_id = books.issue(*customer, quantity=quantity)
    assert run_pushes(session_options=QUIET)[0].pushed == [invoice_id]
    return invoice_id


def test_a_credit_note_reaches_xero_and_is_allocated_to_its_invoice(customer, books, xero_sim):
    invoice_id = pushed_invoice(books, customer)
    note = credit_notes.create_credit_note(invoice_id, ADMIN, "two seats unused")
    [report] = run_pushes(session_options=QUIET)
    assert report.credit_notes["pushed"] == [note.id]
    org = xero_sim.app.org(TENANT)
    [made] = org.credit_notes.values()
    [invoice] = org.invoices.values()
    assert made["Type"] == "ACCRECCREDIT" and made["Status"] == "PAID" and made["CreditNoteNumber"] == "CN-000001"
    assert made["Contact"] == {"ContactID": invoice["Contact"]["ContactID"]}
    assert made["Reference"] == f"hub credit note {note.id}" and made["CurrencyCode"] == note.currency
    [line] = made["LineItems"]
    assert Decimal(str(line["Quantity"])) == 3 and Decimal(str(line["UnitAmount"])) == Decimal("12.5")
    assert line["ItemCode"] == "EP-MGD" and line["AccountCode"] == "200" and Decimal(str(made["Total"])) == note.total
    # the credit is allocated to the invoice: nothing left due on it
    [allocation] = made["Allocations"]
    assert allocation["Invoice"]["InvoiceID"] == invoice["InvoiceID"] and allocation["Amount"] == Decimal("37.50")
    assert invoice["AmountDue"] == 0 and invoice["Status"] == "PAID" and made["RemainingCredit"] == 0
    push = push_of(note.id)
    assert push.state == "pushed" and push.external_id == made["CreditNoteID"] and push.external_number == "CN-000001"
    assert push.external_url.endswith(f"creditNoteID={made['CreditNoteID']}") and push.error_field is None
    [(path, args, headers)] = credit_note_calls(xero_sim, "PUT")[:1]
    assert args == {"summarizeErrors": "false", "unitdp": "4"} and headers["Xero-Tenant-Id"] == TENANT
    assert headers["Idempotency-Key"]


def test_a_taxed_credit_note_carries_the_hubs_tax(xero, books, xero_sim):
    gst = tax.create_tax_rate("GST", "15", ADMIN)
    org, product = books.org("Customer 001"), books.product("EP-MGD", "Managed Endpoint", price="12.35")
    tax.set_organization_tax(org.id, ADMIN, rate_ids=[gst.id])
    mappings.auto_match("xero", "customer", ADMIN)
    mappings.confirm("xero", "customer", [str(org.id)], ADMIN)
    mappings.create_at_provider("xero", "item", str(product.id), ADMIN)
    mappings.set_mapping("xero", "tax_code", str(gst.id), "OUTPUT2", "15% GST on Income", ADMIN)
    invoice_id = books.issue(org, product, quantity="7")
    note = credit_notes.create_credit_note(invoice_id, ADMIN, "wrong rate")
    [report] = run_pushes(session_options=QUIET)
    assert report.pushed == [invoice_id] and report.credit_notes["pushed"] == [note.id]
    [made] = xero_sim.app.org(TENANT).credit_notes.values()
    [line] = made["LineItems"]
    assert line["TaxType"] == "OUTPUT2" and Decimal(str(line["TaxAmount"])) == note.tax_total
    assert Decimal(str(made["TotalTax"])) == note.tax_total and Decimal(str(made["Total"])) == note.total


def test_a_lost_answer_does_not_make_a_second_credit_note(customer, books, xero_sim):
    invoice_id = pushed_invoice(books, customer)
    note = credit_notes.create_credit_note(invoice_id, ADMIN, "cancelled")
    xero_sim.app.faults.commit_then_hang, xero_sim.app.faults.hang_seconds = 1, 1.0
    [report] = run_pushes(session_options={**QUIET, "timeout": (5, 0.3), "max_retries": 0})
    assert report.credit_notes["retrying"] == [note.id]
    assert len(xero_sim.app.credit_notes_numbered("CN-000001")) == 1
    push = push_of(note.id)
    push.next_attempt_at = utcnow()
    db.session.commit()
    assert run_pushes(session_options=QUIET)[0].credit_notes["pushed"] == [note.id]
    [made] = xero_sim.app.credit_notes_numbered("CN-000001")
    assert push_of(note.id).external_id == made["CreditNoteID"]
    # the retry looked it up by number (no second PUT) and allocated it once
    assert len([c for c in credit_note_calls(xero_sim, "PUT") if c[0].endswith("/CreditNotes")]) == 1
    wheres = [args.get("where") for path, args, _ in credit_note_calls(xero_sim, "GET")
              if path.endswith("/CreditNotes")]
    assert 'Type=="ACCRECCREDIT" AND CreditNoteNumber=="CN-000001"' in wheres
    assert len(made["Allocations"]) == 1


def test_a_partly_paid_invoice_gets_only_what_it_still_owes(customer, books, xero_sim):
    invoice_id = pushed_invoice(books, customer)
    invoice = next(iter(xero_sim.app.org(TENANT).invoices.values()))
    xero_sim.app.pay(TENANT, invoice["InvoiceID"], Decimal("30.00"))
    note = credit_notes.create_credit_note(invoice_id, ADMIN, "cancelled")
    assert run_pushes(session_options=QUIET)[0].credit_notes["pushed"] == [note.id]
    [made] = xero_sim.app.org(TENANT).credit_notes.values()
    assert [a["Amount"] for a in made["Allocations"]] == [Decimal("7.50")]
    assert made["RemainingCredit"] == Decimal("30.00") and made["Status"] == "AUTHORISED"


def test_a_refusal_blocks_naming_the_field(customer, books, xero_sim):
    invoice_id = pushed_invoice(books, customer)
    note = credit_notes.create_credit_note(invoice_id, ADMIN, "cancelled")
    xero_sim.app.faults.reject_invoices_field = "Date"
    [report] = run_pushes(session_options=QUIET)
    assert report.credit_notes["blocked"] == [note.id]
    push = push_of(note.id)
    assert push.state == "blocked" and push.error_field == "Date"
    assert push.last_error.startswith("Xero refused the credit note: Date is not valid")
    assert xero_sim.app.org(TENANT).credit_notes == {}
    xero_sim.app.faults.reject_invoices_field = None
    queue.push_now(push.id, ADMIN)
    assert run_pushes(session_options=QUIET)[0].credit_notes["pushed"] == [note.id]


def test_a_number_xero_holds_for_someone_else_is_refused_naming_it(customer, books, xero_sim):
    invoice_id = pushed_invoice(books, customer)
    org = xero_sim.app.org(TENANT)
    contact = next(iter(org.contacts))
    org.credit_notes["other"] = {"CreditNoteID": "other", "CreditNoteNumber": "CN-000001", "Type": "ACCRECCREDIT",
                                 "Status": "AUTHORISED", "Reference": "typed in by hand",
                                 "Contact": {"ContactID": contact}}
    note = credit_notes.create_credit_note(invoice_id, ADMIN, "cancelled")
    run_pushes(session_options=QUIET)
    push = push_of(note.id)
    assert push.state == "blocked" and push.error_field == "CreditNoteNumber"
    assert "already holds another credit note numbered CN-000001" in push.last_error
    assert [c["CreditNoteID"] for c in xero_sim.app.credit_notes_numbered("CN-000001")] == ["other"]
