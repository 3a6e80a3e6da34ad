"""The scheduler: the database decides what is due, APScheduler ticks, each sync runs in an app context."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from hub import integrations
from hub.audit import Actor
from hub.extensions import db
from hub.models import IntegrationState, SyncRun, VendorIntegration
from hub.sync import jobs, lease
from hub.timeutil import utcnow
from tests.fakes.fake_vendor import FAKE_CONFIG, FakeVendor

NOW = datetime(2026, 3, 1, 12, 0, 0)
S = IntegrationState

DUE_CASES = [
    # id, enabled, state, minutes since last sync (None: never), interval, retry_not_before offset (min), due
    ("never synced", True, S.READY, None, 360, None, True),
    ("within its interval", True, S.READY, 10, 60, None, False),
    ("interval passed", True, S.READY, 61, 60, None, True),
    ("exactly at the interval", True, S.READY, 60, 60, None, True),
    ("disabled", False, S.READY, None, 360, None, False),
    ("state disabled", True, S.DISABLED, None, 360, None, False),
    ("needs reauth", True, S.NEEDS_REAUTH, 999, 60, None, False),
    ("not configured", True, S.NOT_CONFIGURED, None, 60, None, False),
    ("plugin missing", True, S.PLUGIN_MISSING, None, 60, None, False),
    ("needs review: waits for an admin", True, S.NEEDS_REVIEW, 999, 60, None, False),
    ("error: tried again at the interval", True, S.ERROR, 61, 60, None, True),
    ("error within the interval", True, S.ERROR, 10, 60, None, False),
    ("retrying, not yet", True, S.RETRYING, 999, 60, +5, False),
    ("retrying, time has come (before the interval)", True, S.RETRYING, 16, 360, -1, True),
    ("retry_not_before holds back a due integration", True, S.READY, 999, 60, +5, False),
]


@pytest.mark.parametrize("enabled, state, since, interval, retry, due", [c[1:] for c in DUE_CASES],
                         ids=[c[0] for c in DUE_CASES])
def test_due_integrations(enabled, state, since, interval, retry, due, app_ctx):
    db.session.add(VendorIntegration(
        slug="x", enabled=enabled, state=state.value, settings={"a": 1}, interval_minutes=interval,
        last_sync_at=None if since is None else NOW - timedelta(minutes=since),
        retry_not_before=None if retry is None else NOW + timedelta(minutes=retry)))
    db.session.commit()
    assert [i.slug for i in jobs.due_integrations(NOW)] == (["x"] if due else [])


@pytest.fixture
def three_vendors(app, app_ctx):
    """Vendors a, b, c configured and enabled; c synced a minute ago, so not due."""
    registry = app.extensions["hub.plugins"]
    vendors = {}
    for slug in ("va", "vb", "vc"):
        vendors[slug] = FakeVendor(slug)
        vendors[slug].add(f"{slug}-1", f"{slug} customer", seats=1)
        registry.register(vendors[slug], slug)
        integrations.configure(slug, dict(FAKE_CONFIG), Actor.cli("test"), enable=True)
    integrations.get_integration("vc").last_sync_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    yield vendors
    for slug in vendors:
        registry.unregister(slug)


def scheduled_runs() -> list[tuple[str, str, str]]:
    db.session.expire_all()
    return sorted((r.integration.slug, r.trigger, r.status) for r in db.session.execute(db.select(SyncRun)).scalars())


def test_run_due_syncs_runs_each_due_integration(app, three_vendors):
    made = jobs.run_due_syncs(app)
    assert len(made) == 2
    assert scheduled_runs() == [("va", "schedule", "succeeded"), ("vb", "schedule", "succeeded")]
    assert jobs.run_due_syncs(app) == []  # nothing due any more


def test_a_sync_running_elsewhere_is_skipped_and_the_others_run(app, three_vendors):
    assert lease.acquire(integrations.get_integration("va").id, "elsewhere", 3600)
    three_vendors["vb"].list_error = RuntimeError("plugin bug")  # a failing one does not stop the tick
    jobs.run_due_syncs(app)
    assert scheduled_runs() == [("vb", "schedule", "failed")]


def test_the_real_scheduler_job_runs_due_syncs(app, three_vendors):
    scheduler = jobs.build_scheduler(app, tick_seconds=3600)
    done, outcome = threading.Event(), {}

    def listener(event):
        outcome.update(code=event.code, retval=getattr(event, "retval", None),
                       exception=getattr(event, "exception", None))
        done.set()

    scheduler.add_listener(listener, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    scheduler.start()  # the tick job is due at once
    try:
        assert done.wait(timeout=30), "the tick job did not run"
    finally:
        scheduler.shutdown(wait=True)
    assert outcome["code"] == EVENT_JOB_EXECUTED, outcome["exception"]
    assert len(outcome["retval"]) == 2
    assert scheduled_runs() == [("va", "schedule", "succeeded"), ("vb", "schedule", "succeeded")]


def test_build_scheduler_registers_the_tick_and_extra_jobs(app, monkeypatch):
    called = []
    monkeypatch.setattr(jobs, "EXTRA_JOBS", [("billing-daily", called.append, {"trigger": "cron", "hour": 2})])
    scheduler = jobs.build_scheduler(app, tick_seconds=90)
    tick = scheduler.get_job("hub-due-syncs")
    assert isinstance(tick.trigger, IntervalTrigger) and tick.trigger.interval == timedelta(seconds=90)
    assert (tick.func, tick.args, tick.max_instances, tick.coalesce) == (jobs.run_due_syncs, (app,), 1, True)
    extra = scheduler.get_job("billing-daily")
    assert isinstance(extra.trigger, CronTrigger) and str(extra.trigger.fields[5]) == "2"  # hour
    extra.func(*extra.args)
    assert called == [app]


def test_hub_scheduler_setting_starts_one_in_process(tmp_path, database_url):
    from hub import create_app
    from tests.conftest import make_test_config

    app = create_app(make_test_config(tmp_path, database_url, HUB_SCHEDULER=True))
    scheduler = app.extensions["hub.scheduler"]
    try:
        assert scheduler.running and scheduler.get_job("hub-due-syncs") is not None
    finally:
        scheduler.shutdown(wait=True)
        with app.app_context():
            db.engine.dispose()
