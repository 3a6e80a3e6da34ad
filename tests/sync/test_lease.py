"""At most one run per integration at a time, across threads and processes (the database lease)."""

from __future__ import annotations

import multiprocessing
import queue
from datetime import timedelta

import pytest

from hub import integrations
from hub.extensions import db
from hub.models import IntegrationState, SyncLease, SyncRun, SyncStatus
from hub.sync import AlreadyRunning, lease, run_sync
from hub.timeutil import utcnow
from tests.sync.helpers import customer, customers_by_external_id, set_vendor
from tests.sync.lease_worker import sync_in_process


def test_acquire_and_release(fake_integration):
    iid = fake_integration.id
    assert lease.acquire(iid, "a", 60)
    assert not lease.acquire(iid, "b", 60)
    lease.release(iid, "b")  # not b's to release
    assert lease.holder_of(iid).holder == "a"
    lease.release(iid, "a")
    assert lease.holder_of(iid) is None
    assert lease.acquire(iid, "b", 60)


def test_a_second_run_while_the_lease_is_held_is_refused(fake_integration, fake_vendor):
    assert lease.acquire(fake_integration.id, "another-process", 3600)
    state = fake_integration.state
    with pytest.raises(AlreadyRunning, match="a sync of fake is already running"):
        run_sync("fake")
    assert db.session.execute(db.select(SyncRun)).first() is None  # no run recorded, nothing read
    assert fake_vendor.calls == ["test_connection"]  # only the configure-time test
    assert integrations.get_integration("fake").state == state
    assert lease.holder_of(fake_integration.id).holder == "another-process"


def test_an_expired_lease_is_taken_over_and_the_stale_run_closed(fake_integration, fake_vendor):
    started = utcnow() - timedelta(hours=3)
    stale = SyncRun(integration_id=fake_integration.id, trigger="schedule", status=SyncStatus.RUNNING.value,
                    started_at=started)
    db.session.add(stale)
    db.session.add(SyncLease(integration_id=fake_integration.id, holder="dead-host:123:abc",
                             acquired_at=started, expires_at=started + timedelta(hours=1)))
    fake_integration.state = IntegrationState.SYNCING.value
    db.session.commit()
    stale_id = stale.id

    set_vendor(fake_vendor, {"c1": customer("One", seats=1)})
    run = run_sync("fake")
    assert run.status == SyncStatus.SUCCEEDED.value
    stale = db.session.get(SyncRun, stale_id)
    assert (stale.status, stale.error_kind) == (SyncStatus.FAILED.value, "interrupted")
    assert stale.finished_at is not None and "stopped before it finished" in stale.error_message
    assert lease.holder_of(fake_integration.id) is None
    assert integrations.get_integration("fake").state == IntegrationState.READY.value


def test_an_unexpired_lease_is_not_taken_over(fake_integration):
    assert lease.acquire(fake_integration.id, "a", 3600)
    assert not lease.acquire(fake_integration.id, "b", 3600)
    db.session.execute(db.update(SyncLease).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert lease.acquire(fake_integration.id, "b", 3600)
    assert not lease.acquire(fake_integration.id, "c", 3600)  # b took it over, c does not
    assert lease.holder_of(fake_integration.id).holder == "b"


def test_an_interrupted_run_releases_the_lease_and_is_closed_next_time(fake_integration, fake_vendor):
    set_vendor(fake_vendor, {"c1": customer("One", seats=1)})
    fake_vendor.list_error = KeyboardInterrupt()
    with pytest.raises(KeyboardInterrupt):
        run_sync("fake")
    assert lease.holder_of(fake_integration.id) is None
    interrupted = db.session.execute(db.select(SyncRun)).scalar_one()
    assert interrupted.status == SyncStatus.RUNNING.value
    fake_vendor.list_error = None
    assert run_sync("fake").status == SyncStatus.SUCCEEDED.value
    db.session.refresh(interrupted)
    assert (interrupted.status, interrupted.error_kind) == (SyncStatus.FAILED.value, "interrupted")


def test_two_processes_syncing_at_once_make_one_run(app_config, fake_integration):
    """Each process builds its own app against the same database; exactly one of them syncs."""
    ctx = multiprocessing.get_context("spawn")
    start, other_refused, results = ctx.Barrier(2), ctx.Event(), ctx.Queue()
    processes = [ctx.Process(target=sync_in_process, args=(app_config, start, other_refused, results))
                 for _ in range(2)]
    for process in processes:
        process.start()
    try:
        outcomes = sorted(results.get(timeout=120)[:2] for _ in processes)
    except queue.Empty:
        pytest.fail("a sync process did not report")
    finally:
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.terminate()
    assert [o[0] for o in outcomes] == ["already_running", "ran"], outcomes
    assert outcomes[1][1] == SyncStatus.SUCCEEDED.value
    db.session.expire_all()
    runs = db.session.execute(db.select(SyncRun)).scalars().all()
    assert [(r.status, r.trigger) for r in runs] == [(SyncStatus.SUCCEEDED.value, "cli")]
    assert sorted(customers_by_external_id()) == ["c0", "c1", "c2"]
    assert lease.holder_of(fake_integration.id) is None


def test_keep_alive_renews_the_lease_while_held_and_reports_a_lost_one(fake_integration):
    iid = fake_integration.id
    assert lease.acquire(iid, "me", 60)
    db.session.execute(db.update(SyncLease).values(expires_at=utcnow() + timedelta(seconds=5)))
    db.session.commit()
    keeper = lease.KeepAlive(db.engine, iid, "me", 3600)
    assert keeper.renew()
    db.session.expire_all()
    assert lease.holder_of(iid).expires_at > utcnow() + timedelta(minutes=59)
    # another process took it over: renewing must not steal it back
    db.session.execute(db.update(SyncLease).values(holder="other"))
    db.session.commit()
    assert not keeper.renew()
    db.session.expire_all()
    assert lease.holder_of(iid).holder == "other"


def test_a_run_whose_lease_was_taken_over_applies_nothing(fake_integration, fake_vendor):
    set_vendor(fake_vendor, {"c1": customer("One", seats=1)})

    class CountsThatLoseTheLease(dict):
        def get(self, key, default=None):
            # while we were reading, another process decided our lease had expired and took it
            with db.engine.begin() as conn:
                conn.execute(SyncLease.__table__.update().values(holder="usurper"))
            return super().get(key, default)

    fake_vendor.counts = CountsThatLoseTheLease(fake_vendor.counts)
    run = run_sync("fake")
    assert (run.status, run.error_kind) == (SyncStatus.FAILED.value, "apply_error")
    assert "lease was lost" in run.error_message
    assert customers_by_external_id() == {}
    assert lease.holder_of(fake_integration.id).holder == "usurper"  # not ours to release
