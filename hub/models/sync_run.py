from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.extensions import db
from hub.timeutil import utcnow


class SyncStatus(str, enum.Enum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    #: the listing would detach too many customers; nothing applied until an admin decides
    NEEDS_REVIEW = "needs_review"
    #: an admin confirmed a needs-review run and its changes were applied
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"


class SyncRun(db.Model):
    """One sync of one vendor integration: when, how it ended, what it changed."""

    __tablename__ = "sync_runs"
    __table_args__ = (Index("ix_sync_runs_integration_started", "integration_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("vendor_integrations.id", ondelete="CASCADE"))
    #: schedule, manual (panel), cli, review
    trigger: Mapped[str] = mapped_column(String(20), default="manual")
    triggered_by: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default=SyncStatus.RUNNING.value)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    customers_seen: Mapped[int] = mapped_column(default=0)
    customers_added: Mapped[int] = mapped_column(default=0)
    customers_updated: Mapped[int] = mapped_column(default=0)
    customers_detached: Mapped[int] = mapped_column(default=0)
    customers_reattached: Mapped[int] = mapped_column(default=0)
    counts_changed: Mapped[int] = mapped_column(default=0)
    count_failures: Mapped[int] = mapped_column(default=0)
    error_kind: Mapped[str | None] = mapped_column(String(40))
    error_message: Mapped[str | None] = mapped_column(Text)
    #: for needs_review: what would be detached, so an admin can decide
    review: Mapped[dict | None] = mapped_column(JSON)
    reviewed_by: Mapped[str | None] = mapped_column(String(200))
    reviewed_at: Mapped[datetime | None]

    integration = relationship("VendorIntegration")

    @property
    def duration_seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class SyncLease(db.Model):
    """At most one sync per integration at a time, across processes.

    A row exists while a run holds the lease; acquiring is one INSERT (the primary key makes a second
    one fail) or a conditional UPDATE of an expired lease, which behaves the same on SQLite and
    PostgreSQL.
    """

    __tablename__ = "sync_leases"

    integration_id: Mapped[int] = mapped_column(ForeignKey("vendor_integrations.id", ondelete="CASCADE"),
                                                primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    acquired_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
