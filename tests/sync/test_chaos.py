"""Chaos: a sync process killed with SIGKILL at points of its apply transaction.

Each kill leaves the database all-or-nothing (exactly the state before, or exactly the applied one),
the audit trail consistent with what was applied, and the integration recovering by itself: the next
sync takes the lapsed lease over and succeeds, without anyone releasing anything. The lease lifetime
is shortened to 3 s here so the runs fit in seconds; with the default of 60 s the same takeover comes
within a minute.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from datetime import date
from decimal import Decimal

import pytest

from hub import integrations
from hub.audit import Actor
from hub.extensions import db
from hub.models import AuditEvent, IntegrationState, LicenseCountHistory, RecurringLine, SyncLease, SyncRun, SyncStatus
from hub.sync import AlreadyRunning, run_sync
from tests.conftest import make_test_config
from tests.dbstate import diff, snapshot
from tests.fakes.fake_vendor import FAKE_CONFIG
from tests.sync.chaos_worker import ChaosVendor, sync_until_killed, vendor_state
from tests.sync.helpers import bill_through_vendor_line, customers_by_external_id, stored_counts

LEASE_SECONDS = 3
ACTOR = Actor.cli("chaos")

#: where the sync process is killed: just before the first statement matching, or before the apply's COMMIT
KILL_POINTS = [
    ("first customer insert", r"^INSERT INTO vendor_customers"),
    ("first audit events", r"^INSERT INTO audit_events"),
    ("first history rows", r"^INSERT INTO license_count_history"),
    ("billing recalculation", r"^UPDATE recurring_lines"),
    ("the apply's commit", "COMMIT"),
    ("after the commit, before the lease is released", r"^DELETE FROM sync_leases"),
]

#: what a run may change although it applies nothing: its own row, the lease, the integration's bookkeeping
BOOKKEEPING = {"sync_runs": None, "sync_leases": None,
               "vendor_integrations": {"state", "state_message", "retry_not_before", "last_sync_at",
                                       "last_success_at", "updated_at"}}


@pytest.fixture
def app_config(tmp_path, database_url):
    return make_test_config(tmp_path, database_url, HUB_SYNC_LEASE_SECONDS=LEASE_SECONDS)


@pytest.fixture
def synced_once(app, app_ctx):
    """The first phase synced, one customer billed through a recurring invoice's vendor line."""
    app.extensions["hub.plugins"].register(ChaosVendor("first"), "fake")
    integration = integrations.configure("fake", dict(FAKE_CONFIG), ACTOR, enable=True).integration
    assert run_sync("fake").status == SyncStatus.SUCCEEDED.value
    bill_through_vendor_line("c0", "seats", ACTOR, date(2030, 1, 31))
    app.extensions["hub.plugins"].unregister("fake")
    app.extensions["hub.plugins"].register(ChaosVendor("second"), "fake")
    return integration.id


def kill_sync_at(app_config, stop_before: str) -> int:
    """Start the second sync in its own process, SIGKILL it at ``stop_before``; returns its pid."""
    ctx = multiprocessing.get_context("spawn")
    reached = ctx.Event()
    process = ctx.Process(target=sync_until_killed, args=(app_config, stop_before, reached, None))
    process.start()
    try:
        assert reached.wait(timeout=120), "the sync process never reached the kill point"
        assert process.is_alive(), "the sync process ended without stopping at the kill point"
        os.kill(process.pid, signal.SIGKILL)
        process.join(timeout=30)
        assert process.exitcode == -signal.SIGKILL
    finally:
        if process.is_alive():
            process.kill()
    return process.pid


def expected_second_phase() -> tuple[dict, dict]:
    state = vendor_state("second")
    counts = {(e, sku): Decimal(q) for e, (_, _, c) in state.items() for sku, q in c.items()}
    detached = {f"c{n}" for n in range(35, 40)}
    names = {e: (n, s) for e, (n, s, _) in state.items()}
    return names, counts | {(e, sku): q for (e, sku), q in first_counts().items() if e in detached}


def first_counts() -> dict:
    return {(e, sku): Decimal(q) for e, (_, _, c) in vendor_state("first").items() for sku, q in c.items()}


def assert_second_phase_applied() -> None:
    names, counts = expected_second_phase()
    stored = customers_by_external_id()
    assert {e: (c.name, c.vendor_status) for e, c in stored.items() if c.detached_at is None} == names
    assert {e for e, c in stored.items() if c.detached_at is not None} == {f"c{n}" for n in range(35, 40)}
    assert stored_counts() == counts
    line = db.session.execute(db.select(RecurringLine)).scalar_one()
    assert line.quantity == counts[("c0", "seats")]  # billing followed in the same transaction


def assert_audit_consistent() -> None:
    """Every run's audit trail matches what it wrote: nothing for a run that applied nothing."""
    for run in db.session.execute(db.select(SyncRun)).scalars():
        audits = db.session.execute(db.select(AuditEvent.action, db.func.count()).filter_by(sync_run_id=run.id)
                                    .group_by(AuditEvent.action)).all()
        actions = dict(audits)
        history = db.session.execute(db.select(db.func.count()).select_from(LicenseCountHistory)
                                     .filter_by(sync_run_id=run.id)).scalar_one()
        if run.status != SyncStatus.SUCCEEDED.value:
            assert (actions, history) == ({}, 0), run.id
            continue
        assert actions.get("count.change", 0) == history == run.counts_changed, run.id
        assert actions.get("customer.create", 0) == run.customers_added, run.id
        assert actions.get("customer.detach", 0) == run.customers_detached, run.id


@pytest.mark.parametrize("stop_before", [k[1] for k in KILL_POINTS], ids=[k[0] for k in KILL_POINTS])
def test_a_sync_killed_during_apply_is_all_or_nothing_and_the_next_sync_recovers(stop_before, app_config,
                                                                                   synced_once):
    before = snapshot(BOOKKEEPING)
    kill_sync_at(app_config, stop_before)
    db.session.remove()

    killed = db.session.execute(db.select(SyncRun).order_by(SyncRun.id.desc())).scalars().first()
    committed = killed.status == SyncStatus.SUCCEEDED.value
    assert committed == (stop_before == r"^DELETE FROM sync_leases")
    if committed:
        assert_second_phase_applied()
    else:
        assert killed.status == SyncStatus.RUNNING.value
        assert diff(before, snapshot(BOOKKEEPING)) == {}  # nothing of the apply survived
    assert_audit_consistent()
    assert db.session.get(SyncLease, synced_once) is not None  # the dead process still "holds" it

    # no one releases anything: the next sync waits out the short lease and succeeds
    started = time.monotonic()
    while True:
        try:
            run = run_sync("fake", trigger="schedule")
            break
        except AlreadyRunning:
            assert time.monotonic() - started < 60, "the dead process's lease never lapsed"
            time.sleep(0.5)
    assert run.status == SyncStatus.SUCCEEDED.value, run.error_message
    assert time.monotonic() - started < LEASE_SECONDS + 30
    db.session.expire_all()
    assert_second_phase_applied()
    assert_audit_consistent()
    killed = db.session.get(SyncRun, killed.id)
    assert killed.status == SyncStatus.SUCCEEDED.value if committed else (killed.status, killed.error_kind) == (
        SyncStatus.FAILED.value, "interrupted")
    assert db.session.execute(db.select(SyncRun).filter_by(status=SyncStatus.RUNNING.value)).first() is None
    assert integrations.get_integration("fake").state == IntegrationState.READY.value
    assert db.session.get(SyncLease, synced_once) is None
