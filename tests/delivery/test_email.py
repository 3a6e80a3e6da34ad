"""E-mail delivery against a real SMTP server on loopback: auto-send on issue with the PDF attached,
retries with backoff, permanent refusals, resend, and everything recorded and audited."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from hub.billing import invoices as invoice_service
from hub.billing.errors import BillingError
from hub.billing.invoicing import run_due_invoices
from hub.delivery import contacts, outbox, smtp, status
from hub.delivery.pdf import render_invoice_pdf
from hub.extensions import db
from hub.models import AuditEvent, Invoice, InvoiceDelivery, RecurringInvoice
from hub.timeutil import utcnow
from tests.delivery.conftest import SETUP
from tests.delivery.smtp_server import free_port

RUN_DATE = date(2024, 1, 31)


def issue(recurring_invoice) -> Invoice:
    invoice_id = run_due_invoices(RUN_DATE, SETUP, recurring_ids=[recurring_invoice.id]).issued[0]
    return db.session.get(Invoice, invoice_id)


def deliveries(invoice_id: int) -> list[InvoiceDelivery]:
    db.session.expire_all()
    return list(db.session.execute(db.select(InvoiceDelivery).filter_by(invoice_id=invoice_id)
                                   .order_by(InvoiceDelivery.id)).scalars())


@pytest.fixture
def auto(contoso_contacts, smtp_configured):
    recurring_invoice, _line = contoso_contacts
    outbox.set_send_on_issue(recurring_invoice.id, True, SETUP)
    return recurring_invoice


def test_an_issued_invoice_with_auto_send_arrives_with_its_pdf(auto, smtp_configured):
    invoice = issue(auto)
    [queued] = deliveries(invoice.id)
    # queued in the issuing transaction; sent by the job, not by the run
    assert (queued.status, queued.trigger, queued.attempts) == ("queued", "auto", 0)
    assert smtp_configured.received == []

    assert outbox.send_due() == [queued.id]
    [got] = smtp_configured.received
    msg = got.message
    assert msg["From"] == "Example MSP Billing <billing@msp.example>"
    assert msg["To"] == "ap@contoso.example, boss@contoso.example"
    assert msg["Cc"] == "books@contoso.example"
    assert msg["Subject"] == "Invoice INV-000001 for 2024-01-31 to 2024-02-28"
    assert got.mail_from == "billing@msp.example"
    assert sorted(got.rcpt_tos) == ["ap@contoso.example", "books@contoso.example", "boss@contoso.example"]
    body = msg.get_body(("plain",)).get_content()
    assert "Hello Contoso," in body and "200.00 USD is due on 2024-03-01" in body
    [attachment] = list(msg.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "invoice-INV-000001.pdf"
    assert attachment.get_content() == render_invoice_pdf(invoice)

    [sent] = deliveries(invoice.id)
    assert sent.status == "sent" and sent.sent_at is not None and sent.message_id == msg["Message-ID"]
    [attempt] = sent.attempt_log
    assert attempt.ok and attempt.number == 1 and "queued as TEST123" in attempt.result
    assert status.summary(invoice.id).state == "emailed"
    actions = [e.action for e in db.session.execute(
        db.select(AuditEvent).filter_by(entity_type="invoice", entity_id=str(invoice.id))).scalars()]
    assert "delivery.queue" in actions and "delivery.sent" in actions
    assert outbox.send_due() == []  # sent once


def test_held_invoices_are_not_sent_until_someone_sends_them(contoso_contacts, smtp_configured):
    recurring_invoice, _line = contoso_contacts
    invoice = issue(recurring_invoice)
    assert deliveries(invoice.id) == [] and status.summary(invoice.id).state == "not_sent"
    delivery = outbox.send_invoice(invoice.id, SETUP)
    assert delivery.status == "sent" and len(smtp_configured.received) == 1
    assert delivery.trigger == "manual"


def test_a_draft_issued_by_hand_is_queued_too(auto, smtp_configured):
    auto.auto_issue = False
    db.session.commit()
    draft_id = run_due_invoices(RUN_DATE, SETUP, recurring_ids=[auto.id]).drafts[0]
    assert deliveries(draft_id) == []
    with pytest.raises(BillingError, match="only issued invoices are sent"):
        outbox.send_invoice(draft_id, SETUP)
    db.session.rollback()
    invoice_service.issue_invoice(draft_id, SETUP)
    assert [d.status for d in deliveries(draft_id)] == ["queued"]


def test_a_failing_server_is_retried_with_backoff_then_succeeds(auto, smtp_configured):
    smtp_configured.handler.fail_next = ["451 4.3.0 Try again later", "421 4.7.0 Busy"]
    invoice = issue(auto)
    now = utcnow()
    outbox.send_due(now)
    [d] = deliveries(invoice.id)
    assert (d.status, d.attempts) == ("queued", 1) and "451" in d.last_error
    assert d.next_attempt_at == now + timedelta(minutes=outbox.RETRY_MINUTES[0])
    assert status.summary(invoice.id).state == "failed"
    assert [i.id for i in db.session.execute(db.select(Invoice).where(status.state_clause("failed"))).scalars()] \
        == [invoice.id]
    assert status.failing_documents().count == 1

    assert outbox.send_due(now + timedelta(seconds=30)) == []  # not due yet
    outbox.send_due(now + timedelta(minutes=1))
    [d] = deliveries(invoice.id)
    assert (d.status, d.attempts) == ("queued", 2) and "421" in d.last_error
    assert d.next_attempt_at == now + timedelta(minutes=1 + outbox.RETRY_MINUTES[1])

    outbox.send_due(now + timedelta(minutes=6))
    [d] = deliveries(invoice.id)
    assert (d.status, d.attempts, d.last_error) == ("sent", 3, None)
    assert [(a.number, a.ok) for a in d.attempt_log] == [(1, False), (2, False), (3, True)]
    # every attempt carried one Message-ID: a retry is recognisably the same message
    assert {a.message_id for a in d.attempt_log} == {d.message_id}
    assert [r.message["Message-ID"] for r in smtp_configured.received] == [d.message_id]
    assert status.summary(invoice.id).state == "emailed" and status.failing_documents().count == 0
    actions = [e.action for e in db.session.execute(db.select(AuditEvent).filter_by(
        entity_type="invoice", entity_id=str(invoice.id)).order_by(AuditEvent.id)).scalars()]
    assert actions[-3:] == ["delivery.retry", "delivery.retry", "delivery.sent"]


def test_an_unreachable_server_is_given_up_after_the_last_attempt(auto, smtp_configured):
    settings = smtp.get_settings()
    settings.port = free_port()  # nobody listens there
    db.session.commit()
    invoice = issue(auto)
    now = utcnow()
    for n in range(outbox.MAX_ATTEMPTS):
        outbox.send_due(now)
        [d] = deliveries(invoice.id)
        now = d.next_attempt_at
    assert (d.status, d.attempts) == ("failed", outbox.MAX_ATTEMPTS)
    assert "Connection" in d.last_error or "refused" in d.last_error.lower()
    assert outbox.send_due(now + timedelta(days=1)) == []


def test_a_permanent_refusal_fails_at_once_and_resend_sends_again(auto, smtp_configured):
    smtp_configured.handler.fail_next = ["554 5.7.1 Rejected"]
    invoice = issue(auto)
    outbox.send_due()
    [d] = deliveries(invoice.id)
    assert (d.status, d.attempts) == ("failed", 1) and "554" in d.last_error
    resent = outbox.send_invoice(invoice.id, SETUP, trigger="resend")
    assert resent.status == "sent" and resent.trigger == "resend"
    assert [x.status for x in deliveries(invoice.id)] == ["failed", "sent"]
    assert status.summary(invoice.id).state == "emailed"


def test_an_organization_without_contacts_shows_why(billed, smtp_configured):
    recurring_invoice, _line = billed
    outbox.set_send_on_issue(recurring_invoice.id, True, SETUP)
    invoice = issue(recurring_invoice)
    [d] = deliveries(invoice.id)
    assert d.status == "failed" and "has no billing contact" in d.last_error
    assert status.summary(invoice.id).state == "failed" and smtp_configured.received == []


def test_resend_is_refused_while_one_is_queued(auto, smtp_configured):
    invoice = issue(auto)
    with pytest.raises(BillingError, match="already queued"):
        outbox.send_invoice(invoice.id, SETUP)
    db.session.rollback()
    # the database backs the check: a second waiting row for the invoice cannot be written
    with pytest.raises(IntegrityError):
        outbox._queue(outbox.INVOICES, [db.session.get(Invoice, invoice.id)], "manual", SETUP)
    db.session.rollback()
    assert [d.status for d in deliveries(invoice.id)] == ["queued"]


def test_two_senders_never_send_one_row(auto, smtp_configured):
    invoice = issue(auto)
    [d] = deliveries(invoice.id)
    now = utcnow()
    assert outbox._claim(d.id, now) is True
    assert outbox.send_one(d.id, now) is False  # claimed by the first sender
    assert smtp_configured.received == []
    # a sender that died mid-send: its claim runs out and the row is due again
    later = now + timedelta(minutes=outbox.CLAIM_MINUTES + 1)
    assert outbox.send_due(later) == [d.id] and len(smtp_configured.received) == 1


def test_no_queue_row_survives_a_rolled_back_issue(auto):
    """The queue row is written in the issuing transaction: an issue that rolls back leaves no e-mail."""
    from hub.events import invoices_issued

    auto.auto_issue = False
    db.session.commit()
    draft_id = run_due_invoices(RUN_DATE, SETUP, recurring_ids=[auto.id]).drafts[0]

    def explode(*_args, **_kwargs):
        raise RuntimeError("the issuing transaction fails after the e-mail was queued")

    invoices_issued.connect(explode)
    try:
        with pytest.raises(RuntimeError):
            invoice_service.issue_invoice(draft_id, SETUP)
        db.session.rollback()
    finally:
        invoices_issued.disconnect(explode)
    assert deliveries(draft_id) == []
    assert db.session.get(Invoice, draft_id).status == "draft"
    assert db.session.get(RecurringInvoice, auto.id) is not None


def test_bad_addresses_are_refused_at_entry_and_change_nothing(contoso_contacts):
    recurring_invoice, _line = contoso_contacts
    org_id = recurring_invoice.organization_id
    for to, cc, field in (("not-an-address", "", "to"), ("ap@contoso.example", "x@@y", "cc"), ("", "", "to"),
                          ("ap@contoso.example, Bob <bob@contoso.example>", "", "to"),
                          ("ap@contoso..example", "", "to")):
        with pytest.raises(BillingError) as err:
            contacts.set_contacts(org_id, to, cc, SETUP)
        assert err.value.field == field, (to, cc)
        db.session.rollback()
    contact = contacts.get_contacts(org_id)
    assert contact.to_addresses == ["ap@contoso.example", "boss@contoso.example"]
    assert contact.cc_addresses == ["books@contoso.example"]
    # syntax only: a domain that does not exist is fine (no DNS lookups)
    contacts.set_contacts(org_id, "AP@Nowhere-Such-Domain.Example; second@contoso.example", "", SETUP)
    assert contacts.get_contacts(org_id).to_addresses == ["AP@nowhere-such-domain.example", "second@contoso.example"]


def test_the_cli_writes_the_pdf_and_sends(contoso_contacts, smtp_configured, runner, tmp_path):
    recurring_invoice, _line = contoso_contacts
    invoice = issue(recurring_invoice)
    target = tmp_path / "invoice.pdf"
    assert runner.invoke(args=["invoices", "pdf", str(invoice.id), "-o", str(target)]).exit_code == 0
    assert target.read_bytes() == render_invoice_pdf(invoice)
    sent = runner.invoke(args=["invoices", "send", str(invoice.id)])
    assert sent.exit_code == 0 and "sent to ap@contoso.example, boss@contoso.example" in sent.output
    assert len(smtp_configured.received) == 1
    missing = runner.invoke(args=["invoices", "send", "999"])
    assert missing.exit_code == 6 and "no invoice with id 999" in missing.output


def test_the_scheduler_job_sends_the_queue(auto, smtp_configured, app):
    from hub.delivery.jobs import JOB_ID, run_outbox_job
    from hub.sync.jobs import build_scheduler

    assert JOB_ID in {job.id for job in build_scheduler(app).get_jobs()}
    invoice = issue(auto)
    db.session.remove()  # the job uses its own app context and session, as in the scheduler thread
    run_outbox_job(app)
    assert len(smtp_configured.received) == 1
    assert [d.status for d in deliveries(invoice.id)] == ["sent"]


def test_an_invoice_voided_while_its_e_mail_waits_is_not_sent(auto, smtp_configured):
    invoice = issue(auto)
    invoice_service.void_invoice(invoice.id, SETUP, "issued by mistake")
    outbox.send_due()
    [d] = deliveries(invoice.id)
    assert (d.status, d.last_error) == ("failed", "not sent: the invoice is void")
    assert smtp_configured.received == [] and status.failing_documents().count == 0  # a void one needs no nagging
    listed = {state: [i.id for i in invoice_service.list_invoices(delivery_state=state)]
              for state in status.FILTERS}
    assert listed == {"emailed": [], "not_sent": [], "failed": [invoice.id]}
