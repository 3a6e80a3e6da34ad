"""What each event says: the ``data`` of every event type, built where the change happens.

The services call these inside their own transaction (sync engine, mapping signal, billing), so
an event commits or rolls back with its cause. Data carries ids and a compact snapshot, never secrets.
Each function makes at most one ``emit`` call for any number of items.
"""

from __future__ import annotations

from hub.extensions import db
from hub.models import SyncRun, VendorCustomer, VendorIntegration
from hub.webhooks.outbox import emit


def _run(run: SyncRun, integration: VendorIntegration) -> dict:
    return {"sync_run_id": run.id, "integration": integration.slug, "trigger": run.trigger,
            "started_at": run.started_at, "finished_at": run.finished_at}


def sync_succeeded(run: SyncRun, integration: VendorIntegration) -> None:
    """One event per run, however many customers it touched."""
    emit("sync.succeeded", {**_run(run, integration), "counts": {
        "customers_seen": run.customers_seen, "customers_added": run.customers_added,
        "customers_updated": run.customers_updated, "customers_detached": run.customers_detached,
        "customers_reattached": run.customers_reattached, "counts_changed": run.counts_changed,
        "count_failures": run.count_failures}})


def sync_needs_review(run: SyncRun, integration: VendorIntegration) -> None:
    review = run.review or {}
    emit("sync.needs_review", {**_run(run, integration), "message": run.error_message,
                               "would_detach": review.get("would_detach"),
                               "active_before": review.get("active_before"),
                               "share_pct": review.get("share_pct"), "threshold_pct": review.get("threshold_pct")})


def sync_failed(run: SyncRun, integration: VendorIntegration, reauth_needed: bool) -> None:
    """``sync.failed``, and ``integration.needs_reauth`` when the vendor just refused the credentials."""
    emit("sync.failed", {**_run(run, integration), "error_kind": run.error_kind, "message": run.error_message,
                         "integration_state": integration.state})
    if reauth_needed:
        emit("integration.needs_reauth", {"integration": integration.slug, "sync_run_id": run.id,
                                          "message": run.error_message})


def customers_changed(event_type: str, run: SyncRun, integration: VendorIntegration, customers) -> None:
    """``vendor_customer.detached`` / ``.reattached``: one event per customer (``KnownCustomer`` items),
    written in one statement per 1,000; their Organizations read in a query per 500."""
    if not customers:
        return
    ids = [c.id for c in customers]
    organizations: dict[int, int | None] = {}
    for start in range(0, len(ids), 500):
        organizations.update(db.session.execute(
            db.select(VendorCustomer.id, VendorCustomer.organization_id)
            .where(VendorCustomer.id.in_(ids[start:start + 500]))).all())
    emit(event_type, [{"vendor_customer_id": c.id, "external_id": c.external_id, "name": c.name,
                       "integration": integration.slug, "organization_id": organizations.get(c.id),
                       "sync_run_id": run.id} for c in customers])


def on_mapping_changed(sender, customer_id=None, old_organization_id=None, new_organization_id=None, actor=None,
                       **_kw) -> None:
    """``mapping.changed``, from the mapping signal (sent inside the mapping's transaction)."""
    customer = sender if isinstance(sender, VendorCustomer) else db.session.get(VendorCustomer, customer_id)
    emit("mapping.changed", {
        "vendor_customer_id": customer_id, "external_id": customer.external_id if customer else None,
        "name": customer.name if customer else None,
        "integration": customer.integration.slug if customer else None,
        "old_organization_id": old_organization_id, "new_organization_id": new_organization_id,
        "detached": bool(customer and customer.detached_at is not None),
        "actor": actor.label if actor else None})


def quantity_changes(changes: list[dict]) -> None:
    """``quantity.changed`` (applied) and ``quantity.held`` (waiting for approval), one per line."""
    for status, event_type in (("applied", "quantity.changed"), ("pending", "quantity.held")):
        emit(event_type, [{k: c.get(k) for k in (
            "change_id", "line_id", "recurring_invoice_id", "organization_id", "integration_id", "product_id",
            "old_quantity", "new_quantity", "reasons", "cause", "sync_run_id")} for c in changes
            if c["status"] == status])


def pending_decided(changes: list[dict], approved: bool) -> None:
    emit("pending_change.approved" if approved else "pending_change.rejected", changes)


def invoices_issued(invoices: list[dict]) -> None:
    emit("invoice.issued", invoices)


def invoice_voided(invoice: dict) -> None:
    emit("invoice.voided", invoice)
