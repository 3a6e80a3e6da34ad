"""The daily invoice run in the hub's scheduler (``hub.sync.jobs.EXTRA_JOBS``).

Due-ness lives in the database (``next_run_date``) and the run is safe to repeat, so a run missed
while the hub was down is simply done by the next one, or by ``hub invoices run``.
"""

from __future__ import annotations

import logging

from flask import Flask

log = logging.getLogger("hub.billing")

JOB_ID = "hub-billing-invoices"
#: every day at 06:00 UTC (or HUB_INVOICE_RUN_TIME), or every HUB_INVOICE_RUN_EVERY_SECONDS when that is
#: set; a daily run an hour late still counts (the scheduler was busy or just restarted)
TRIGGER = {"trigger": "cron", "hour": 6, "minute": 0, "misfire_grace_time": 3600,
           "time_setting": "HUB_INVOICE_RUN_TIME", "interval_setting": "HUB_INVOICE_RUN_EVERY_SECONDS"}


def run_invoice_job(app: Flask) -> None:
    from hub.billing.invoicing import run_due_invoices
    from hub.extensions import db

    with app.app_context():
        try:
            result = run_due_invoices()
            log.info("invoice run %s: %d issued, %d drafts, %d with nothing to bill, %d skipped",
                     result.run_date, len(result.issued), len(result.drafts), len(result.empty),
                     len(result.skipped))
            for recurring_id, why in result.skipped:
                log.warning("recurring invoice %s skipped: %s", recurring_id, why)
        except Exception:
            log.exception("the invoice run crashed")
        finally:
            db.session.remove()


def register() -> None:
    """Add the job once, however many apps are created (tests create many)."""
    from hub.sync.jobs import EXTRA_JOBS

    if not any(job_id == JOB_ID for job_id, _, _ in EXTRA_JOBS):
        EXTRA_JOBS.append((JOB_ID, run_invoice_job, dict(TRIGGER)))
