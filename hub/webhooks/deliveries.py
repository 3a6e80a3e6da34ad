"""The delivery log: deliveries and their attempts per endpoint, "resend" for one delivery, and pruning."""

from __future__ import annotations

from datetime import timedelta

from hub.audit import Actor, record
from hub.extensions import db
from hub.models import WebhookDeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEvent
from hub.timeutil import utcnow
from hub.webhooks.endpoints import WebhookError, existing
from hub.webhooks.outbox import WAKE_KEY

MAX_LIMIT = 500


def list_deliveries(*, endpoint_id: int | None = None, status: str | None = None, limit: int = 50,
                    offset: int = 0) -> list[tuple[WebhookDelivery, WebhookEvent]]:
    """Newest first, each with its event."""
    query = (db.select(WebhookDelivery, WebhookEvent).join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
             .order_by(WebhookDelivery.id.desc()))
    if endpoint_id is not None:
        query = query.where(WebhookDelivery.endpoint_id == endpoint_id)
    if status:
        if status not in {s.value for s in WebhookDeliveryStatus}:
            raise WebhookError(f"status must be one of {', '.join(s.value for s in WebhookDeliveryStatus)}", "status")
        query = query.where(WebhookDelivery.status == status)
    limit = max(1, min(int(limit), MAX_LIMIT))
    return [tuple(r) for r in db.session.execute(query.limit(limit).offset(max(0, int(offset)))).all()]


def count_deliveries(endpoint_id: int) -> int:
    return db.session.execute(db.select(db.func.count(WebhookDelivery.id))
                              .where(WebhookDelivery.endpoint_id == endpoint_id)).scalar_one()


def attempts_of(delivery_ids) -> dict[int, list[WebhookAttempt]]:
    """Every attempt of these deliveries, oldest first (one query)."""
    out: dict[int, list[WebhookAttempt]] = {}
    ids = list(delivery_ids)
    if ids:
        for attempt in db.session.execute(db.select(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(ids))
                                          .order_by(WebhookAttempt.id)).scalars():
            out.setdefault(attempt.delivery_id, []).append(attempt)
    return out


def resend(delivery_id, actor: Actor) -> WebhookDelivery:
    """Send one delivery's event again, now, as a new delivery with the same ``webhook-id``. Commits."""
    original = existing(WebhookDelivery, delivery_id, "delivery_id", "webhook delivery")
    if not original.endpoint.enabled:
        raise WebhookError(f"endpoint {original.endpoint_id} is disabled; enable it first", "delivery_id")
    now = utcnow()
    again = WebhookDelivery(event_id=original.event_id, endpoint_id=original.endpoint_id,
                            status=WebhookDeliveryStatus.PENDING.value, attempts=0, next_attempt_at=now, created_at=now,
                            resend_of=original.id)
    db.session.add(again)
    db.session.flush()
    record(actor, "webhook.resend", "webhook_delivery", original.id, field="delivery", new=again.id,
           details={"endpoint_id": original.endpoint_id, "event": original.event.msg_id})
    db.session.info[WAKE_KEY] = True
    db.session.commit()
    return again


def prune(older_than_days: int, now=None) -> int:
    """Delete events older than ``older_than_days`` whose deliveries are all settled (succeeded or failed),
    with their deliveries and attempts. Returns how many events went. Commits."""
    cutoff = (now or utcnow()) - timedelta(days=older_than_days)
    unsettled = db.select(WebhookDelivery.event_id).where(
        WebhookDelivery.status.in_([WebhookDeliveryStatus.PENDING.value, WebhookDeliveryStatus.DELIVERING.value]))
    ids = db.session.execute(db.select(WebhookEvent.id).where(
        WebhookEvent.occurred_at < cutoff, WebhookEvent.id.not_in(unsettled)).limit(10_000)).scalars().all()
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        deliveries = db.select(WebhookDelivery.id).where(WebhookDelivery.event_id.in_(chunk))
        # explicit, so SQLite (no enforced ON DELETE CASCADE) ends like PostgreSQL
        db.session.execute(db.delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(deliveries)))
        db.session.execute(db.delete(WebhookDelivery).where(WebhookDelivery.event_id.in_(chunk)))
        db.session.execute(db.delete(WebhookEvent).where(WebhookEvent.id.in_(chunk)))
    db.session.commit()
    return len(ids)

