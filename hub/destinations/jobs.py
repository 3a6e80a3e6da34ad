"""The scheduler's destination ticks: every minute, send what is due to every connected destination;
every 15 minutes, read back the payment status of pushed, unpaid invoices; every 6 hours, refresh the
tokens of idle connections so their refresh tokens never lapse (``tokens.keep_alive``)."""

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
                notes = {k: len(v) for k, v in report.credit_notes.items() if v}
                if report.pushed or report.blocked or report.retrying or report.voided or report.stopped or notes:
                    log.info("push %s: %d pushed, %d blocked, %d retrying, %d voided%s%s", report.slug,
                             len(report.pushed), len(report.blocked), len(report.retrying), len(report.voided),
                             f"; credit notes: {notes}" if notes else "",
                             f"; stopped: {report.stopped}" if report.stopped else "")
        except Exception:
            log.exception("push run crashed")
        finally:
            db.session.remove()


def run_payment_tick(app: Flask) -> None:
    """Read back the payment status of pushed, unpaid invoices (bounded per run; see ``payments``)."""
    from hub.destinations.payments import check_payments

    with app.app_context():
        try:
            for report in check_payments():
                if report.changed or report.stopped:
                    log.info("payments %s: %d checked, %d changed, %d paid%s", report.slug, report.checked,
                             len(report.changed), len(report.paid),
                             f"; stopped: {report.stopped}" if report.stopped else "")
        except Exception:
            log.exception("payment check crashed")
        finally:
            db.session.remove()


def run_keepalive_tick(app: Flask) -> None:
    """Refresh idle connections' tokens before their refresh tokens lapse (see ``tokens.keep_alive``)."""
    from hub.destinations.tokens import keep_alive

    with app.app_context():
        try:
            refreshed = keep_alive()
            if refreshed:
                log.info("keep-alive refreshed the tokens of %s", ", ".join(refreshed))
        except Exception:
            log.exception("token keep-alive crashed")
        finally:
            db.session.remove()


PUSH_JOB_ID = "hub-destination-push"
JOBS = ((PUSH_JOB_ID, run_push_tick, {"trigger": "interval", "seconds": 60}),
        ("hub-destination-payments", run_payment_tick, {"trigger": "interval", "minutes": 15}),
        ("hub-destination-keepalive", run_keepalive_tick, {"trigger": "interval", "hours": 6}))


def register() -> None:
    """Idempotent: adds the push, payment and keep-alive ticks to the scheduler's extra jobs once."""
    from hub.sync.jobs import EXTRA_JOBS

    for job in JOBS:
        if not any(job_id == job[0] for job_id, _, _ in EXTRA_JOBS):
            EXTRA_JOBS.append(job)
