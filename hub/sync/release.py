"""Releasing a sync lease whose holder is gone, and closing the runs such a holder left "running".

A killed process cannot release its lease. The lease is short (``HUB_SYNC_LEASE_SECONDS``, a minute)
so the next sync takes it over soon by itself; an admin who does not want to wait releases it here
(panel, ``hub sync release SLUG``). Releasing a live holder's lease is still safe: that run finds its
lease gone before it applies and applies nothing. A holder known to be alive on this machine is refused.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime

from hub import integrations
from hub.audit import Actor, record
from hub.extensions import db
from hub.models import IntegrationState, SyncLease, SyncRun, SyncStatus, VendorIntegration
from hub.sync.lease import holder_of
from hub.timeutil import utcnow


class LeaseHeld(Exception):
    """The lease's holder is a live process on this machine: its sync is still working."""


@dataclass(frozen=True)
class Released:
    holder: str | None
    acquired_at: datetime | None
    runs_closed: list[int]


def close_interrupted_runs(integration: VendorIntegration, why: str) -> list[int]:
    """Mark the integration's runs still 'running' as failed (interrupted); returns their ids."""
    ids = list(db.session.execute(db.select(SyncRun.id).where(
        SyncRun.integration_id == integration.id, SyncRun.status == SyncStatus.RUNNING.value)).scalars())
    if ids:
        db.session.execute(
            db.update(SyncRun).where(SyncRun.id.in_(ids), SyncRun.status == SyncStatus.RUNNING.value)
            .values(status=SyncStatus.FAILED.value, finished_at=utcnow(), error_kind="interrupted",
                    error_message=why))
    return ids


def alive_here(holder: str) -> bool:
    """True when ``holder`` (``host:pid:token``) names a process running on this machine."""
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it exists
        return True
    return True


def is_stuck(integration: VendorIntegration) -> bool:
    """Something a release would clear: a lease, a run left running, or the state left 'syncing'."""
    return (integration.state == IntegrationState.SYNCING.value or holder_of(integration.id) is not None
            or db.session.execute(db.select(SyncRun.id).filter_by(
                integration_id=integration.id, status=SyncStatus.RUNNING.value).limit(1)).first() is not None)


def release_lease(slug: str, actor: Actor) -> Released | None:
    """Release ``slug``'s lease (if its holder is not alive here), close its running runs and leave the
    integration ready. Audited. None when there was nothing to release. Raises LeaseHeld or LookupError."""
    integration = integrations.get_integration(slug)
    if integration is None:
        raise LookupError(f"{slug} is not configured")
    if not is_stuck(integration):
        return None
    lease = holder_of(integration.id)
    holder, acquired_at = (lease.holder, lease.acquired_at) if lease else (None, None)
    if lease is not None and lease.expires_at > utcnow() and alive_here(lease.holder):
        raise LeaseHeld(f"a sync of {slug} is still running here (process {lease.holder.split(':')[1]}); "
                        f"its lease is renewed while it works")
    if lease is not None:
        # only the holder we looked at: a sync that started meanwhile keeps its new lease
        db.session.execute(db.delete(SyncLease).where(SyncLease.integration_id == integration.id,
                                                      SyncLease.holder == holder))
    closed = close_interrupted_runs(integration, f"the sync was interrupted; its lease was released by {actor.label}")
    if integration.state == IntegrationState.SYNCING.value:
        integration.state = (IntegrationState.READY.value if integration.enabled
                             else IntegrationState.DISABLED.value)
    record(actor, "sync.release_lease", "integration", integration.id, integration_id=integration.id,
           old=holder, details={"holder": holder, "runs_closed": closed,
                                "acquired_at": acquired_at.isoformat(timespec="seconds") if acquired_at else None})
    db.session.commit()
    return Released(holder, acquired_at, closed)
