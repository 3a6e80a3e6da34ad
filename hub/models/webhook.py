"""Outbound webhooks: endpoints, the outbox of events, one delivery per event and endpoint, and its attempts.

Events and their deliveries are written in the transaction of the change that causes them (the
transactional outbox); the delivery worker sends them later and records every attempt.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.extensions import db
from hub.timeutil import utcnow


class EndpointState(str, enum.Enum):
    ACTIVE = "active"
    #: several attempts in a row failed; deliveries go on being retried
    FAILING = "failing"
    #: switched off, by an admin or because deliveries failed for the whole retry window (``disabled_reason``)
    DISABLED = "disabled"


class WebhookDeliveryStatus(str, enum.Enum):
    PENDING = "pending"          # waiting for its next attempt (``next_attempt_at``)
    DELIVERING = "delivering"    # claimed by a worker until ``claimed_until``
    SUCCEEDED = "succeeded"
    FAILED = "failed"            # every attempt of the retry schedule failed


class WebhookEndpoint(db.Model):
    """A URL an admin registered, the event types it wants, and its signing secret (encrypted)."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str | None] = mapped_column(String(200))
    #: event type names, or ["*"] for every event
    event_types: Mapped[list] = mapped_column(JSON, default=list)
    #: Fernet token of {"secret": "whsec_..."}; never shown back after registration or rotation
    secret_token: Mapped[str] = mapped_column(Text)
    #: the secret before the last rotation, still signed with until ``previous_secret_until``
    previous_secret_token: Mapped[str | None] = mapped_column(Text)
    previous_secret_until: Mapped[datetime | None]
    enabled: Mapped[bool] = mapped_column(default=True)
    state: Mapped[str] = mapped_column(String(20), default=EndpointState.ACTIVE.value)
    state_reason: Mapped[str | None] = mapped_column(Text)
    consecutive_failures: Mapped[int] = mapped_column(default=0)
    failing_since: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_failure_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def wants(self, event_type: str) -> bool:
        types = self.event_types or []
        return "*" in types or event_type in types


class WebhookEvent(db.Model):
    """One event in the outbox. ``msg_id`` is the ``webhook-id`` every delivery and retry of it carries."""

    __tablename__ = "webhook_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    msg_id: Mapped[str] = mapped_column(String(40), unique=True)
    type: Mapped[str] = mapped_column(String(60), index=True)
    #: the event's ``data`` object (ids and a compact snapshot, never secrets)
    data: Mapped[dict] = mapped_column(JSON)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookDelivery(db.Model):
    """One event to one endpoint, retried on the schedule until it succeeds or the schedule runs out."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        # the worker's claim: due deliveries, oldest first
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_endpoint", "endpoint_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("webhook_events.id", ondelete="CASCADE"), index=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20), default=WebhookDeliveryStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(60))
    claimed_until: Mapped[datetime | None]
    last_attempt_at: Mapped[datetime | None]
    last_response_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    delivered_at: Mapped[datetime | None]
    #: a person's "resend" makes a new delivery of the same event (same webhook-id)
    resend_of: Mapped[int | None] = mapped_column(ForeignKey("webhook_deliveries.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    event = relationship("WebhookEvent")
    endpoint = relationship("WebhookEndpoint")


class WebhookAttempt(db.Model):
    """One HTTP attempt of a delivery: the per-endpoint delivery log. Only a short excerpt of the answer."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (Index("ix_webhook_attempts_endpoint", "endpoint_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    attempt: Mapped[int]
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow)
    succeeded: Mapped[bool] = mapped_column(default=False)
    response_code: Mapped[int | None]
    duration_ms: Mapped[int] = mapped_column(default=0)
    response_excerpt: Mapped[str | None] = mapped_column(String(500))
    error: Mapped[str | None] = mapped_column(String(500))

    delivery = relationship("WebhookDelivery")
