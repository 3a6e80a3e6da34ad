"""A crashed sync blocks its integration for a minute at most, and an admin can release it at once."""

from __future__ import annotations

import os
import socket
from datetime import timedelta

import pytest

from hub import integrations
from hub.extensions import db
from hub.models import AuditEvent, IntegrationState, SyncLease, SyncRun, SyncStatus
from hub.plugins import hookimpl
from hub.sync import AlreadyRunning, lease, run_sync
from hub.sync.release import LeaseHeld, release_lease
from hub.audit import Actor
from hub.timeutil import utcnow
from tests.fakes.fake_vendor import FakeVendor
from tests.sync.helpers import customer, set_vendor

DEAD_HOLDER = "gone-host:4242:deadbeef"


def crashed_sync(integration, holder=DEAD_HOLDER, age=timedelta(seconds=5)):
    """What a SIGKILLed sync leaves: its lease, its run 'running', the integration 'syncing'."""
    started = utcnow() - age
    run = SyncRun(integration_id=integration.id, trigger="schedule", status=SyncStatus.RUNNING.value,
                  started_at=started)
    db.session.add(run)
    db.session.add(SyncLease(integration_id=integration.id, holder=holder, acquired_at=started,
                             expires_at=started + timedelta(seconds=60)))
    integration.state = IntegrationState.SYNCING.value
    db.session.commit()
    return run.id


class LeaseWatcher(FakeVendor):
    """Notes the lease's lifetime while the sync holds it."""

    @hookimpl
    def hub_list_customers(self, config, session):
        held = lease.holder_of(integrations.get_integration(self.slug).id)
        self.lifetime = (held.expires_at - held.acquired_at).total_seconds()
        yield from FakeVendor.hub_list_customers(self, config, session)


def test_the_default_lease_lives_a_minute_at_most(app, app_ctx):
    vendor = LeaseWatcher("watched")
    app.extensions["hub.plugins"].register(vendor, "watched")
    try:
        integrations.configure("watched", {"base_url": "http://x.example", "api_key": "k"}, Actor.cli("t"),
                               enable=True)
        vendor.add("c1", "One", seats=1)
        assert run_sync("watched").status == SyncStatus.SUCCEEDED.value
    finally:
        app.extensions["hub.plugins"].unregister("watched")
    assert 10 <= vendor.lifetime <= 60  # a dead holder blocks the integration a minute at most


def test_release_frees_a_dead_holders_lease_closes_its_run_and_is_audited(fake_integration, fake_vendor):
    run_id = crashed_sync(fake_integration)
    set_vendor(fake_vendor, {"c1": customer("One", seats=1)})
    with pytest.raises(AlreadyRunning) as refused:
        run_sync("fake")
    assert DEAD_HOLDER in str(refused.value) and "`hub sync release fake`" in str(refused.value)

    released = release_lease("fake", Actor.cli("ops"))
    assert (released.holder, released.runs_closed) == (DEAD_HOLDER, [run_id])
    assert lease.holder_of(fake_integration.id) is None
    run = db.session.get(SyncRun, run_id)
    assert (run.status, run.error_kind) == (SyncStatus.FAILED.value, "interrupted")
    assert "released by ops" in run.error_message and run.finished_at is not None
    assert integrations.get_integration("fake").state == IntegrationState.READY.value
    (event,) = db.session.execute(db.select(AuditEvent).filter_by(action="sync.release_lease")).scalars()
    assert (event.actor, event.old_value, event.details["runs_closed"]) == ("ops", DEAD_HOLDER, [run_id])

    assert run_sync("fake").status == SyncStatus.SUCCEEDED.value  # no waiting
    assert release_lease("fake", Actor.cli("ops")) is None  # nothing left to release


def test_a_holder_alive_on_this_machine_is_not_released(fake_integration):
    alive = f"{socket.gethostname()}:{os.getpid()}:cafe"
    run_id = crashed_sync(fake_integration, holder=alive)
    with pytest.raises(LeaseHeld, match=f"still running here \\(process {os.getpid()}\\)"):
        release_lease("fake", Actor.cli("ops"))
    assert lease.holder_of(fake_integration.id).holder == alive
    assert db.session.get(SyncRun, run_id).status == SyncStatus.RUNNING.value


def test_a_takeover_of_a_lapsed_lease_marks_the_dead_run_interrupted(fake_integration, fake_vendor):
    run_id = crashed_sync(fake_integration, age=timedelta(seconds=61))
    set_vendor(fake_vendor, {"c1": customer("One", seats=1)})
    assert run_sync("fake").status == SyncStatus.SUCCEEDED.value
    stale = db.session.get(SyncRun, run_id)
    assert (stale.status, stale.error_kind) == (SyncStatus.FAILED.value, "interrupted")


def test_hub_sync_release(runner, fake_integration, fake_vendor):
    run_id = crashed_sync(fake_integration)
    result = runner.invoke(args=["sync", "release", "fake"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"fake: released the sync lease held by {DEAD_HOLDER} since ")
    assert result.output.rstrip().endswith("1 run(s) marked interrupted")
    db.session.expire_all()
    assert db.session.get(SyncRun, run_id).status == SyncStatus.FAILED.value
    again = runner.invoke(args=["sync", "release", "fake"])
    assert (again.exit_code, again.output.strip()) == (0, "fake: no sync lease or running sync to release")
    missing = runner.invoke(args=["sync", "release", "nope"])
    assert missing.exit_code == 6 and "nope is not configured" in missing.output

    crashed_sync(fake_integration, holder=f"{socket.gethostname()}:{os.getpid()}:cafe")
    refused = runner.invoke(args=["sync", "release", "fake"])
    assert refused.exit_code == 4 and "still running here" in refused.output
    # the sync command itself is unchanged
    assert runner.invoke(args=["sync", "fake"]).exit_code == 4
