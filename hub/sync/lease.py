"""A database lease so that at most one sync of an integration runs at a time, across processes."""

from __future__ import annotations

import os
import socket
import uuid
from datetime import timedelta

from sqlalchemy.exc import IntegrityError

from hub.extensions import db
from hub.models import SyncLease
from hub.timeutil import utcnow


def new_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def acquire(integration_id: int, holder: str, ttl_seconds: int) -> bool:
    """Take the lease, or take over an expired one. Commits; True when this holder has it."""
    now = utcnow()
    expires = now + timedelta(seconds=ttl_seconds)
    taken_over = db.session.execute(
        db.update(SyncLease)
        .where(SyncLease.integration_id == integration_id, SyncLease.expires_at < now)
        .values(holder=holder, acquired_at=now, expires_at=expires)
    ).rowcount
    if taken_over:
        db.session.commit()
        return True
    try:
        db.session.execute(db.insert(SyncLease).values(integration_id=integration_id, holder=holder,
                                                       acquired_at=now, expires_at=expires))
        db.session.commit()
        return True
    except IntegrityError:
        db.session.rollback()
        return False


def release(integration_id: int, holder: str) -> None:
    db.session.execute(db.delete(SyncLease).where(SyncLease.integration_id == integration_id,
                                                   SyncLease.holder == holder))
    db.session.commit()


def holder_of(integration_id: int) -> SyncLease | None:
    return db.session.get(SyncLease, integration_id)
