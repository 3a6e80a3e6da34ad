"""The public API's own tables: bearer tokens (stored as hashes only), Idempotency-Key records and
the per-token rate-limit windows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Double, ForeignKey, Integer, JSON, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.extensions import db
from hub.timeutil import utcnow


class ApiToken(db.Model):
    """A bearer token for ``/api/v1``. Only the SHA-256 of the token is kept; it is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    #: the panel's roles: admin, billing, viewer
    role: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: the first characters of the token, so a person can tell tokens apart ("hub_Ab3x")
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


class IdempotencyRecord(db.Model):
    """The first answer to a creating POST sent with an ``Idempotency-Key``, replayed on a retry."""

    __tablename__ = "api_idempotency_records"
    __table_args__ = (UniqueConstraint("token_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    #: method, path and body, hashed: the same key with another request is refused
    request_hash: Mapped[str] = mapped_column(String(64))
    #: null while the first request is still being answered
    status_code: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[str | None] = mapped_column(Text)
    response_headers: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class ApiRateWindow(db.Model):
    """A token's current rate-limit window, shared by every web worker (one row per token)."""

    __tablename__ = "api_rate_windows"

    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id", ondelete="CASCADE"), primary_key=True)
    #: when the window began, in seconds since the epoch (every worker reads the same clock)
    window_start: Mapped[float] = mapped_column(Double)
    used: Mapped[int] = mapped_column(Integer)
