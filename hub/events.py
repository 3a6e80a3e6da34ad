"""Signals between the hub's parts, so sync and mapping need not know who listens (billing does).

Receivers run inside the sender's database transaction: what they write commits or rolls back
with the change that caused it.
"""

from blinker import Namespace

_signals = Namespace()

#: sent after a sync applied its changes, before commit.
#: kwargs: run (SyncRun), changed_customer_ids (set[int]): customers whose counts or status changed
sync_applied = _signals.signal("sync-applied")

#: sent after a vendor customer was mapped, unmapped or removed, before commit.
#: kwargs: customer_id (int), old_organization_id, new_organization_id, actor (hub.audit.Actor)
mapping_changed = _signals.signal("mapping-changed")


def init_app(app) -> None:
    """Nothing to bind per app yet; kept so create_app reads as a list of parts."""
