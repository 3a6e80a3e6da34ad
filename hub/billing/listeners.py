"""Billing listens to the hub: after a sync and after a mapping change, vendor lines follow the counts.

Both run inside the sender's transaction. A sync's changes are all written when ``sync_applied``
is sent, so its lines are recalculated at once. A mapping change is recalculated just before its
transaction commits (``before_commit``): by then the mapping service has finished every write of
the change (``unmap_customer`` sends the signal before it clears or deletes the row), and several
mapping changes in one transaction cost one recalculation.
"""

from __future__ import annotations

import logging

from flask_sqlalchemy.session import Session
from sqlalchemy import event

from hub import events
from hub.billing.quantities import Trigger, recalculate_for_customers, recalculate_lines, vendor_lines_of

log = logging.getLogger("hub.billing")

#: session.info key: {(integration id, actor): {organization ids}} waiting for the commit
PENDING_KEY = "hub.billing.mapping_recalc"


def on_sync_applied(sender, run=None, changed_customer_ids=(), **_kw) -> None:
    if run is None or not changed_customer_ids:
        return
    from hub.audit import Actor

    result = recalculate_for_customers(run.integration_id, changed_customer_ids,
                                       Trigger("sync", Actor.sync(run), sync_run_id=run.id))
    if result.applied or result.held:
        log.info("sync run %s: %d billed quantities applied, %d held for approval", run.id,
                 len(result.applied), len(result.held))


def on_mapping_changed(sender, customer_id=None, old_organization_id=None, new_organization_id=None, actor=None,
                       **_kw) -> None:
    from hub.extensions import db

    organizations = {o for o in (old_organization_id, new_organization_id) if o is not None}
    if not organizations or actor is None:
        return
    work = db.session.info.setdefault(PENDING_KEY, {})
    work.setdefault((sender.integration_id, actor), set()).update(organizations)


def _recalculate_before_commit(session) -> None:
    work = session.info.pop(PENDING_KEY, None)
    for (integration_id, actor), organizations in (work or {}).items():
        recalculate_lines(vendor_lines_of(integration_id, organization_ids=organizations),
                          Trigger("mapping", actor))


def _forget(session, *_args) -> None:
    session.info.pop(PENDING_KEY, None)


def connect() -> None:
    """Idempotent: blinker and SQLAlchemy ignore a second identical registration."""
    events.sync_applied.connect(on_sync_applied)
    events.mapping_changed.connect(on_mapping_changed)
    if not event.contains(Session, "before_commit", _recalculate_before_commit):
        event.listen(Session, "before_commit", _recalculate_before_commit)
        event.listen(Session, "after_rollback", _forget)
