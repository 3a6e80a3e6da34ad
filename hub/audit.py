"""Writes audit events. Every change of a mapping, a count or a billed quantity goes through here."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from hub.bulk import insert_rows
from hub.extensions import db
from hub.models import AuditEvent
from hub.plaintext import bounded
from hub.timeutil import utcnow

FIELD_LENGTH = AuditEvent.__table__.c.field.type.length


@dataclass(frozen=True)
class Actor:
    """Who made a change: a user, a sync run, the CLI or the hub itself."""

    type: str
    label: str
    user_id: int | None = None
    sync_run_id: int | None = None

    @classmethod
    def user(cls, user) -> "Actor":
        return cls("user", user.email, user_id=user.id)

    @classmethod
    def sync(cls, run) -> "Actor":
        return cls("sync", f"sync run {run.id}", sync_run_id=run.id)

    @classmethod
    def token(cls, token) -> "Actor":
        """A request to the public API made with an API token."""
        return cls("api", f"API token {token.id} ({token.name})")

    @classmethod
    def cli(cls, who: str = "cli") -> "Actor":
        return cls("cli", who)

    @classmethod
    def system(cls, what: str = "system") -> "Actor":
        return cls("system", what)


def _text(value: Any) -> str | None:
    if isinstance(value, Decimal) and value.is_finite():
        # "5" whether it came from the vendor (5) or the database (5.0000 on every backend)
        return format(value.normalize(), "f")
    return None if value is None else str(value)


def _label(field: str | None) -> str | None:
    """A field's name fits its column (a vendor's SKU is 200 characters at most, the column 60)."""
    return None if field is None else bounded(field, FIELD_LENGTH)


def audit_event(actor: Actor, action: str, entity_type: str, entity_id: Any = None, *, field: str | None = None,
                old: Any = None, new: Any = None, integration_id: int | None = None,
                details: dict | None = None, at=None) -> dict:
    """The row for one audit event, as a dict (for bulk inserts)."""
    return dict(
        occurred_at=at or utcnow(), actor_type=actor.type, actor=actor.label, user_id=actor.user_id,
        sync_run_id=actor.sync_run_id, integration_id=integration_id, action=action, entity_type=entity_type,
        entity_id=_text(entity_id), field=_label(field), old_value=_text(old), new_value=_text(new), details=details,
    )


def record(actor: Actor, action: str, entity_type: str, entity_id: Any = None, **kwargs: Any) -> AuditEvent:
    event = AuditEvent(**audit_event(actor, action, entity_type, entity_id, **kwargs))
    db.session.add(event)
    return event


def record_many(rows: list[dict]) -> None:
    """Bulk insert of rows made by ``audit_event`` (a sync may write thousands)."""
    insert_rows(AuditEvent.__table__, rows)  # Core: the ORM's bulk path costs more per row
