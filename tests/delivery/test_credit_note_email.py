"""Credit notes e-mailed through the invoice outbox, against a real SMTP server on loopback: queued when made
by the invoice's schedule or the maker's choice (a manual invoice's rule), nothing on a rolled-back note,
the credit note's own PDF attached, the same retries, failures, resend and audit as invoice e-mails."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from hub.billing import credit_notes, manual_invoices
from hub.billing.errors import BillingError
from hub.billing.invoicing import run_due_invoices
from hub.delivery import outbox, status, templates
from hub.delivery.pdf import render_credit_note_pdf, render_invoice_pdf
from hub.extensions import db
from hub.models import AuditEvent, CreditNote, Invoice, InvoiceDelivery, Organization
from hub.timeutil import utcnow
from tests.delivery.conftest import SETUP
from tests.delivery.test_pdf import text_of

RUN_DATE = date(2024, 1, 31)


def issue(recurring_invoice) -> Invoice:
    invoice_id = run_due_invoices(RUN_DATE, SETUP, recurring_ids=[recurring_invoice.id]).issued[0]
    return db.session.get(Invoice, invoice_id)


def credit(invoice: Invoice, **kwargs) -> CreditNote:
    return credit_notes.create_credit_note(invoice.id, SETUP, "two seats were never used",
                                           credit_date=date(2024, 2, 5), **kwargs)


def deliveries(note_id: int) -> list[InvoiceDelivery]:
    db.session.expire_all()
    return list(db.session.execute(db.select(InvoiceDelivery).filter_by(credit_note_id=note_id)
                                   .order_by(InvoiceDelivery.id)).scalars())


def actions(note_id: int) -> list[str]:
    return [e.action for e in db.session.execute(db.select(AuditEvent).filter_by(
        entity_type="credit_note", entity_id=str(note_id)).order_by(AuditEvent.id)).scalars()]


@pytest.fixture
def invoice(contoso_contacts, smtp_configured) -> Invoice:
    """An issued invoice of a schedule that holds its e-mails (none sent), the Organization with contacts."""
    recurring_invoice, _line = contoso_contacts
    return issue(recurring_invoice)


@pytest.fixture
def auto_invoice(contoso_contacts, smtp_configured) -> Invoice:
    """An issued invoice of a schedule that sends on issue, its own e-mail already sent."""
    recurring_invoice, _line = contoso_contacts
    outbox.set_send_on_issue(recurring_invoice.id, True, SETUP)
    invoice = issue(recurring_invoice)
    outbox.send_due()
    smtp_configured.received.clear()
    return invoice


def test_made_against_a_sending_schedule_it_is_queued_then_sent_with_its_own_pdf(auto_invoice, smtp_configured):
    note = credit(auto_invoice)
    [queued] = deliveries(note.id)
    # queued in the making transaction; sent by the job, not by the maker
    assert (queued.status, queued.trigger, queued.invoice_id, queued.attempts) == ("queued", "auto", None, 0)
    assert smtp_configured.received == []

    assert outbox.send_due() == [queued.id]
    [got] = smtp_configured.received
    msg = got.message
    assert msg["To"] == "ap@contoso.example, boss@contoso.example" and msg["Cc"] == "books@contoso.example"
    assert msg["Subject"] == "Credit note CN-000001 for invoice INV-000001"
    body = msg.get_body(("plain",)).get_content()
    assert "Hello Contoso," in body and "credit note CN-000001 of 2024-02-05, crediting 200.00 USD" in body
    [attachment] = list(msg.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "credit-note-CN-000001.pdf"
    pdf = attachment.get_content()
    assert pdf == render_credit_note_pdf(note) and pdf != render_invoice_pdf(auto_invoice)
    text = text_of(pdf)
    assert "Credit note CN-000001" in text and "two seats were never used" in text

    [sent] = deliveries(note.id)
    assert sent.status == "sent" and sent.message_id == msg["Message-ID"] and sent.attempt_log[0].ok
    assert status.credit_note_summary(note.id).state == "emailed"
    assert status.summary(auto_invoice.id).state == "emailed"  # the invoice's own e-mail, not the note's
    assert actions(note.id)[-2:] == ["delivery.queue", "delivery.sent"]
    assert outbox.send_due() == []  # sent once


def test_a_holding_schedule_queues_nothing_unless_the_maker_asks(invoice, smtp_configured):
    seats_line = invoice.lines[0]
    held = credit(invoice, line_ids=[seats_line.id])
    assert deliveries(held.id) == [] and status.credit_note_summary(held.id).state == "not_sent"
    assert outbox.send_due() == [] and smtp_configured.received == []
    # "send now" sends a held one at once
    sent = outbox.send_credit_note(held.id, SETUP)
    assert (sent.status, sent.trigger) == ("sent", "manual") and len(smtp_configured.received) == 1


def test_a_manual_invoices_credit_note_is_e_mailed_when_its_maker_asks(contoso_contacts, smtp_configured, contoso):
    manual = manual_invoices.create_manual_invoice(
        contoso.id, SETUP, currency="USD", lines=[{"description": "Audit", "quantity": "1", "unit_price": "10"},
                                                  {"description": "Travel", "quantity": "1", "unit_price": "5"}])
    first, second = manual.lines
    held = credit_notes.create_credit_note(manual.id, SETUP, "audit cancelled", line_ids=[first.id])
    asked = credit_notes.create_credit_note(manual.id, SETUP, "no travel", line_ids=[second.id], send_on_issue=True)
    assert deliveries(held.id) == []
    assert [(d.status, d.trigger) for d in deliveries(asked.id)] == [("queued", "auto")]


def test_a_rolled_back_credit_note_queues_nothing(auto_invoice, commit_fails):
    commit_fails(lambda: db.session.execute(db.select(InvoiceDelivery.id).where(
        InvoiceDelivery.credit_note_id.is_not(None))).first())  # queued in the making transaction, which fails
    with pytest.raises(RuntimeError, match="fails at its commit"):
        credit(auto_invoice)
    db.session.rollback()
    assert db.session.execute(db.select(db.func.count(CreditNote.id))).scalar_one() == 0
    assert db.session.execute(db.select(InvoiceDelivery.id).where(InvoiceDelivery.credit_note_id.is_not(None))
                              ).first() is None


def test_a_failing_server_is_retried_with_backoff_then_succeeds(auto_invoice, smtp_configured):
    smtp_configured.handler.fail_next = ["451 4.3.0 Try again later"]
    note = credit(auto_invoice)
    now = utcnow()
    outbox.send_due(now)
    [d] = deliveries(note.id)
    assert (d.status, d.attempts) == ("queued", 1) and "451" in d.last_error
    assert d.next_attempt_at == now + timedelta(minutes=outbox.RETRY_MINUTES[0])
    assert status.credit_note_summary(note.id).state == "failed"
    assert status.failing_documents().credit_note_count == 1
    assert outbox.send_due(now + timedelta(seconds=30)) == []  # not due yet

    outbox.send_due(now + timedelta(minutes=1))
    [d] = deliveries(note.id)
    assert (d.status, d.attempts, d.last_error) == ("sent", 2, None)
    assert [(a.number, a.ok) for a in d.attempt_log] == [(1, False), (2, True)]
    assert {a.message_id for a in d.attempt_log} == {d.message_id}
    assert status.failing_documents().count == 0
    assert actions(note.id)[-2:] == ["delivery.retry", "delivery.sent"]


def test_a_permanent_refusal_is_shown_and_resend_sends_again(auto_invoice, smtp_configured):
    smtp_configured.handler.fail_next = ["554 5.7.1 Rejected"]
    note = credit(auto_invoice)
    outbox.send_due()
    [d] = deliveries(note.id)
    assert (d.status, d.attempts) == ("failed", 1) and "554" in d.last_error
    failing = status.failing_documents()
    assert (failing.count, failing.invoice_count, [n.id for n in failing.credit_notes]) == (1, 0, [note.id])
    assert "delivery.failed" in actions(note.id)

    resent = outbox.send_credit_note(note.id, SETUP, trigger="resend")
    assert (resent.status, resent.trigger) == ("sent", "resend")
    assert [x.status for x in deliveries(note.id)] == ["failed", "sent"]
    assert status.credit_note_summary(note.id).state == "emailed" and status.failing_documents().count == 0


def test_one_waiting_e_mail_per_credit_note(auto_invoice):
    note = credit(auto_invoice)
    with pytest.raises(BillingError, match="already queued") as info:
        outbox.send_credit_note(note.id, SETUP)
    assert info.value.field == "credit_note_id"
    db.session.rollback()
    with pytest.raises(IntegrityError):  # the database backs the check
        outbox._queue(outbox.CREDIT_NOTES, [db.session.get(CreditNote, note.id)], "manual", SETUP)
    db.session.rollback()
    with pytest.raises(BillingError, match="no credit note with id 999999"):
        outbox.send_credit_note(999999, SETUP)
    db.session.rollback()


def test_a_row_carries_exactly_one_document(auto_invoice):
    note = credit(auto_invoice)
    for invoice_id, note_id in ((None, None), (auto_invoice.id, note.id)):
        db.session.add(InvoiceDelivery(invoice_id=invoice_id, credit_note_id=note_id, trigger="manual",
                                       status="failed", created_by="test"))
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()


def test_customer_text_stays_text_in_the_e_mail(auto_invoice, smtp_configured):
    """Names are filled in as they are: no placeholder inside them is filled, no header can be added."""
    templates.update_template("Credit {credit_note_number} for {organization}",
                              "Dear {organization}: {total}", SETUP, templates.CREDIT_NOTE)
    org = db.session.get(Organization, auto_invoice.organization_id)
    org.name = "Contoso {company} <b>&amp;</b>\r\nBcc: thief@evil.example"  # past the form's checks, on purpose
    db.session.commit()
    note = credit(auto_invoice)
    outbox.send_due()
    [got] = smtp_configured.received
    assert got.message["Subject"].strip() == "Credit CN-000001 for Contoso {company} <b>&amp;</b> Bcc: thief@evil.example"
    assert got.message["Bcc"] is None and "thief@evil.example" not in got.rcpt_tos
    body = got.message.get_body(("plain",)).get_content()
    assert body.startswith("Dear Contoso {company} <b>&amp;</b>\r\nBcc: thief@evil.example: 200.00 USD") or \
        body.startswith("Dear Contoso {company} <b>&amp;</b>\nBcc: thief@evil.example: 200.00 USD")
    assert deliveries(note.id)[0].status == "sent"


def test_the_credit_note_template_is_its_own_and_checked(app_ctx):
    assert templates.get_template(templates.CREDIT_NOTE) == (templates.CREDIT_NOTE_SUBJECT,
                                                             templates.CREDIT_NOTE_BODY)
    with pytest.raises(BillingError) as info:  # an invoice's placeholder means nothing on a credit note
        templates.update_template("Credit {credit_note_number}", "Due {due_date}", SETUP, templates.CREDIT_NOTE)
    assert info.value.errors == {"body": info.value.errors["body"]} and "{due_date}" in info.value.errors["body"]
    db.session.rollback()
    with pytest.raises(BillingError) as info:
        templates.update_template("x", "y", SETUP, "receipt")
    assert info.value.field == "kind"
    db.session.rollback()
    templates.update_template("Credit {credit_note_number}", "For {invoice_number}", SETUP, templates.CREDIT_NOTE)
    assert templates.get_template(templates.CREDIT_NOTE) == ("Credit {credit_note_number}", "For {invoice_number}")
    assert templates.get_template() == (templates.DEFAULT_SUBJECT, templates.DEFAULT_BODY)  # the invoice's untouched


def test_the_cli_makes_and_sends_a_credit_note(invoice, smtp_configured, runner):
    made = runner.invoke(args=["credit-notes", "create", str(invoice.id), "--reason", "cancelled", "--send"])
    assert made.exit_code == 0, made.output
    note = db.session.execute(db.select(CreditNote)).scalar_one()
    assert [d.status for d in deliveries(note.id)] == ["queued"]  # --send: the maker asked
    waiting = runner.invoke(args=["credit-notes", "send", str(note.id)])
    assert waiting.exit_code != 0 and "already queued" in waiting.output
    assert runner.invoke(args=["invoices", "send-due"]).exit_code == 0
    resent = runner.invoke(args=["credit-notes", "send", str(note.id), "--resend"])
    assert resent.exit_code == 0 and "sent to ap@contoso.example, boss@contoso.example" in resent.output
    assert [d.trigger for d in deliveries(note.id)] == ["auto", "resend"]
    assert [a.get_filename() for r in smtp_configured.received for a in r.message.iter_attachments()] \
        == ["credit-note-CN-000001.pdf"] * 2
    missing = runner.invoke(args=["credit-notes", "send", "999"])
    assert missing.exit_code != 0 and "no credit note with id 999" in missing.output
