"""Events come from where things happen, in the same transaction: nothing lost, nothing invented."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from hub import mapping
from hub.billing import invoices, pending
from hub.billing.invoicing import run_due_invoices
from hub.extensions import db
from hub.models import Invoice, VendorCustomer, WebhookDelivery, WebhookEvent
from hub.plugins import VendorAuthError
from hub.sync import run_sync
from hub.webhooks import endpoints
from hub.webhooks.outbox import emit
from tests.webhooks.conftest import ADMIN, deliveries, event_types, events


def _sync(**kw):
    return run_sync("fake", trigger="cli", **kw)


@pytest.fixture
def statements(app_ctx):
    """Every SQL statement run while the test body runs."""
    seen: list[str] = []

    def listen(conn, cursor, statement, *_args):
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", listen)
    yield seen
    sa.event.remove(db.engine, "before_cursor_execute", listen)


def _inserts_into(statements, table: str) -> int:
    return sum(1 for s in statements if s.lstrip().upper().startswith(f"INSERT INTO {table.upper()}"))


def test_nothing_is_written_without_a_subscribed_endpoint(app_ctx):
    assert emit("invoice.issued", [{"invoice_id": 1}]) == 0
    endpoints.add_endpoint("http://127.0.0.1:9/x", ["invoice.voided"], ADMIN)
    assert emit("invoice.issued", [{"invoice_id": 1}]) == 0
    assert emit("invoice.voided", [{"invoice_id": 1}]) == 1
    db.session.commit()
    assert event_types() == ["invoice.voided"]


def test_an_event_commits_or_rolls_back_with_its_transaction(endpoint):
    emit("invoice.voided", {"invoice_id": 1})
    db.session.rollback()
    assert events() == [] and deliveries() == []
    emit("invoice.voided", {"invoice_id": 2})
    db.session.commit()
    assert [e.data for e in events()] == [{"invoice_id": 2}]
    assert [(d.status, d.endpoint_id) for d in deliveries()] == [("pending", endpoint.id)]


def test_a_first_sync_of_many_customers_is_one_event_in_one_insert(fake_integration, fake_vendor, endpoint,
                                                                    statements):
    for n in range(300):
        fake_vendor.add(f"c-{n}", f"Customer {n}", seats=n % 7 + 1)
    statements.clear()
    run = _sync()
    assert run.status == "succeeded"
    [event] = events()
    assert event.type == "sync.succeeded"
    assert event.data["sync_run_id"] == run.id and event.data["integration"] == "fake"
    assert event.data["counts"]["customers_added"] == 300 and event.data["counts"]["counts_changed"] == 300
    assert _inserts_into(statements, "webhook_events") == 1
    assert _inserts_into(statements, "webhook_deliveries") == 1


def test_detached_and_reattached_customers_are_events_written_in_bulk(fake_integration, fake_vendor, endpoint,
                                                                      statements):
    for n in range(120):
        fake_vendor.add(f"c-{n}", f"Customer {n}", seats=1)
    _sync()
    listing = dict(fake_vendor.customers)
    for n in range(100):
        fake_vendor.remove(f"c-{n}")
    statements.clear()
    assert _sync(allow_mass_detach=True).status == "succeeded"
    detached = events("vendor_customer.detached")
    assert sorted(e.data["external_id"] for e in detached) == sorted(f"c-{n}" for n in range(100))
    assert len({e.msg_id for e in detached}) == 100
    # 100 events, plus the run's own sync.succeeded: two inserts each, not a statement per customer
    assert _inserts_into(statements, "webhook_events") == 2
    assert _inserts_into(statements, "webhook_deliveries") == 2
    fake_vendor.customers.update(listing)
    _sync()
    assert len(events("vendor_customer.reattached")) == 100


def test_a_sync_rolled_back_midway_emits_nothing_of_its_changes(fake_integration, fake_vendor, endpoint,
                                                                monkeypatch):
    for n in range(6):
        fake_vendor.add(f"c-{n}", f"Customer {n}", seats=2)
    _sync()
    before = len(events())
    fake_vendor.remove("c-0")  # a detach: its event is written before the counts fail
    fake_vendor.counts["c-1"]["seats"] = 9

    import hub.sync.apply as apply

    def broken(*_args, **_kw):
        raise RuntimeError("database went away halfway")

    monkeypatch.setattr(apply, "_apply_counts", broken)
    run = _sync()
    assert run.status == "failed" and run.error_kind == "apply_error"
    assert event_types()[before:] == ["sync.failed"]  # only the failure itself; no detach, no success
    assert db.session.execute(db.select(VendorCustomer).filter_by(external_id="c-0")).scalar_one().detached_at is None


def test_failures_reviews_and_refused_credentials(fake_integration, fake_vendor, endpoint):
    for n in range(5):
        fake_vendor.add(f"c-{n}", f"Customer {n}")
    _sync()
    fake_vendor.customers.clear()
    review = _sync()
    assert review.status == "needs_review"
    [event] = events("sync.needs_review")
    assert event.data["would_detach"] == 5 and event.data["sync_run_id"] == review.id
    fake_vendor.connection_error = VendorAuthError("401 from the vendor")
    failed = _sync()
    _sync()  # still refused: needs_reauth is announced once, when it starts
    assert [e.data["sync_run_id"] for e in events("sync.failed")] == [failed.id, failed.id + 1]
    assert events("sync.failed")[0].data["error_kind"] == "auth_failed"
    [reauth] = events("integration.needs_reauth")
    assert reauth.data == {"integration": "fake", "sync_run_id": failed.id, "message": failed.error_message}


def test_mapping_changes(vendor, contoso, make_org, endpoint):
    vendor.fake.add("c1", "Contoso Ltd", seats=3)
    vendor.sync()
    customer = vendor.customer("c1")
    other = make_org("Other")
    vendor.map("c1", contoso)
    mapping.map_customer(customer.id, other.id, ADMIN)
    vendor.unmap("c1")
    changes = [(e.data["old_organization_id"], e.data["new_organization_id"]) for e in events("mapping.changed")]
    assert changes == [(None, contoso.id), (contoso.id, other.id), (other.id, None)]
    assert events("mapping.changed")[0].data["external_id"] == "c1"
    assert events("mapping.changed")[1].data["actor"] == ADMIN.label


def test_quantities_held_applied_approved_and_rejected(billed, vendor, endpoint):
    _, line = billed
    vendor.fake.counts["c1"]["seats"] = 25
    vendor.sync()
    [applied] = events("quantity.changed")
    assert (applied.data["line_id"], applied.data["old_quantity"], applied.data["new_quantity"]) == (line.id, "20", "25")
    vendor.fake.counts["c1"]["seats"] = 2  # a big drop: held
    vendor.sync()
    [held] = events("quantity.held")
    assert held.data["new_quantity"] == "2" and held.data["organization_id"] == billed[0].organization_id
    pending.approve_change(held.data["change_id"], ADMIN)
    [approved] = events("pending_change.approved")
    assert approved.data["change_id"] == held.data["change_id"] and approved.data["decided_by"] == ADMIN.label
    vendor.fake.counts["c1"]["seats"] = 0
    vendor.sync()
    [_, second_hold] = events("quantity.held")
    pending.reject_change(second_hold.data["change_id"], ADMIN, note="glitch")
    [rejected] = events("pending_change.rejected")
    assert rejected.data["note"] == "glitch"


def test_invoices_issued_by_the_run_and_by_hand_and_voided(billed, endpoint):
    invoice_schedule, _ = billed
    run = run_due_invoices(date(2024, 3, 1))  # Jan 31 and Feb 29 are due: one batch, one insert
    issued = events("invoice.issued")
    assert sorted(e.data["invoice_id"] for e in issued) == sorted(run.issued)
    assert {e.data["period_start"] for e in issued} == {"2024-01-31", "2024-02-29"}
    assert all(e.data["total"] == "200" and e.data["currency"] for e in issued)
    invoices.void_invoice(run.issued[0], ADMIN, "wrong contact")
    [voided] = events("invoice.voided")
    assert voided.data["invoice_id"] == run.issued[0] and voided.data["reason"] == "wrong contact"
    from hub.billing import recurring

    recurring.update_recurring_invoice(invoice_schedule.id, ADMIN, auto_issue=False)
    drafts = run_due_invoices(date(2024, 3, 31)).drafts
    assert len(events("invoice.issued")) == 2  # a draft is not issued
    invoices.issue_invoice(drafts[0], ADMIN)
    assert events("invoice.issued")[-1].data["number"] == db.session.get(Invoice, drafts[0]).number


def test_every_event_goes_to_each_subscribed_endpoint_with_one_id(app_ctx):
    first = endpoints.add_endpoint("http://127.0.0.1:9/a", "*", ADMIN).endpoint
    second = endpoints.add_endpoint("http://127.0.0.1:9/b", ["invoice.voided", "sync.failed"], ADMIN).endpoint
    endpoints.add_endpoint("http://127.0.0.1:9/c", ["invoice.issued"], ADMIN)
    emit("invoice.voided", [{"invoice_id": 1}, {"invoice_id": 2}])
    db.session.commit()
    rows = db.session.execute(db.select(WebhookDelivery.endpoint_id, WebhookEvent.msg_id)
                              .join(WebhookEvent)).all()
    assert sorted(e for e, _ in rows) == sorted([first.id, first.id, second.id, second.id])
    assert len({m for _, m in rows}) == 2
