"""The event types the hub sends, named ``noun.verb``, each with what causes it (shown in the panel and docs)."""

from __future__ import annotations

from hub.inputs import shown

EVENT_TYPES: dict[str, str] = {
    "sync.succeeded": "a sync applied the vendor's data (one event per run, with counts)",
    "sync.failed": "a sync failed; nothing was applied",
    "sync.needs_review": "a sync would detach too many customers and waits for an admin",
    "vendor_customer.detached": "a vendor customer is no longer listed by its vendor",
    "vendor_customer.reattached": "a detached vendor customer is listed again",
    "mapping.changed": "a vendor customer was mapped, remapped or unmapped",
    "quantity.changed": "a vendor line's billed quantity followed the counts",
    "quantity.held": "a quantity change is held for approval",
    "pending_change.approved": "a held quantity change was approved and applied",
    "pending_change.rejected": "a held quantity change was rejected",
    "invoice.issued": "an invoice was issued (by the invoice run or by a person)",
    "invoice.voided": "an invoice was voided",
    "invoice.paid": "an invoice pushed to an accounting destination is fully paid there (read back by the hub)",
    "integration.needs_reauth": "a vendor refused the stored credentials; syncs pause until they are re-entered",
}

ALL = "*"


def parse_event_types(raw) -> list[str]:
    """A list of known event types (or ``["*"]``) from a comma-separated string or a list.

    Raises ValueError naming the unknown ones.
    """
    items = raw.split(",") if isinstance(raw, str) else list(raw or ())
    wanted = list(dict.fromkeys(str(i).strip() for i in items if str(i).strip()))
    if not wanted:
        raise ValueError("choose at least one event type (or * for every event)")
    if ALL in wanted:
        return [ALL]
    unknown = [t for t in wanted if t not in EVENT_TYPES]
    if unknown:
        raise ValueError(f"unknown event type(s): {shown(', '.join(unknown))}; known: {', '.join(EVENT_TYPES)}")
    return wanted
