"""The scheduler: APScheduler ticks, the database decides what is due.

Each tick finds the enabled integrations whose interval has passed since their last sync and runs
them. Due-ness lives in the database (``last_sync_at``, ``interval_minutes``, ``retry_not_before``),
so an edited interval applies at the next tick, and several scheduler processes can run at once:
the sync lease lets exactly one of them sync an integration.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Callable

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from hub.extensions import db
from hub.models import IntegrationState, VendorIntegration
from hub.timeutil import utcnow

log = logging.getLogger("hub.scheduler")

#: states in which the schedule pauses until a person acts (needs_review: until an admin confirms or dismisses)
PAUSED_STATES = {IntegrationState.NEEDS_REAUTH.value, IntegrationState.NOT_CONFIGURED.value,
                 IntegrationState.PLUGIN_MISSING.value, IntegrationState.DISABLED.value,
                 IntegrationState.NEEDS_REVIEW.value}

#: extra jobs other parts of the hub add (billing's daily invoice run): (id, func(app), trigger kwargs)
EXTRA_JOBS: list[tuple[str, Callable[[Flask], None], dict]] = []


def due_integrations(now: datetime | None = None) -> list[VendorIntegration]:
    """Enabled integrations whose interval has passed, or whose retry time has come (state retrying)."""
    now = now or utcnow()
    return [integration for integration in db.session.execute(
        db.select(VendorIntegration).filter_by(enabled=True).order_by(VendorIntegration.slug)).scalars()
        if is_due(integration, now)]


def is_due(integration: VendorIntegration, now: datetime) -> bool:
    if not integration.enabled or integration.state in PAUSED_STATES:
        return False
    if integration.retry_not_before and integration.retry_not_before > now:
        return False
    retry_now = integration.state == IntegrationState.RETRYING.value and integration.retry_not_before
    return bool(retry_now or not integration.last_sync_at
                or integration.last_sync_at + timedelta(minutes=integration.interval_minutes) <= now)


def run_due_syncs(app: Flask) -> list[int]:
    """One scheduler tick; returns the ids of the runs it made."""
    from hub.sync import AlreadyRunning, SyncNotPossible, run_sync

    made = []
    with app.app_context():
        # slugs, not instances: each sync commits and the session is removed between them
        slugs = [integration.slug for integration in due_integrations()]
        db.session.remove()
        for slug in slugs:
            try:
                # only_if_due: another scheduler may have synced it since the list above was read
                made.append(run_sync(slug, trigger="schedule", triggered_by="scheduler", only_if_due=True).id)
            except AlreadyRunning:
                log.info("%s is already syncing elsewhere; skipped", slug)
            except SyncNotPossible as err:
                log.info("%s skipped: %s", slug, err)
            except Exception:
                log.exception("scheduled sync of %s crashed", slug)
            finally:
                db.session.remove()
    return made


def build_scheduler(app: Flask, blocking: bool = False, tick_seconds: int = 60):
    scheduler = (BlockingScheduler if blocking else BackgroundScheduler)(timezone="UTC")
    scheduler.add_job(run_due_syncs, "interval", seconds=tick_seconds, args=[app], id="hub-due-syncs",
                      max_instances=1, coalesce=True, next_run_time=datetime.now().astimezone())
    for job_id, func, trigger in EXTRA_JOBS:
        scheduler.add_job(func, args=[app], id=job_id, max_instances=1, coalesce=True,
                          **configured_time(app, trigger))
    app.extensions["hub.scheduler"] = scheduler  # so a commit can wake a job (webhook deliveries)
    return scheduler


def configured_time(app: Flask, trigger: dict) -> dict:
    """A cron trigger whose ``time_setting`` names a setting ("HH:MM" or "HH:MM:SS", UTC) runs at that time;
    one whose ``interval_setting`` names a setting that is set (seconds) runs that often instead."""
    trigger = dict(trigger)
    setting = trigger.pop("time_setting", None)
    every = int(app.config.get(trigger.pop("interval_setting", None) or "", 0) or 0)
    if every > 0:
        return {"trigger": "interval", "seconds": every}
    value = str(app.config.get(setting) or "") if setting else ""
    if value:
        parts = value.split(":")
        try:
            hour, minute, second = (int(p) for p in (parts + ["0"])[:3])
            datetime(2000, 1, 1, hour, minute, second)  # in range?
        except (TypeError, ValueError):
            raise ValueError(f"{setting}={value!r} is not a time of day like 06:00 (UTC)") from None
        if len(parts) > 3:
            raise ValueError(f"{setting}={value!r} is not a time of day like 06:00 (UTC)")
        trigger.update(hour=hour, minute=minute, second=second)
    return trigger


def run_job_soon(job_id: str) -> bool:
    """Run the scheduler job ``job_id`` now, if this process runs the scheduler (the web and the scheduler
    in one process, the default). Returns whether it could: elsewhere the job's own tick picks the work up."""
    from flask import current_app, has_app_context

    scheduler = current_app.extensions.get("hub.scheduler") if has_app_context() else None
    if scheduler is None:
        return False
    try:
        scheduler.modify_job(job_id, next_run_time=datetime.now().astimezone())
        return True
    except Exception:  # noqa: BLE001 - not started, shut down or the job was removed: the tick still runs
        log.debug("could not run job %s now", job_id, exc_info=True)
        return False


def start_scheduler(app: Flask):
    scheduler = build_scheduler(app)
    scheduler.start()
    log.info("scheduler started in-process")
    return scheduler
