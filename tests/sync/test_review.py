"""A listing that would detach too many customers stops for review; an admin confirms or dismisses."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hub import integrations
from hub.audit import Actor
from hub.extensions import db
from hub.models import AuditEvent, IntegrationState, SyncRun, SyncStatus
from hub.plugins import VendorUnavailableError
from hub.sync import SyncNotPossible, confirm_review, dismiss_review, run_sync
from tests.dbstate import diff, snapshot
from tests.sync.helpers import customer, customers_by_external_id, set_vendor

#: a needs-review run writes its own row and the integration's state, nothing else
REVIEW_WRITES = {"sync_runs": None, "sync_leases": None,
                 "vendor_integrations": {"state", "state_message", "retry_not_before", "last_sync_at", "updated_at"}}


def vendor_of(n: int) -> dict:
    return {f"c{i:02d}": customer(f"Customer {i}", seats=1) for i in range(1, n + 1)}


def without(state: dict, n: int) -> dict:
    """``state`` minus its first ``n`` customers, plus one new customer (which must not be applied either)."""
    kept = dict(list(state.items())[n:])
    kept["new"] = customer("Newcomer", seats=3)
    return kept


THRESHOLDS = [
    # customers, removed, threshold %, stops for review
    (10, 0, None, False),
    (10, 2, None, False),   # exactly 20%: allowed
    (10, 3, None, True),    # 30% > 20%
    (5, 2, None, True),     # 40%
    (1, 1, None, True),     # all of them
    (3, 3, None, True),     # all of them
    (3, 3, Decimal(100), True),  # all of them, whatever the threshold
    (10, 3, Decimal(50), False),  # a per-integration threshold
    (10, 6, Decimal(50), True),
    (10, 1, Decimal(5), True),
]


@pytest.mark.parametrize("size, removed, threshold, review", THRESHOLDS)
def test_mass_detach_threshold(size, removed, threshold, review, fake_integration, fake_vendor):
    if threshold is not None:
        fake_integration.detach_threshold_pct = threshold
        db.session.commit()
    full = vendor_of(size)
    set_vendor(fake_vendor, full)
    assert run_sync("fake").status == SyncStatus.SUCCEEDED.value
    set_vendor(fake_vendor, without(full, removed))
    before = snapshot(REVIEW_WRITES)
    run = run_sync("fake")
    integration = integrations.get_integration("fake")
    if review:
        assert run.status == SyncStatus.NEEDS_REVIEW.value
        assert diff(before, snapshot(REVIEW_WRITES)) == {}  # nothing applied, not even the newcomer
        assert integration.state == IntegrationState.NEEDS_REVIEW.value
        assert f"would detach {removed} of {size} active customers" in run.error_message
        assert integration.state_message == run.error_message
        assert run.review["would_detach"] == removed and run.review["active_before"] == size
        assert {s["external_id"] for s in run.review["sample"]} == set(list(full)[:removed])
        assert run.review["threshold_pct"] == str(integration.detach_threshold_pct)
    else:
        assert run.status == SyncStatus.SUCCEEDED.value, run.error_message
        assert run.customers_detached == removed and run.customers_added == 1
        assert integration.state == IntegrationState.READY.value


def test_the_threshold_counts_only_customers_still_attached(fake_integration, fake_vendor):
    full = vendor_of(5)
    set_vendor(fake_vendor, full)
    run_sync("fake")
    set_vendor(fake_vendor, dict(list(full.items())[1:]))  # 1 of 5: 20%, applied
    assert run_sync("fake").customers_detached == 1
    set_vendor(fake_vendor, dict(list(full.items())[2:]))  # 1 of the 4 still attached: 25%
    run = run_sync("fake")
    assert run.status == SyncStatus.NEEDS_REVIEW.value
    assert (run.review["would_detach"], run.review["active_before"], run.review["share_pct"]) == (1, 4, "25.00")


@pytest.fixture
def pending_review(fake_integration, fake_vendor):
    full = vendor_of(10)
    set_vendor(fake_vendor, full)
    run_sync("fake")
    set_vendor(fake_vendor, without(full, 5))
    run = run_sync("fake")
    assert run.status == SyncStatus.NEEDS_REVIEW.value
    return run


def test_confirm_applies_a_fresh_run(pending_review, fake_vendor):
    admin = Actor.cli("admin@example.com")
    fresh = confirm_review(pending_review.id, admin)
    assert fresh.id != pending_review.id
    assert (fresh.status, fresh.trigger, fresh.triggered_by) == (SyncStatus.SUCCEEDED.value, "review",
                                                                 "admin@example.com")
    assert (fresh.customers_detached, fresh.customers_added) == (5, 1)
    statuses = {e: c.map_status.value for e, c in customers_by_external_id().items()}
    assert sorted(e for e, s in statuses.items() if s == "detached") == ["c01", "c02", "c03", "c04", "c05"]
    reviewed = db.session.get(SyncRun, pending_review.id)
    assert (reviewed.status, reviewed.reviewed_by) == (SyncStatus.CONFIRMED.value, "admin@example.com")
    assert reviewed.reviewed_at is not None
    confirm = db.session.execute(db.select(AuditEvent).filter_by(action="sync.review_confirm")).scalar_one()
    assert (confirm.entity_id, confirm.actor, confirm.details["applied_by_run"]) == (
        str(pending_review.id), "admin@example.com", fresh.id)
    detach_audits = db.session.execute(db.select(AuditEvent).filter_by(action="customer.detach")).scalars().all()
    assert len(detach_audits) == 5 and {a.sync_run_id for a in detach_audits} == {fresh.id}
    assert integrations.get_integration("fake").state == IntegrationState.READY.value


def test_dismiss_applies_nothing(pending_review, fake_vendor):
    before = snapshot(REVIEW_WRITES | {"audit_events": None})
    run = dismiss_review(pending_review.id, Actor.cli("admin@example.com"))
    assert (run.status, run.reviewed_by) == (SyncStatus.DISMISSED.value, "admin@example.com")
    assert diff(before, snapshot(REVIEW_WRITES | {"audit_events": None})) == {}
    integration = integrations.get_integration("fake")
    assert (integration.state, integration.state_message) == (IntegrationState.READY.value, None)
    assert db.session.execute(db.select(AuditEvent).filter_by(action="sync.review_dismiss")).scalar_one().entity_id \
        == str(run.id)
    # the same listing stops again on the next sync
    assert run_sync("fake").status == SyncStatus.NEEDS_REVIEW.value


def test_a_review_cannot_be_decided_twice(pending_review):
    dismiss_review(pending_review.id, Actor.cli("a"))
    with pytest.raises(SyncNotPossible, match="not waiting for review"):
        confirm_review(pending_review.id, Actor.cli("b"))
    with pytest.raises(SyncNotPossible, match="not waiting for review"):
        dismiss_review(pending_review.id, Actor.cli("b"))


def test_confirm_whose_fresh_run_fails_leaves_the_review_open(pending_review, fake_vendor):
    fake_vendor.list_error = VendorUnavailableError("HTTP 503")
    fresh = confirm_review(pending_review.id, Actor.cli("admin"))
    assert fresh.status == SyncStatus.FAILED.value
    assert db.session.get(SyncRun, pending_review.id).status == SyncStatus.NEEDS_REVIEW.value
    assert db.session.execute(db.select(AuditEvent).filter_by(action="sync.review_confirm")).first() is None
    assert not any(c.detached_at for c in customers_by_external_id().values())
