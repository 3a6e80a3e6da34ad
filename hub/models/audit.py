from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hub.extensions import db
from hub.timeutil import utcnow


class AuditEvent(db.Model):
    """Who (a user, a sync run, the CLI) changed what, from which value to which, and when."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_entity", "entity_type", "entity_id"),
        Index("ix_audit_events_occurred_at", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: user, sync, cli, system
    actor_type: Mapped[str] = mapped_column(String(20))
    #: the user's e-mail, "sync run 12", "cli"
    actor: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    sync_run_id: Mapped[int | None] = mapped_column(ForeignKey("sync_runs.id"), index=True)
    integration_id: Mapped[int | None] = mapped_column(ForeignKey("vendor_integrations.id", ondelete="SET NULL"))
    #: dotted verb, e.g. "mapping.map", "customer.detach", "count.change", "integration.configure"
    action: Mapped[str] = mapped_column(String(60))
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str | None] = mapped_column(String(60))
    field: Mapped[str | None] = mapped_column(String(60))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict | None] = mapped_column(JSON)
