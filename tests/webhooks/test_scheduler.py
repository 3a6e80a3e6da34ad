"""Delivery runs in the scheduler: at once after the commit that queued an event, and once per event
even with two scheduler processes (real processes on the real database)."""

from __future__ import annotations

import time
from pathlib import Path

from hub.extensions import db
from hub.models import WebhookAttempt
from hub.sync.jobs import build_scheduler, start_scheduler
from hub.webhooks import JOB_ID, POLL_SECONDS, endpoints
from hub.webhooks.outbox import emit
from tests.processes import run_together
from tests.webhooks.conftest import ADMIN, deliveries
from tests.webhooks.receiver import Receiver

WORKER = Path(__file__).with_name("scheduler_worker.py")


def test_the_delivery_job_is_scheduled_every_few_seconds(app):
    scheduler = build_scheduler(app)
    job = scheduler.get_job(JOB_ID)
    assert job is not None and job.trigger.interval.total_seconds() == POLL_SECONDS <= 5


def test_the_first_attempt_follows_the_commit_within_seconds(app, app_ctx, endpoint, receiver, monkeypatch):
    # a poll interval far away, so only the after-commit wake-up can deliver in time
    import hub.webhooks as webhooks
    from hub.sync import jobs

    monkeypatch.setattr(jobs, "EXTRA_JOBS", [(job_id, func, {"trigger": "interval", "seconds": 3600})
                                             if job_id == JOB_ID else (job_id, func, trigger)
                                             for job_id, func, trigger in jobs.EXTRA_JOBS])
    scheduler = start_scheduler(app)
    try:
        time.sleep(0.5)  # the scheduler's own first runs are over
        assert receiver.count == 0
        emit("invoice.voided", {"invoice_id": 3})
        committed = time.monotonic()
        db.session.commit()
        # generous for a loaded machine; a minute tick (or the hour-long poll above) would miss it
        assert receiver.wait_for(1, timeout=20), "no delivery after the commit"
        assert time.monotonic() - committed < 20
        assert receiver.requests[0].verified
    finally:
        scheduler.shutdown(wait=True)
        app.extensions.pop("hub.scheduler", None)
    assert webhooks.POLL_SECONDS == POLL_SECONDS


def _run_two_schedulers(app, tmp_path) -> list[dict]:
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    return run_together(WORKER, [[url, str(tmp_path / f"w{n}")] for n in range(2)])


def test_two_scheduler_processes_deliver_each_event_once(app, app_ctx, tmp_path):
    with Receiver(fail_first=1) as receiver:  # every event fails once: retries are claimed once too
        receiver.secret = endpoints.add_endpoint(receiver.url, "*", ADMIN).secret
        emit("invoice.voided", [{"invoice_id": n} for n in range(400)])
        db.session.commit()
        db.session.remove()
        print("per process:", _run_two_schedulers(app, tmp_path))
        per_id: dict[str, list[int]] = {}
        for r in receiver.requests:
            per_id.setdefault(r.msg_id, []).append(r.answered)
    assert len(per_id) == 400
    assert all(codes == [500, 200] for codes in per_id.values()), [c for c in per_id.values() if c != [500, 200]][:5]
    assert {d.status for d in deliveries()} == {"succeeded"}
    assert db.session.execute(db.select(db.func.count(WebhookAttempt.id))).scalar_one() == 800
