"""The push state machine against the QuickBooks simulator: queued in the issuing transaction, pushed
once (also across a timeout after the provider committed), blocked with a reason, retried with
backoff, voided at the provider, every step audited."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa

from hub.billing.invoices import void_invoice
from hub.destinations import connections, mappings, queue
from hub.destinations.push import run_pushes
from hub.extensions import db
from hub.models import AuditEvent, DestinationPush, Invoice
from hub.timeutil import utcnow
from tests.destinations.conftest import ADMIN

QUIET = {"sleep": lambda s: None}


def push_of(invoice_id: int) -> DestinationPush:
    db.session.expire_all()
    return db.session.execute(sa.select(DestinationPush).filter_by(invoice_id=invoice_id)).scalar_one()


def actions(action: str) -> list[AuditEvent]:
    return list(db.session.execute(sa.select(AuditEvent).filter_by(action=action)).scalars())


def make_due(invoice_id: int) -> None:
    push = push_of(invoice_id)
    push.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()


@pytest.fixture
def mapped(qbo, books):
    """Contoso and its product mapped (created at QuickBooks through the plugin)."""
    org, product = books.org("Contoso"), books.product("EP", "Managed Endpoint")
    mappings.create_at_provider("quickbooks", "customer", str(org.id), ADMIN)
    mappings.auto_match("quickbooks", "item", ADMIN)  # the simulator's company has a "Managed Endpoint" item
    mappings.confirm("quickbooks", "item", [str(product.id)], ADMIN)
    return org, product


def test_issuing_queues_a_push_in_the_same_transaction_for_enabled_destinations_only(qbo, books):
    org, product = books.org("Contoso"), books.product("EP")
    invoice_id = books.issue(org, product)
    push = push_of(invoice_id)
    assert push.state == "queued" and push.connection_id == qbo.id
    assert actions("destination.queue")[0].entity_id == str(invoice_id)
    connections.set_enabled("quickbooks", False, ADMIN)
    other = books.issue(org, product)
    assert db.session.execute(sa.select(DestinationPush).filter_by(invoice_id=other)).first() is None


def test_mapped_invoice_is_pushed_once_with_its_number_and_amounts(mapped, books, qbo_sim):
    org, product = mapped
    invoice_id = books.issue(org, product, quantity="3")
    [report] = run_pushes(session_options=QUIET)
    assert report.pushed == [invoice_id]
    push = push_of(invoice_id)
    number = str(db.session.get(Invoice, invoice_id).number)
    [made] = qbo_sim.app.invoices_numbered(number)
    assert push.state == "pushed" and push.external_id == made["Id"] and push.external_number == number
    assert Decimal(str(made["TotalAmt"])) == Decimal("37.50") and push.external_url.endswith(f"txnId={made['Id']}")
    assert actions("destination.push")[0].new_value == number
    assert run_pushes(session_options=QUIET)[0].pushed == []  # nothing twice


def test_unmapped_customer_waits_visibly_then_push_now_sends_it(qbo, books, qbo_sim):
    org, product = books.org("Tailspin"), books.product("EP", "Managed Endpoint")
    invoice_id = books.issue(org, product)
    [report] = run_pushes(session_options=QUIET)
    assert report.blocked == [invoice_id]
    push = push_of(invoice_id)
    assert push.state == "blocked" and push.error_field == "customer" and "'Tailspin' is not mapped" in push.last_error
    assert [p.id for p in queue.list_pushes(states=["blocked"])] == [push.id]
    assert qbo_sim.app.state.invoices == {}
    mappings.create_at_provider("quickbooks", "customer", str(org.id), ADMIN)
    assert run_pushes(session_options=QUIET)[0].pushed == []  # blocked waits for a person
    mappings.auto_match("quickbooks", "item", ADMIN)
    mappings.confirm("quickbooks", "item", [str(product.id)], ADMIN)
    queue.push_now(push.id, ADMIN)
    assert run_pushes(session_options=QUIET)[0].pushed == [invoice_id]
    assert actions("destination.push_now") and actions("destination.push_blocked")


def test_timeout_after_the_provider_committed_does_not_duplicate(mapped, books, qbo_sim):
    org, product = mapped
    invoice_id = books.issue(org, product)
    number = str(db.session.get(Invoice, invoice_id).number)
    qbo_sim.app.faults.commit_then_hang, qbo_sim.app.faults.hang_seconds = 1, 1.0
    [report] = run_pushes(session_options={**QUIET, "timeout": (5, 0.3), "max_retries": 0})
    assert report.retrying == [invoice_id]
    push = push_of(invoice_id)
    assert push.state == "retrying" and "timed out" in push.last_error
    assert push.next_attempt_at > utcnow()  # backoff
    assert len(qbo_sim.app.invoices_numbered(number)) == 1  # the provider made it, we never heard
    assert run_pushes(session_options=QUIET)[0].pushed == []  # not before it is due
    make_due(invoice_id)
    assert run_pushes(session_options=QUIET)[0].pushed == [invoice_id]
    [made] = qbo_sim.app.invoices_numbered(number)
    assert push_of(invoice_id).external_id == made["Id"]
    # the retry looked the invoice up by number and adopted it: no second create, no duplicate-number refusal
    creates = [p for _, p, _ in qbo_sim.app.state.requests if p.endswith("/batch")]
    assert len(creates) == 1 and "6140" not in qbo_sim.app.state.fault_codes
    assert actions("destination.push_retry")


def test_timeout_then_a_different_batch_still_does_not_duplicate(mapped, books, qbo_sim):
    """The retry's batch holds another invoice too (a new requestid): the number lookup adopts it."""
    org, product = mapped
    first = books.issue(org, product)
    qbo_sim.app.faults.commit_then_hang, qbo_sim.app.faults.hang_seconds = 1, 1.0
    run_pushes(session_options={**QUIET, "timeout": (5, 0.3), "max_retries": 0})
    second = books.issue(org, product)
    make_due(first)
    assert sorted(run_pushes(session_options=QUIET)[0].pushed) == sorted([first, second])
    assert "6140" not in qbo_sim.app.state.fault_codes  # found by its number before a second create
    for invoice_id in (first, second):
        number = str(db.session.get(Invoice, invoice_id).number)
        assert len(qbo_sim.app.invoices_numbered(number)) == 1


def test_session_retry_after_a_timeout_reuses_the_requestid(mapped, books, qbo_sim):
    org, product = mapped
    invoice_id = books.issue(org, product)
    qbo_sim.app.faults.commit_then_hang, qbo_sim.app.faults.hang_seconds = 1, 1.0
    assert run_pushes(session_options={**QUIET, "timeout": (5, 0.3)})[0].pushed == [invoice_id]
    assert len(qbo_sim.app.state.invoices) == 1
    batches = [args.get("requestid") for method, path, args in qbo_sim.app.state.requests if path.endswith("/batch")]
    assert len(batches) == 2 and batches[0] == batches[1] and qbo_sim.app.state.replayed == 1


def test_provider_validation_error_blocks_naming_the_field_and_a_fixed_retry_is_not_replayed(mapped, books, qbo_sim):
    org, product = mapped
    invoice_id = books.issue(org, product)
    qbo_sim.app.faults.reject_invoices_field = "TxnDate"
    [report] = run_pushes(session_options=QUIET)
    assert report.blocked == [invoice_id]
    push = push_of(invoice_id)
    assert push.state == "blocked" and push.error_field == "TxnDate" and "Invalid value for TxnDate" in push.last_error
    assert push.generation == 2 and actions("destination.push_rejected")
    qbo_sim.app.faults.reject_invoices_field = None
    queue.push_now(push.id, ADMIN)
    # a new generation sends a new requestid: QuickBooks does not replay the old refusal
    assert run_pushes(session_options=QUIET)[0].pushed == [invoice_id]


def test_unavailable_provider_is_retried_with_backoff_and_shown(mapped, books, qbo_sim):
    org, product = mapped
    invoice_id = books.issue(org, product)
    qbo_sim.app.faults.unavailable = 503
    assert run_pushes(session_options=QUIET)[0].retrying == [invoice_id]
    first = push_of(invoice_id)
    assert first.state == "retrying" and "503" in first.last_error and first.attempts == 1
    wait = first.next_attempt_at - utcnow()
    make_due(invoice_id)
    run_pushes(session_options=QUIET)
    assert push_of(invoice_id).next_attempt_at - utcnow() > wait  # longer the second time
    qbo_sim.app.faults.unavailable = None
    make_due(invoice_id)
    assert run_pushes(session_options=QUIET)[0].pushed == [invoice_id]


def test_void_in_the_hub_voids_at_the_provider(mapped, books, qbo_sim):
    org, product = mapped
    invoice_id = books.issue(org, product)
    run_pushes(session_options=QUIET)
    external_id = push_of(invoice_id).external_id
    void_invoice(invoice_id, ADMIN, "issued by mistake")
    assert push_of(invoice_id).void_requested_at is not None
    assert run_pushes(session_options=QUIET)[0].voided == [invoice_id]
    made = qbo_sim.app.state.invoices[external_id]
    assert str(made["TotalAmt"]) == "0" and made["PrivateNote"] == "Voided"
    assert push_of(invoice_id).state == "voided" and actions("destination.void")


def test_void_before_any_push_cancels_it(qbo, books, qbo_sim):
    invoice_id = books.issue(books.org("Contoso"), books.product("EP"))
    void_invoice(invoice_id, ADMIN, "wrong customer")
    assert push_of(invoice_id).state == "cancelled"
    run_pushes(session_options=QUIET)
    assert qbo_sim.app.state.invoices == {}


def test_push_all_pending(qbo, books, qbo_sim):
    org, product = books.org("Contoso"), books.product("EP", "Managed Endpoint")
    ids = [books.issue(org, product) for _ in range(3)]
    run_pushes(session_options=QUIET)
    assert {push_of(i).state for i in ids} == {"blocked"}
    mappings.create_at_provider("quickbooks", "customer", str(org.id), ADMIN)
    mappings.auto_match("quickbooks", "item", ADMIN)
    mappings.confirm("quickbooks", "item", [str(product.id)], ADMIN)
    assert queue.push_all_pending(None, ADMIN) == 3
    assert sorted(run_pushes(session_options=QUIET)[0].pushed) == sorted(ids)
    assert len(qbo_sim.app.state.invoices) == 3


def test_a_401_after_refreshing_needs_reconnect_and_keeps_the_push_queued(mapped, books, qbo_sim):
    org, product = mapped
    invoice_id = books.issue(org, product)
    qbo_sim.app.faults.auth = True  # the provider refuses every token, fresh ones too
    [report] = run_pushes(session_options=QUIET)
    assert report.stopped and "3200" in report.stopped
    assert qbo_sim.app.state.refresh_calls == 1  # refreshed once, called again once, then gave up
    push = push_of(invoice_id)
    assert push.state == "queued" and push.attempts == 0 and "waiting for the connection" in push.last_error
    assert connections.get_connection("quickbooks").state == "needs_reconnect"
    assert qbo_sim.app.state.invoices == {}


def _time_out_after_the_provider_committed(invoice_id: int, qbo_sim) -> str:
    """The first attempt reaches QuickBooks, which makes the invoice; the hub never hears back."""
    number = str(db.session.get(Invoice, invoice_id).number)
    qbo_sim.app.faults.commit_then_hang, qbo_sim.app.faults.hang_seconds = 1, 1.0
    assert run_pushes(session_options={**QUIET, "timeout": (5, 0.3), "max_retries": 0})[0].retrying == [invoice_id]
    assert len(qbo_sim.app.invoices_numbered(number)) == 1 and push_of(invoice_id).external_id is None
    make_due(invoice_id)
    return number


def _voided_once_at_the_provider(invoice_id: int, number: str, qbo_sim) -> None:
    [made] = qbo_sim.app.invoices_numbered(number)
    assert str(made["TotalAmt"]) == "0" and made["PrivateNote"] == "Voided"
    push = push_of(invoice_id)
    assert push.state == "voided" and push.external_id == made["Id"]


def test_void_of_a_push_blocked_after_a_timeout_still_voids_at_the_provider(mapped, books, qbo_sim):
    """After an unanswered attempt the push is blocked (its item was unmapped meanwhile): it may be an
    invoice at QuickBooks, so a void in the hub must void it there, not cancel the push as never sent."""
    org, product = mapped
    invoice_id = books.issue(org, product)
    number = _time_out_after_the_provider_committed(invoice_id, qbo_sim)
    mappings.unmap("quickbooks", "item", str(product.id), ADMIN)
    assert run_pushes(session_options=QUIET)[0].blocked == [invoice_id]
    void_invoice(invoice_id, ADMIN, "issued by mistake")
    push = push_of(invoice_id)
    assert push.state == "blocked" and push.void_requested_at is not None
    mappings.auto_match("quickbooks", "item", ADMIN)
    mappings.confirm("quickbooks", "item", [str(product.id)], ADMIN)
    queue.push_now(push.id, ADMIN)
    [report] = run_pushes(session_options=QUIET)
    assert report.pushed == [invoice_id] and report.voided == [invoice_id]  # adopted by its number, then voided
    _voided_once_at_the_provider(invoice_id, number, qbo_sim)


def test_void_while_a_timed_out_push_waits_for_a_reconnect_still_voids_at_the_provider(mapped, books, qbo_sim):
    """An unanswered attempt, then the provider refuses the connection (the push goes back to queued):
    a void in the hub meanwhile is carried out at QuickBooks once the connection is back."""
    org, product = mapped
    invoice_id = books.issue(org, product)
    number = _time_out_after_the_provider_committed(invoice_id, qbo_sim)
    qbo_sim.app.faults.auth = True
    assert run_pushes(session_options=QUIET)[0].stopped
    assert push_of(invoice_id).state == "queued"
    void_invoice(invoice_id, ADMIN, "issued by mistake")
    assert push_of(invoice_id).state == "queued" and push_of(invoice_id).void_requested_at is not None
    qbo_sim.app.faults.auth = False
    from tests.destinations.conftest import REDIRECT, sign_in
    from hub.destinations import oauth

    oauth.finish("quickbooks", sign_in(), REDIRECT, ADMIN)
    [report] = run_pushes(session_options=QUIET)
    assert report.pushed == [invoice_id] and report.voided == [invoice_id]
    _voided_once_at_the_provider(invoice_id, number, qbo_sim)


def test_void_of_a_refused_push_still_cancels_it(mapped, books, qbo_sim):
    """A push the provider refused holds nothing there: a void in the hub cancels it, nothing is sent."""
    org, product = mapped
    invoice_id = books.issue(org, product)
    qbo_sim.app.faults.reject_invoices_field = "TxnDate"
    assert run_pushes(session_options=QUIET)[0].blocked == [invoice_id]
    qbo_sim.app.faults.reject_invoices_field = None
    void_invoice(invoice_id, ADMIN, "issued by mistake")
    assert push_of(invoice_id).state == "cancelled"
    run_pushes(session_options=QUIET)
    assert qbo_sim.app.state.invoices == {}


def test_push_now_starts_the_push_run_at_once_where_the_scheduler_runs(qbo, books, qbo_sim, app):
    """Not a minute later at the next tick: the push job runs as soon as the change is committed."""
    from apscheduler.schedulers.background import BackgroundScheduler

    from hub.destinations.jobs import PUSH_JOB_ID

    invoice_id = books.issue(books.org("Tailspin"), books.product("EP", "Managed Endpoint"))
    run_pushes(session_options=QUIET)
    push = push_of(invoice_id)
    assert push.state == "blocked"
    scheduler = BackgroundScheduler(timezone="UTC")
    later = datetime.now(timezone.utc) + timedelta(hours=1)
    scheduler.add_job(lambda: None, "interval", hours=1, id=PUSH_JOB_ID, next_run_time=later)
    scheduler.start(paused=True)  # the job is moved, never run: the test reads where it was moved to
    app.extensions["hub.scheduler"] = scheduler
    try:
        queue.push_now(push.id, ADMIN)
        assert scheduler.get_job(PUSH_JOB_ID).next_run_time < later - timedelta(minutes=59)
        scheduler.modify_job(PUSH_JOB_ID, next_run_time=later)
        queue.push_all_pending(None, ADMIN)
        assert scheduler.get_job(PUSH_JOB_ID).next_run_time < later - timedelta(minutes=59)
    finally:
        app.extensions.pop("hub.scheduler", None)
        scheduler.shutdown(wait=False)
