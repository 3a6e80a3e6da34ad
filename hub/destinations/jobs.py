"""The scheduler's push tick: every minute, send what is due to every connected destination."""

from __future__ import annotations

import logging

from flask import Flask

from hub.extensions import db

log = logging.getLogger("hub.destinations")


def run_push_tick(app: Flask) -> None:
    from hub.destinations.push import run_pushes

    with app.app_context():
        try:
            for report in run_pushes():
                if report.pushed or report.blocked or report.retrying or report.voided or report.stopped:
                    log.info("push %s: %d pushed, %d blocked, %d retrying, %d voided%s", report.slug,
                             len(report.pushed), len(report.blocked), len(report.retrying), len(report.voided),
                             f"; stopped: {report.stopped}" if report.stopped else "")
        except Exception:
            log.exception("push run crashed")
        finally:
            db.session.remove()


def register() -> None:
    """Idempotent: adds the push tick to the scheduler's extra jobs once."""
    from hub.sync.jobs import EXTRA_JOBS

    if not any(job_id == "hub-destination-push" for job_id, _, _ in EXTRA_JOBS):
        EXTRA_JOBS.append(("hub-destination-push", run_push_tick, {"trigger": "interval", "seconds": 60}))
