"""A database lease so that at most one sync of an integration runs at a time, across processes."""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from datetime import timedelta

from sqlalchemy.exc import IntegrityError

from hub.extensions import db
from hub.models import SyncLease
from hub.timeutil import utcnow

log = logging.getLogger("hub.sync")


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


class KeepAlive:
    """Renews a held lease every ``ttl/3`` seconds from a background thread, so a long sync (thousands
    of customers behind a strict rate limit) is never taken over while it is still working.

    It writes on its own connection: the sync's session may be inside a long transaction.
    """

    def __init__(self, engine, integration_id: int, holder: str, ttl_seconds: int) -> None:
        self.engine, self.integration_id, self.holder, self.ttl = engine, integration_id, holder, ttl_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease-{integration_id}", daemon=True)

    def __enter__(self) -> "KeepAlive":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def renew(self) -> bool:
        """Push the expiry out; False when this holder no longer has the lease."""
        table = SyncLease.__table__
        with self.engine.begin() as conn:
            return bool(conn.execute(
                table.update()
                .where(table.c.integration_id == self.integration_id, table.c.holder == self.holder)
                .values(expires_at=utcnow() + timedelta(seconds=self.ttl))
            ).rowcount)

    def _run(self) -> None:
        while not self._stop.wait(max(1.0, self.ttl / 3)):
            try:
                if not self.renew():
                    log.warning("sync lease of integration %s was lost", self.integration_id)
                    return
            except Exception:  # a busy database: try again at the next beat
                log.warning("could not renew the sync lease of integration %s", self.integration_id,
                            exc_info=True)


def still_held(integration_id: int, holder: str) -> bool:
    return db.session.execute(
        db.select(SyncLease.holder).where(SyncLease.integration_id == integration_id)
    ).scalar_one_or_none() == holder
