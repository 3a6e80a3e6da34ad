"""Emitting events: rows in the outbox, written in the transaction of the change that causes them.

``emit`` never commits. A rolled-back change takes its events with it; a committed one always has
them, and the delivery worker is woken just after the commit (``after_commit``) so the first attempt
follows within moments. One call queues any number of events with two bulk inserts (events, then
one delivery per event and subscribed endpoint), never a statement per item; with no subscribed
endpoint it writes nothing at all.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, Iterable, Mapping

from hub.extensions import db
from hub.models import WebhookDeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent
from hub.timeutil import utcnow
from hub.webhooks.catalog import ALL, EVENT_TYPES

EVENTS = WebhookEvent.__table__
DELIVERIES = WebhookDelivery.__table__
#: session.info key: this transaction queued deliveries, wake the worker after commit
WAKE_KEY = "hub.webhooks.wake"
CHUNK = 1000


def new_msg_id() -> str:
    return "msg_" + uuid.uuid4().hex


def jsonable(value: Any) -> Any:
    """Event data as plain JSON: Decimals as exact strings, times as ISO 8601 UTC."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value.is_finite() else str(value)
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds") + ("Z" if value.tzinfo is None else "")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def subscribers(event_type: str) -> list[int]:
    """Ids of the enabled endpoints that want ``event_type`` (one small query)."""
    rows = db.session.execute(
        db.select(WebhookEndpoint.id, WebhookEndpoint.event_types).where(WebhookEndpoint.enabled.is_(True))).all()
    return [endpoint_id for endpoint_id, types in rows if ALL in (types or ()) or event_type in (types or ())]


def emit(event_type: str, items: Mapping | Iterable[Mapping]) -> int:
    """Queue one ``event_type`` event per item (its ``data``). Returns how many events were written."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event type {event_type!r}")
    items = [items] if isinstance(items, Mapping) else list(items)
    if not items:
        return 0
    # the outbox tables depend on nothing the caller has pending: its changes flush with its commit
    with db.session.no_autoflush:
        return _write(event_type, items)


def _write(event_type: str, items: list[Mapping]) -> int:
    endpoint_ids = subscribers(event_type)
    if not endpoint_ids:
        return 0
    now = utcnow()
    for start in range(0, len(items), CHUNK):
        rows = [dict(msg_id=new_msg_id(), type=event_type, data=jsonable(item), occurred_at=now)
                for item in items[start:start + CHUNK]]
        ids = dict(db.session.execute(db.insert(EVENTS).returning(EVENTS.c.msg_id, EVENTS.c.id), rows).all())
        db.session.execute(db.insert(DELIVERIES), [
            dict(event_id=ids[row["msg_id"]], endpoint_id=endpoint_id, status=WebhookDeliveryStatus.PENDING.value,
                 attempts=0, next_attempt_at=now, created_at=now)
            for row in rows for endpoint_id in endpoint_ids])
    db.session.info[WAKE_KEY] = True
    return len(items)


def envelope(event_type: str, occurred_at: datetime, data: dict) -> dict:
    """The JSON body of an event, as the Standard Webhooks specification shapes it."""
    return {"type": event_type, "timestamp": jsonable(occurred_at), "data": data}
