"""Signed outbound webhooks (Standard Webhooks), delivered from a transactional outbox.

Services, one job per module, shared by the panel, the CLI and the API:

- ``catalog``: the event types; ``targets``: which URLs may be called (https, public addresses, the
  socket guard against DNS rebinding); ``signing``: secrets and signatures
- ``endpoints``: ``add_endpoint`` (secret returned once), ``list_endpoints``, ``get_endpoint``,
  ``set_enabled``, ``set_event_types``, ``rotate_secret``
- ``outbox``: ``emit(event_type, items)``, in the caller's transaction; ``emitters``: what each event
  says, called by the services where things happen
- ``worker``: ``deliver_due`` (claim, send, record, retry), the scheduler's job
- ``deliveries``: ``list_deliveries``, ``attempts_of``, ``resend``, ``prune``
"""

from __future__ import annotations

import logging

from flask import Flask

log = logging.getLogger("hub.webhooks")

JOB_ID = "hub-webhooks"
#: the job also polls this often, for events committed by other processes (web workers)
POLL_SECONDS = 2


def init_app(app: Flask) -> None:
    """Read the settings, listen for mapping changes and commits, add the delivery job to the scheduler."""
    from flask_sqlalchemy.session import Session
    from sqlalchemy import event

    from hub import events
    from hub.config import ConfigError
    from hub.sync.jobs import EXTRA_JOBS
    from hub.webhooks import emitters
    from hub.webhooks.retry import DEFAULT_SCHEDULE, parse_schedule
    from hub.webhooks.worker import run_delivery_job

    try:
        app.extensions["hub.webhooks.schedule"] = parse_schedule(
            app.config.get("HUB_WEBHOOK_RETRY_SCHEDULE") or DEFAULT_SCHEDULE)
    except ValueError as err:
        raise ConfigError(str(err)) from None
    events.mapping_changed.connect(emitters.on_mapping_changed)
    if not event.contains(Session, "after_commit", _wake_after_commit):
        event.listen(Session, "after_commit", _wake_after_commit)
        event.listen(Session, "after_rollback", _forget)
    if not any(job_id == JOB_ID for job_id, _, _ in EXTRA_JOBS):
        EXTRA_JOBS.append((JOB_ID, run_delivery_job, {"trigger": "interval", "seconds": POLL_SECONDS}))
    # the job runs every few seconds: keep APScheduler's "Running job" lines about it out of the log
    logging.getLogger("apscheduler.executors.default").addFilter(_QuietJob())
    logging.getLogger("apscheduler.scheduler").addFilter(_QuietJob())


class _QuietJob(logging.Filter):
    """Drops the routine lines about the delivery job: each run, and a tick skipped while a run still
    delivers (that run goes on until nothing is due)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "run_delivery_job" not in message:
            return True
        return record.levelno > logging.WARNING or (
            record.levelno == logging.WARNING and "maximum number of running instances" not in message)


def _wake_after_commit(session) -> None:
    from hub.webhooks.outbox import WAKE_KEY

    if session.info.pop(WAKE_KEY, False):
        wake()


def _forget(session) -> None:
    from hub.webhooks.outbox import WAKE_KEY

    session.info.pop(WAKE_KEY, None)


def wake() -> None:
    """Run the delivery job now, if this process runs the scheduler (others poll every POLL_SECONDS)."""
    from hub.sync.jobs import run_job_soon

    run_job_soon(JOB_ID)
