"""The approvals queue: held quantity changes that a billing user approves or rejects, one by one or in bulk.

Approving applies the held quantity to the line; rejecting keeps the line's quantity, and the same
change is not asked again until the counts move elsewhere. Both are audited with the decider.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from hub.audit import Actor, audit_event, record_many
from hub.billing import validate
from hub.billing.errors import BillingError
from hub.billing.quantities import set_line_quantities
from hub.extensions import db
from hub.models import (
    ChangeStatus,
    Organization,
    Product,
    QuantityChange,
    RecurringInvoice,
    RecurringLine,
    VendorIntegration,
)
from hub.timeutil import utcnow
from hub.webhooks import emitters


@dataclass(frozen=True)
class PendingView:
    """A held change as the approvals page shows it: before, after, why, and the evidence."""

    change: QuantityChange
    line_id: int
    recurring_invoice_id: int
    organization_id: int
    organization: str
    vendor: str
    product_code: str
    product_name: str

    @property
    def difference(self) -> Decimal:
        return Decimal(self.change.new_quantity) - Decimal(self.change.old_quantity)


def list_pending_changes(*, integration_id: int | None = None, organization_id: int | None = None,
                         limit: int | None = None) -> list[PendingView]:
    """Held changes, oldest first (one query)."""
    query = (db.select(QuantityChange, RecurringLine.recurring_invoice_id, Organization.id, Organization.name,
                       VendorIntegration.slug, Product.code, Product.name)
             .join(RecurringLine, RecurringLine.id == QuantityChange.line_id)
             .join(RecurringInvoice, RecurringInvoice.id == RecurringLine.recurring_invoice_id)
             .join(Organization, Organization.id == RecurringInvoice.organization_id)
             .join(VendorIntegration, VendorIntegration.id == RecurringLine.integration_id)
             .join(Product, Product.id == RecurringLine.product_id)
             .where(QuantityChange.status == ChangeStatus.PENDING.value)
             .order_by(QuantityChange.created_at, QuantityChange.id))
    if integration_id is not None:
        query = query.where(RecurringLine.integration_id == integration_id)
    if organization_id is not None:
        query = query.where(RecurringInvoice.organization_id == organization_id)
    if limit:
        query = query.limit(limit)
    return [PendingView(change, change.line_id, rid, oid, oname, slug, code, pname)
            for change, rid, oid, oname, slug, code, pname in db.session.execute(query).all()]


def count_pending_changes() -> int:
    return db.session.execute(db.select(db.func.count(QuantityChange.id))
                              .where(QuantityChange.status == ChangeStatus.PENDING.value)).scalar_one()


def approve_change(change_id: int, actor: Actor, note: str | None = None) -> QuantityChange:
    return decide_changes([change_id], True, actor, note)[0]


def reject_change(change_id: int, actor: Actor, note: str | None = None) -> QuantityChange:
    return decide_changes([change_id], False, actor, note)[0]


def approve_changes(change_ids, actor: Actor, note: str | None = None) -> list[QuantityChange]:
    return decide_changes(change_ids, True, actor, note)


def reject_changes(change_ids, actor: Actor, note: str | None = None) -> list[QuantityChange]:
    return decide_changes(change_ids, False, actor, note)


def decide_changes(change_ids, approve: bool, actor: Actor, note: str | None = None) -> list[QuantityChange]:
    """Approve or reject held changes, all or nothing: one that is not pending any more names
    ``change_ids`` in the error and nothing is changed. Commits."""
    ids = [validate.integer(i, "change_ids", minimum=1) for i in change_ids]
    if not ids:
        raise BillingError("choose at least one pending change", "change_ids")
    note = validate.text(note, "note", max_len=2000, required=False)
    changes = {c.id: c for c in db.session.execute(
        db.select(QuantityChange).where(QuantityChange.id.in_(ids))).scalars()}
    lines = {ln.id: ln for ln in db.session.execute(
        db.select(RecurringLine).where(RecurringLine.id.in_({c.line_id for c in changes.values()}))).scalars()}
    for change_id in ids:
        change = changes.get(change_id)
        if change is None:
            raise BillingError(f"change_ids: no quantity change with id {change_id}", "change_ids")
        if change.status != ChangeStatus.PENDING.value:
            raise BillingError(f"change {change_id} is {change.status}, not pending", "change_ids")
        if Decimal(lines[change.line_id].quantity) != Decimal(change.old_quantity):
            raise BillingError(f"the line of change {change_id} changed since it was held; review it again",
                               "change_ids")
    now = utcnow()
    status = (ChangeStatus.APPROVED if approve else ChangeStatus.REJECTED).value
    audits, quantities = [], []
    for change_id in dict.fromkeys(ids):
        change = changes[change_id]
        line = lines[change.line_id]
        change.status, change.decided_at, change.decided_by, change.decision_note = status, now, actor.label, note
        if approve:
            quantities.append({"_id": line.id, "_qty": change.new_quantity})
        audits.append(audit_event(
            actor, "billing.change_approved" if approve else "billing.change_rejected", "recurring_line", line.id,
            field="quantity", old=change.old_quantity, new=change.new_quantity if approve else change.old_quantity,
            integration_id=line.integration_id, at=now,
            details={"change_id": change.id, "reasons": change.reasons, "sync_run_id": change.sync_run_id,
                     "note": note}))
    db.session.flush()
    if quantities:
        set_line_quantities(quantities, now)
    record_many(audits)
    emitters.pending_decided([
        {"change_id": c.id, "line_id": c.line_id, "recurring_invoice_id": lines[c.line_id].recurring_invoice_id,
         "integration_id": lines[c.line_id].integration_id, "old_quantity": c.old_quantity,
         "new_quantity": c.new_quantity, "reasons": c.reasons, "decided_by": actor.label, "note": note}
        for c in (changes[i] for i in dict.fromkeys(ids))], approve)
    db.session.commit()
    return [changes[i] for i in dict.fromkeys(ids)]
