"""The delivery worker: claim due deliveries, send them signed, record every attempt, schedule retries.

It runs in the scheduler process (a short-interval job, woken at once after a commit that queued
events) and is safe with several processes: each delivery is claimed by one of them. On PostgreSQL
the claim selects ``FOR UPDATE SKIP LOCKED``; on SQLite the same single ``UPDATE ... RETURNING``
runs under the database's write lock. A claim lasts ``CLAIM_SECONDS``: a delivery whose worker died
is claimed again after that (at-least-once; the ``webhook-id`` stays the same).
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import requests
from flask import Flask, current_app
from sqlalchemy import and_, bindparam, or_

from hub.extensions import db
from hub.models import EndpointState, WebhookAttempt, WebhookDelivery, WebhookDeliveryStatus, WebhookEndpoint, WebhookEvent
from hub.security.secrets import SecretsError
from hub.timeutil import utcnow
from hub.webhooks import endpoints as endpoint_service
from hub.webhooks.outbox import envelope
from hub.webhooks.retry import next_wait
from hub.webhooks.signing import signed_headers
from hub.webhooks.targets import TargetError, check_url, guarded_session

log = logging.getLogger("hub.webhooks")

DELIVERIES = WebhookDelivery.__table__
ATTEMPTS = WebhookAttempt.__table__
TIMEOUT_SECONDS = 10
EXCERPT_CHARS = 300
CLAIM_BATCH = 100
#: longer than a batch can take: CLAIM_BATCH sends of TIMEOUT_SECONDS each over the worker's (4) threads
CLAIM_SECONDS = 600
#: this many failed attempts in a row mark an endpoint failing
FAILING_AFTER = 3
USER_AGENT = "msp-billing-hub-webhooks/1"


@dataclass
class _Job:
    delivery_id: int
    endpoint_id: int
    attempt: int
    url: str
    body: str
    headers: dict
    created_at: datetime
    blocked: str | None = None


@dataclass
class _Outcome:
    job: _Job
    at: datetime
    ok: bool
    code: int | None
    duration_ms: int
    excerpt: str | None
    error: str | None


@dataclass
class DeliveryReport:
    attempted: int = 0
    succeeded: int = 0
    failed: int = 0
    gave_up: list[int] = field(default_factory=list)
    disabled_endpoints: list[int] = field(default_factory=list)


def deliver_due(max_seconds: float = 50.0) -> DeliveryReport:
    """Send what is due until nothing is, or ``max_seconds`` passed. Commits per batch."""
    config = current_app.config
    schedule = current_app.extensions["hub.webhooks.schedule"]
    threads = max(1, int(config.get("HUB_WEBHOOK_CONCURRENCY", 4)))
    report = DeliveryReport()
    deadline = time.monotonic() + max_seconds
    holder = uuid.uuid4().hex
    session = guarded_session(bool(config.get("HUB_WEBHOOKS_ALLOW_PRIVATE")), pool_maxsize=threads)
    with session, ThreadPoolExecutor(threads, thread_name_prefix="hub-webhook") as pool:
        while time.monotonic() < deadline:
            claimed = claim(holder, CLAIM_BATCH)
            if not claimed:
                break
            jobs = _prepare(claimed)
            outcomes = list(pool.map(lambda job: _send(session, job), jobs))
            _record(holder, outcomes, schedule, report)
    return report


def claim(holder: str, limit: int) -> list[int]:
    """Claim up to ``limit`` due deliveries of enabled endpoints for ``holder``; commits."""
    now = utcnow()
    d = DELIVERIES.c
    due = (db.select(d.id)
           .join(WebhookEndpoint.__table__, WebhookEndpoint.__table__.c.id == d.endpoint_id)
           .where(WebhookEndpoint.__table__.c.enabled.is_(True),
                  or_(and_(d.status == WebhookDeliveryStatus.PENDING.value, d.next_attempt_at <= now),
                      and_(d.status == WebhookDeliveryStatus.DELIVERING.value, d.claimed_until < now)))
           .order_by(d.next_attempt_at, d.id).limit(limit))
    if db.engine.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True, of=DELIVERIES)
    ids = db.session.execute(
        db.update(DELIVERIES).where(d.id.in_(due.scalar_subquery()))
        .values(status=WebhookDeliveryStatus.DELIVERING.value, claimed_by=holder,
                claimed_until=now + timedelta(seconds=CLAIM_SECONDS))
        .returning(d.id)).scalars().all()
    db.session.commit()
    return sorted(ids)


def _prepare(delivery_ids: list[int]) -> list[_Job]:
    """Bodies and signed headers for claimed deliveries (two queries); the claim is read-only from here."""
    rows = db.session.execute(
        db.select(WebhookDelivery.id, WebhookDelivery.attempts, WebhookEvent.msg_id, WebhookEvent.type,
                  WebhookEvent.occurred_at, WebhookEvent.data, WebhookDelivery.endpoint_id,
                  WebhookDelivery.created_at)
        .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
        .where(WebhookDelivery.id.in_(delivery_ids)).order_by(WebhookDelivery.id)).all()
    endpoints = {e.id: e for e in db.session.execute(
        db.select(WebhookEndpoint).where(WebhookEndpoint.id.in_({r.endpoint_id for r in rows}))).scalars()}
    now = utcnow()
    allow_private = endpoint_service.allow_private()
    secrets, blocked = {}, {}
    for endpoint in endpoints.values():
        try:  # resolved again at send time: the socket guard then checks the address actually reached
            check_url(endpoint.url, allow_private)
            secrets[endpoint.id] = endpoint_service.signing_secrets(endpoint, now)
        except TargetError as err:
            blocked[endpoint.id] = str(err)
        except SecretsError:  # e.g. HUB_ENCRYPTION_KEYS lost the key: a failed attempt, never an unsigned one
            blocked[endpoint.id] = "the signing secret cannot be decrypted with HUB_ENCRYPTION_KEYS"
    jobs = []
    for r in rows:
        body = json.dumps(envelope(r.type, r.occurred_at, r.data), separators=(",", ":"))
        headers = signed_headers(secrets[r.endpoint_id], r.msg_id, body, utcnow()) if r.endpoint_id in secrets else {}
        headers.update({"content-type": "application/json", "user-agent": USER_AGENT})
        jobs.append(_Job(r.id, r.endpoint_id, r.attempts + 1, endpoints[r.endpoint_id].url, body, headers,
                         r.created_at, blocked.get(r.endpoint_id)))
    db.session.rollback()  # end the read transaction before the (slow) sending
    return jobs


def _send(session: requests.Session, job: _Job) -> _Outcome:
    at = utcnow()
    started = time.perf_counter()
    code = excerpt = error = None
    if job.blocked:
        error = job.blocked
    else:
        try:
            response = session.post(job.url, data=job.body.encode(), headers=job.headers,
                                    timeout=TIMEOUT_SECONDS, allow_redirects=False, stream=True)
            try:
                # a short excerpt only: never read (or keep) a large answer
                excerpt = response.raw.read(EXCERPT_CHARS * 4, decode_content=True).decode("utf-8", "replace")
                excerpt = excerpt[:EXCERPT_CHARS] or None
            finally:
                response.close()
            code = response.status_code
            if not 200 <= code < 300:
                error = f"HTTP {code}" + (" (redirects are not followed)" if 300 <= code < 400 else "")
        except requests.RequestException as err:
            error = _short_error(err)
        except Exception as err:  # noqa: BLE001 - one bad answer must not stop the batch
            error = f"{type(err).__name__}: {err}"
    duration_ms = int((time.perf_counter() - started) * 1000)
    return _Outcome(job, at, error is None, code, duration_ms, excerpt, error and error[:500])


def _short_error(err: requests.RequestException) -> str:
    text = str(err)
    if "blocked address" in text:
        return "refused: " + text[text.index("blocked address"):].split(")")[0].split("'")[0]
    if isinstance(err, requests.Timeout):
        return f"timed out after {TIMEOUT_SECONDS} s"
    if isinstance(err, requests.ConnectionError):
        return f"could not connect: {text[:300]}"
    return f"{type(err).__name__}: {text[:300]}"


def _record(holder: str, outcomes: list[_Outcome], schedule: tuple[int, ...], report: DeliveryReport) -> None:
    """Attempts (one bulk insert), deliveries (one bulk update), then the endpoints' health; commits."""
    if not outcomes:
        return
    db.session.execute(db.insert(ATTEMPTS), [
        dict(delivery_id=o.job.delivery_id, endpoint_id=o.job.endpoint_id, attempt=o.job.attempt,
             attempted_at=o.at, succeeded=o.ok, response_code=o.code, duration_ms=o.duration_ms,
             response_excerpt=o.excerpt, error=o.error) for o in outcomes])
    updates = []
    for o in outcomes:
        report.attempted += 1
        if o.ok:
            report.succeeded += 1
            status, next_at = WebhookDeliveryStatus.SUCCEEDED.value, None
        else:
            report.failed += 1
            wait = next_wait(schedule, o.job.attempt)
            status = WebhookDeliveryStatus.PENDING.value if wait is not None else WebhookDeliveryStatus.FAILED.value
            next_at = utcnow() + wait if wait is not None else None
            if wait is None:
                report.gave_up.append(o.job.delivery_id)
        updates.append({"_id": o.job.delivery_id, "_holder": holder, "_status": status, "_attempts": o.job.attempt,
                        "_next": next_at, "_at": o.at, "_code": o.code, "_error": o.error,
                        "_delivered": o.at if o.ok else None})
    d = DELIVERIES.c
    db.session.execute(
        db.update(DELIVERIES).where(d.id == bindparam("_id"), d.claimed_by == bindparam("_holder"))
        .values(status=bindparam("_status"), attempts=bindparam("_attempts"), next_attempt_at=bindparam("_next"),
                last_attempt_at=bindparam("_at"), last_response_code=bindparam("_code"),
                last_error=bindparam("_error"), delivered_at=bindparam("_delivered"), claimed_by=None,
                claimed_until=None),
        updates)
    _update_health(outcomes, set(report.gave_up), report)
    db.session.commit()


def _update_health(outcomes: list[_Outcome], gave_up: set[int], report: DeliveryReport) -> None:
    """Success makes an endpoint active; failures in a row make it failing; a delivery that failed for its
    whole retry schedule, with no delivery to the endpoint succeeding meanwhile, disables it, saying why."""
    by_endpoint: dict[int, list[_Outcome]] = {}
    for o in sorted(outcomes, key=lambda o: o.at):
        by_endpoint.setdefault(o.job.endpoint_id, []).append(o)
    for endpoint in db.session.execute(
            db.select(WebhookEndpoint).where(WebhookEndpoint.id.in_(by_endpoint))).scalars():
        for o in by_endpoint[endpoint.id]:
            if o.ok:
                endpoint.consecutive_failures, endpoint.failing_since = 0, None
                endpoint.last_success_at = o.at
                if endpoint.state == EndpointState.FAILING.value:
                    endpoint.state, endpoint.state_reason = EndpointState.ACTIVE.value, None
                continue
            endpoint.consecutive_failures += 1
            endpoint.last_failure_at = o.at
            endpoint.failing_since = endpoint.failing_since or o.at
            if endpoint.state == EndpointState.DISABLED.value:
                continue
            quiet = endpoint.last_success_at is None or endpoint.last_success_at < o.job.created_at
            if o.job.delivery_id in gave_up and quiet and endpoint.enabled:
                endpoint.enabled = False
                endpoint.state = EndpointState.DISABLED.value
                endpoint.state_reason = (
                    f"disabled automatically at {o.at.isoformat(timespec='seconds')}: delivery {o.job.delivery_id} "
                    f"failed {o.job.attempt} times over its whole retry schedule (since "
                    f"{o.job.created_at.isoformat(timespec='seconds')}) with no successful delivery in between; "
                    f"last error: {o.error}")
                report.disabled_endpoints.append(endpoint.id)
                log.warning("webhook endpoint %s disabled: %s", endpoint.id, endpoint.state_reason)
            elif endpoint.consecutive_failures >= FAILING_AFTER:
                if endpoint.state != EndpointState.FAILING.value:
                    log.warning("webhook endpoint %s is failing: %s", endpoint.id, o.error)
                endpoint.state = EndpointState.FAILING.value
                endpoint.state_reason = (f"{endpoint.consecutive_failures} attempts in a row failed since "
                                         f"{endpoint.failing_since.isoformat(timespec='seconds')}; last: {o.error}")


#: monotonic time of this process's last prune of settled events
_last_prune = {"at": None}
PRUNE_EVERY_SECONDS = 3600


def run_delivery_job(app: Flask) -> None:
    """The scheduler's job: deliver what is due (every few seconds, and at once after a commit); once an
    hour, drop settled events older than ``HUB_WEBHOOK_RETENTION_DAYS``."""
    from hub.webhooks.deliveries import prune

    with app.app_context():
        try:
            report = deliver_due()
            if report.attempted:
                log.info("webhooks: %d attempted, %d delivered, %d failed", report.attempted, report.succeeded,
                         report.failed)
            if _last_prune["at"] is None or time.monotonic() - _last_prune["at"] > PRUNE_EVERY_SECONDS:
                _last_prune["at"] = time.monotonic()
                pruned = prune(int(app.config.get("HUB_WEBHOOK_RETENTION_DAYS", 30)))
                if pruned:
                    log.info("webhooks: %d settled events past their retention removed", pruned)
        except Exception:
            log.exception("the webhook delivery job crashed")
        finally:
            db.session.remove()
