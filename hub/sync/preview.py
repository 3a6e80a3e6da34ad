"""What a sync would do, without doing it: read the vendor, plan, write nothing.

The CSV import shows it before an upload applies; ``hub sync --dry-run`` shows it for any vendor. It
reads and plans exactly as a run does (the same engine functions), so what it shows is what a run
applies against the same data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from hub import integrations
from hub.plugins import VendorError
from hub.sync.apply import known_customers, load_current_counts
from hub.sync.engine import SyncNotPossible, _read_vendor
from hub.sync.reconcile import CustomerPlan, plan_counts, plan_customers


class CountPreview(NamedTuple):
    """One count a sync would write. A tuple: a first import previews one per row of the file."""

    external_id: str
    name: str
    sku: str
    old: Decimal | None
    new: Decimal


@dataclass
class SyncPreview:
    slug: str
    #: the vendor or file could not be read: nothing would apply (its message names the problem)
    error: VendorError | None = None
    complete: bool = True
    plan: CustomerPlan = field(default_factory=CustomerPlan)
    counts: list[CountPreview] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)
    needs_review: bool = False
    customers_listed: int = 0


def preview_sync(slug: str, raw_overrides: dict[str, Any] | None = None,
                 session_options: dict | None = None) -> SyncPreview:
    """Plan a sync of ``slug`` with its stored settings (``raw_overrides`` on top) and apply nothing."""
    integration = integrations.get_integration(slug)
    if integration is None:
        raise SyncNotPossible(f"{slug} is not configured")
    handle = integrations.handle_for(slug)
    preview = SyncPreview(slug)
    try:
        raw = {**integrations.stored_config(integration), **(raw_overrides or {})}
        snapshot, _, _ = _read_vendor(integration, session_options or {}, handle.load_config(raw))
    except VendorError as err:
        preview.error = err
        return preview
    known = known_customers(integration.id)
    plan = plan_customers(known, snapshot.customers, detach_missing=snapshot.complete)
    id_by_external = {k.external_id: k.id for k in known}
    names = {c.external_id: c.name for c in snapshot.customers}
    current = load_current_counts(integration.id)
    answered = {id_by_external[c.external_id] for c in snapshot.customers
                if c.external_id in id_by_external and c.external_id not in snapshot.failures}
    reported = {(id_by_external[e], sku): q for (e, sku), q in snapshot.counts.items() if e in id_by_external}
    external_of = {v: k for k, v in id_by_external.items()}
    preview.counts = [CountPreview(external_of[c.customer_id], names.get(external_of[c.customer_id], ""), c.sku,
                                   c.old, c.new) for c in plan_counts(current, reported, answered)]
    preview.counts += [CountPreview(e, names[e], sku, None, q) for (e, sku), q in sorted(snapshot.counts.items())
                       if e not in id_by_external]
    preview.plan, preview.complete, preview.failures = plan, snapshot.complete, snapshot.failures
    preview.needs_review = plan.needs_review(integration.detach_threshold_pct)
    preview.customers_listed = len(snapshot.customers)
    return preview


__all__ = ["CountPreview", "SyncPreview", "preview_sync"]
