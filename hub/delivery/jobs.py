"""The outbox job in the hub's scheduler (``hub.sync.jobs.EXTRA_JOBS``): every minute, send what is due.

Due-ness lives in the database (``next_attempt_at``), so e-mails queued while no scheduler ran are
sent by the next tick, and several scheduler processes may run: a row is claimed before it is sent.
"""

from __future__ import annotations

import logging

from flask import Flask

log = logging.getLogger("hub.delivery")

JOB_ID = "hub-delivery-outbox"
TRIGGER = {"trigger": "interval", "seconds": 60}


def run_outbox_job(app: Flask) -> None:
    from hub.delivery.outbox import send_due
    from hub.extensions import db

    with app.app_context():
        try:
            tried = send_due()
            if tried:
                log.info("outbox: %d e-mail(s) tried", len(tried))
        except Exception:
            log.exception("the outbox job crashed")
        finally:
            db.session.remove()


def register() -> None:
    """Add the job once, however many apps are created (tests create many)."""
    from hub.sync.jobs import EXTRA_JOBS

    if not any(job_id == JOB_ID for job_id, _, _ in EXTRA_JOBS):
        EXTRA_JOBS.append((JOB_ID, run_outbox_job, dict(TRIGGER)))
