"""Payment status read back from the providers (the simulators): stored as Decimal, audited, shown on
the invoice page and in the API, filtered in the lists, ``invoice.paid`` through the webhook outbox once;
the run is bounded and batched."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

from hub.destinations import mappings, payments
from hub.destinations.push import run_pushes
from hub.extensions import db
from hub.models import AuditEvent, DestinationPush, Invoice, WebhookEvent
from hub.timeutil import utcnow
from hub.webhooks import endpoints
from tests.destinations.conftest import ADMIN

QUIET = {"sleep": lambda s: None}


def pushed_invoices(books, slug: str, count: int) -> list[Invoice]:
    org, product = books.org("Contoso"), books.product("EP", "Managed Endpoint")
    mappings.create_at_provider(slug, "customer", str(org.id), ADMIN)
    mappings.create_at_provider(slug, "item", str(product.id), ADMIN)
    ids = [books.issue(org, product) for _ in range(count)]
    assert sorted(run_pushes(session_options=QUIET)[0].pushed) == sorted(ids)
    return [db.session.get(Invoice, i) for i in ids]


def push_of(invoice_id: int) -> DestinationPush:
    db.session.expire_all()
    return db.session.execute(sa.select(DestinationPush).filter_by(invoice_id=invoice_id)).scalar_one()


def paid_events() -> list[dict]:
    return [e.data for e in db.session.execute(sa.select(WebhookEvent).filter_by(type="invoice.paid")).scalars()]


def test_quickbooks_payments_are_read_stored_audited_and_paid_emits_once(qbo, books, qbo_sim):
    endpoints.add_endpoint("https://93.184.216.34/hook", "invoice.paid", ADMIN)
    part, whole, untouched = pushed_invoices(books, "quickbooks", 3)
    qbo_sim.app.pay(push_of(part.id).external_id, Decimal("10.00"))
    qbo_sim.app.pay(push_of(whole.id).external_id, whole.total)
    [report] = payments.check_payments(QUIET)
    assert report.checked == 3 and sorted(report.changed) == sorted([part.id, whole.id, untouched.id])
    assert report.paid == [whole.id]

    first = push_of(part.id)
    assert (first.payment_state, first.amount_paid, first.balance_due) == (
        "partially_paid", Decimal("10.00"), part.total - Decimal("10.00"))
    assert isinstance(first.amount_paid, Decimal)
    assert (push_of(whole.id).payment_state, push_of(whole.id).amount_paid) == ("paid", whole.total)
    assert push_of(whole.id).paid_at is not None
    assert (push_of(untouched.id).payment_state, push_of(untouched.id).amount_paid) == ("unpaid", Decimal("0.00"))
    assert [(e["invoice_id"], Decimal(e["amount_paid"]), e["destination"]) for e in paid_events()] == [
        (whole.id, whole.total, "quickbooks")]
    audit = {e.entity_id: e for e in db.session.execute(
        sa.select(AuditEvent).filter_by(action="destination.payment")).scalars()}
    assert audit[str(part.id)].old_value is None and audit[str(part.id)].new_value == "partially_paid 10.00"

    # the paid invoice is asked about no more; the others not before RECHECK has passed
    assert payments.check_payments(QUIET)[0].checked == 0
    qbo_sim.app.pay(push_of(part.id).external_id, part.total - Decimal("10.00"))
    later = utcnow() + payments.RECHECK + timedelta(minutes=1)
    [report] = payments.check_payments(QUIET, now=later)
    assert report.checked == 2 and report.paid == [part.id]
    assert push_of(part.id).payment_state == "paid"
    assert sorted(e["invoice_id"] for e in paid_events()) == sorted([whole.id, part.id])  # once each
    assert audit_count("destination.payment") == 4


def audit_count(action: str) -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(AuditEvent).filter_by(action=action)).scalar()


def test_a_void_requested_invoice_is_not_read(qbo, books, qbo_sim):
    [invoice] = pushed_invoices(books, "quickbooks", 1)
    push = push_of(invoice.id)
    push.void_requested_at = utcnow()
    db.session.commit()
    assert payments.check_payments(QUIET)[0].checked == 0


def test_the_run_is_bounded_and_batched(qbo, books, qbo_sim, monkeypatch):
    monkeypatch.setattr(payments, "BATCH", 2)
    monkeypatch.setattr(payments, "MAX_PER_RUN", 3)
    invoices = pushed_invoices(books, "quickbooks", 4)
    before = len(qbo_sim.app.state.requests)
    [report] = payments.check_payments(QUIET)
    asked = [r for r in qbo_sim.app.state.requests[before:] if r[1].endswith("/query")]
    assert len(asked) == 2 and all("from Invoice where Id IN" in r[2]["query"] for r in asked)
    assert report.checked == 3
    left = [i.id for i in invoices if push_of(i.id).payment_checked_at is None]
    assert len(left) == 1  # the next run reads it: never-checked ones come first
    assert payments.check_payments(QUIET)[0].checked == 1
    assert push_of(left[0]).payment_state == "unpaid"
    assert qbo_sim.app.state.over_limit == 0


def test_the_scheduler_runs_the_payment_tick(app, qbo, books, qbo_sim):
    from hub.destinations import jobs
    from hub.sync.jobs import EXTRA_JOBS

    jobs.register()
    jobs.register()
    assert [job_id for job_id, _, _ in EXTRA_JOBS].count("hub-destination-payments") == 1
    [invoice] = pushed_invoices(books, "quickbooks", 1)
    qbo_sim.app.pay(push_of(invoice.id).external_id, invoice.total)
    jobs.run_payment_tick(app)
    assert push_of(invoice.id).payment_state == "paid"


def test_xero_partial_payment_is_read_as_a_decimal_amount(xero, books, xero_sim):
    [invoice] = pushed_invoices(books, "xero", 1)
    xero_sim.app.pay(xero.account_id, push_of(invoice.id).external_id, Decimal("7.25"))
    [report] = payments.check_payments(QUIET)
    assert report.checked == 1
    push = push_of(invoice.id)
    assert (push.payment_state, push.amount_paid, push.balance_due) == (
        "partially_paid", Decimal("7.25"), invoice.total - Decimal("7.25"))
    xero_sim.app.pay(xero.account_id, push.external_id, invoice.total - Decimal("7.25"))
    [report] = payments.check_payments(QUIET, now=utcnow() + payments.RECHECK + timedelta(minutes=1))
    assert report.paid == [invoice.id] and push_of(invoice.id).payment_state == "paid"


def test_payment_shows_on_the_invoice_page_the_list_filter_and_the_api(qbo, books, qbo_sim, client):
    from tests.api.conftest import ApiClient, make_token
    from tests.web.conftest import Auth, add_user

    paid, open_ = pushed_invoices(books, "quickbooks", 2)
    qbo_sim.app.pay(push_of(paid.id).external_id, paid.total)
    payments.check_payments(QUIET)
    add_user("viewer@example.com", "viewer")
    Auth(client).login("viewer")
    page = client.get(f"/billing/invoices/{paid.id}").get_data(as_text=True)
    assert 'data-payment="paid"' in page
    listed = client.get("/billing/invoices?payment=paid").get_data(as_text=True)
    assert f"/billing/invoices/{paid.id}\"" in listed and f"/billing/invoices/{open_.id}\"" not in listed
    Auth(client).logout()
    api = ApiClient(client, make_token("viewer"))
    answer = api.get("/api/v1/invoices?payment=paid")
    assert answer.status_code == 200
    assert [i["id"] for i in answer.json["items"]] == [paid.id]
    [push] = answer.json["items"][0]["pushes"]
    assert push["payment_state"] == "paid" and push["amount_paid"] == str(paid.total)
    assert api.get("/api/v1/invoices?payment=owed").status_code == 422
