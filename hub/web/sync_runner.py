""""Sync now" and review confirmation from the panel.

A vendor sync can take minutes, longer than a web request should. By default it runs in a
background thread with its own app context; ``HUB_SYNC_IN_BACKGROUND=false`` runs it inside the
request instead (tests, single-user setups), which reports the outcome at once.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Callable

from flask import Flask, current_app

from hub.extensions import db
from hub.models import SyncLease, SyncRun, SyncStatus
from hub.sync import AlreadyRunning, SyncNotPossible
from hub.sync.lease import holder_of
from hub.timeutil import utcnow

log = logging.getLogger("hub.web.sync")


@dataclass(frozen=True)
class Started:
    """What the panel tells the user: ``kind`` is started, finished, already_running or not_possible."""

    kind: str
    message: str
    run: SyncRun | None = None


def in_background(app: Flask) -> bool:
    value = app.config.get("HUB_SYNC_IN_BACKGROUND", True)
    return value if isinstance(value, bool) else str(value).strip().lower() in {"1", "true", "yes", "on"}


def is_running(integration_id: int) -> bool:
    lease = holder_of(integration_id)
    return lease is not None and lease.expires_at > utcnow()


#: a sync saves its outcome a moment before it lets its lease go: a click in that moment waits this long
#: for the lease rather than answer "already running" about a run the page already shows as ended
FINISHING_WAIT_SECONDS = 3.0


def _held_by(integration_id: int) -> str:
    """Who holds the lease, for the message: an admin can release it here if that process is gone."""
    row = db.session.execute(db.select(SyncLease.holder, SyncLease.expires_at)
                             .where(SyncLease.integration_id == integration_id)).first()
    return "" if row is None else f" ({row.holder}, lease renewed until {row.expires_at:%H:%M:%S} UTC)"


def _newest_run_ended(integration_id: int) -> bool:
    status = db.session.execute(db.select(SyncRun.status).where(SyncRun.integration_id == integration_id)
                                .order_by(SyncRun.id.desc()).limit(1)).scalar()
    return status is not None and status != SyncStatus.RUNNING.value


def _lease_let_go_within(integration_id: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(0.05)
        expires = db.session.execute(db.select(SyncLease.expires_at)  # a fresh read, not the identity map
                                     .where(SyncLease.integration_id == integration_id)).scalar()
        if expires is None or expires <= utcnow():
            return True
    return False


def start(slug: str, integration_id: int, work: Callable[[], SyncRun], label: str) -> Started:
    """Run ``work`` (a run_sync or confirm_review call) now or in a thread."""
    if is_running(integration_id) and not (_newest_run_ended(integration_id)
                                           and _lease_let_go_within(integration_id, FINISHING_WAIT_SECONDS)):
        return Started("already_running", f"A sync of {slug} is already running{_held_by(integration_id)}.")
    app = current_app._get_current_object()
    if not in_background(app):
        try:
            run = work()
        except AlreadyRunning:
            return Started("already_running", f"A sync of {slug} is already running.")
        except SyncNotPossible as err:
            return Started("not_possible", str(err))
        return Started("finished", describe(run), run)
    thread = threading.Thread(target=_run_in_thread, args=(app, work, slug), name=f"hub-sync-{slug}", daemon=True)
    threads = app.extensions.setdefault("hub.web.sync_threads", [])
    threads[:] = [t for t in threads if t.is_alive()]
    threads.append(thread)
    thread.start()
    return Started("started", f"{label} started for {slug}. This page shows the result when it ends.")


def _run_in_thread(app: Flask, work: Callable[[], SyncRun], slug: str) -> None:
    with app.app_context():
        try:
            work()
        except AlreadyRunning:
            log.info("sync of %s already running; the panel's request was skipped", slug)
        except SyncNotPossible as err:
            log.info("sync of %s not possible: %s", slug, err)
        except Exception:
            log.exception("sync of %s started from the panel crashed", slug)
        finally:
            db.session.remove()


def describe(run: SyncRun) -> str:
    if run.status in ("succeeded", "confirmed"):
        return (f"Sync finished: {run.customers_seen} customers seen, {run.customers_added} added, "
                f"{run.customers_detached} detached, {run.counts_changed} counts changed.")
    if run.status == "needs_review":
        return f"Sync stopped for review: {run.error_message}"
    return f"Sync failed: {run.error_message or run.status}"


def join_all(app: Flask, timeout: float = 30) -> None:
    """Wait for the panel's sync threads (tests, shutdown)."""
    for thread in list(app.extensions.get("hub.web.sync_threads", [])):
        thread.join(timeout)
