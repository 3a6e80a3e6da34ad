"""Vendor lines follow the license counts: recalculate lines in bulk and apply or hold each change.

A vendor line counts the licenses of its Organization's attached vendor customers of its integration,
for the SKUs mapped to its product. ``recalculate_lines`` reads everything for up to 500 lines in a
handful of queries, decides each line with ``policy.plan_line`` and writes the changes, their audit
events and their evidence in bulk. It never commits: it runs inside the caller's transaction (a sync,
a mapping change, a catalog edit), so billing moves with the change that caused it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import bindparam, func

from hub.audit import Actor, audit_event, record_many
from hub.billing.evidence import evidence_json, load_contributions
from hub.billing.money import ZERO
from hub.billing.policy import Action, LineState, effective_policy, plan_line
from hub.extensions import db
from hub.models import (
    ChangeStatus,
    LineKind,
    QuantityChange,
    RecurringInvoice,
    RecurringLine,
    VendorCustomer,
    VendorIntegration,
)
from hub.timeutil import utcnow
from hub.webhooks import emitters

CHUNK = 500
LINES = RecurringLine.__table__
CHANGES = QuantityChange.__table__


@dataclass(frozen=True)
class Trigger:
    """What caused a recalculation: recorded on every change and audit event it writes."""

    cause: str  # sync, mapping, sku_mapping, line_create, line_edit
    actor: Actor
    sync_run_id: int | None = None
    #: a person edited the line itself: apply at once, whatever the policy
    force: bool = False


@dataclass
class RecalcResult:
    applied: list[int] = field(default_factory=list)  # change ids
    held: list[int] = field(default_factory=list)
    superseded: list[int] = field(default_factory=list)

    def merge(self, other: "RecalcResult") -> None:
        self.applied += other.applied
        self.held += other.held
        self.superseded += other.superseded


def _chunks(items, size: int = CHUNK):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start:start + size]


def vendor_lines_of(integration_id: int, organization_ids=None, product_ids=None) -> list[int]:
    """Ids of the live vendor lines of an integration, for some Organizations and/or products."""
    query = (db.select(RecurringLine.id).join(RecurringInvoice, RecurringInvoice.id == RecurringLine.recurring_invoice_id)
             .where(RecurringLine.kind == LineKind.VENDOR.value, RecurringLine.archived_at.is_(None),
                    RecurringLine.integration_id == integration_id))
    if product_ids is not None:
        query = query.where(RecurringLine.product_id.in_(list(product_ids)))
    if organization_ids is None:
        return list(db.session.execute(query).scalars())
    ids: list[int] = []
    for chunk in _chunks(organization_ids):
        ids += db.session.execute(query.where(RecurringInvoice.organization_id.in_(chunk))).scalars()
    return ids


def recalculate_for_customers(integration_id: int, customer_ids, trigger: Trigger) -> RecalcResult:
    """After a sync: the lines of the Organizations these vendor customers are mapped to."""
    orgs: set[int] = set()
    for chunk in _chunks(customer_ids):
        orgs.update(db.session.execute(
            db.select(VendorCustomer.organization_id).distinct()
            .where(VendorCustomer.id.in_(chunk), VendorCustomer.organization_id.is_not(None))).scalars())
    if not orgs:
        return RecalcResult()
    return recalculate_lines(vendor_lines_of(integration_id, organization_ids=orgs), trigger)


def recalculate_lines(line_ids, trigger: Trigger) -> RecalcResult:
    result = RecalcResult()
    for chunk in _chunks(sorted(set(line_ids))):
        result.merge(_recalculate_chunk(chunk, trigger))
    return result


@dataclass
class _Line:
    id: int
    organization_id: int
    integration_id: int
    product_id: int
    current: Decimal
    do_not_bill: bool
    policy: object
    recurring_invoice_id: int


def _load_lines(line_ids: list[int]) -> list[_Line]:
    rows = db.session.execute(
        db.select(RecurringLine.id, RecurringInvoice.organization_id, RecurringLine.integration_id,
                  RecurringLine.product_id, RecurringLine.quantity, RecurringLine.do_not_bill,
                  RecurringLine.override_policy, RecurringLine.hold_decrease_over_seats,
                  RecurringLine.hold_decrease_over_pct, VendorIntegration.hold_decrease_over_seats,
                  VendorIntegration.hold_decrease_over_pct, VendorIntegration.hold_drop_to_zero,
                  VendorIntegration.hold_detached, RecurringLine.recurring_invoice_id)
        .join(RecurringInvoice, RecurringInvoice.id == RecurringLine.recurring_invoice_id)
        .join(VendorIntegration, VendorIntegration.id == RecurringLine.integration_id)
        .where(RecurringLine.id.in_(line_ids), RecurringLine.kind == LineKind.VENDOR.value,
               RecurringLine.archived_at.is_(None))
    ).all()
    return [_Line(r[0], r[1], r[2], r[3], Decimal(r[4]), r[5], effective_policy(*r[6:13]), r[13]) for r in rows]


def _decision_context(line_ids: list[int]) -> tuple[dict, dict, dict]:
    """Per line: its pending change (id, new), its last applied change id, and a rejection since then
    (new quantity, the counts it was proposed from)."""
    pending = {r.line_id: (r.id, Decimal(r.new_quantity)) for r in db.session.execute(
        db.select(QuantityChange.line_id, QuantityChange.id, QuantityChange.new_quantity)
        .where(QuantityChange.line_id.in_(line_ids), QuantityChange.status == ChangeStatus.PENDING.value))}
    last_applied = dict(db.session.execute(
        db.select(QuantityChange.line_id, func.max(QuantityChange.id))
        .where(QuantityChange.line_id.in_(line_ids),
               QuantityChange.status.in_([ChangeStatus.APPLIED.value, ChangeStatus.APPROVED.value]))
        .group_by(QuantityChange.line_id)).all())
    rejected: dict[int, tuple[Decimal, frozenset]] = {}
    for r in db.session.execute(
            db.select(QuantityChange.line_id, QuantityChange.id, QuantityChange.new_quantity, QuantityChange.evidence)
            .where(QuantityChange.line_id.in_(line_ids), QuantityChange.status == ChangeStatus.REJECTED.value)
            .order_by(QuantityChange.id)):
        if r.id > last_applied.get(r.line_id, 0):
            rejected[r.line_id] = (Decimal(r.new_quantity), _counts_signature((r.evidence or {}).get("counts", ())))
    return pending, last_applied, rejected


def _counts_signature(counts) -> frozenset:
    """What a proposal was made from: each (customer, SKU, quantity, counted) of its evidence."""
    return frozenset((c["customer_id"], c["sku_id"], Decimal(c["quantity"]), bool(c["counted"])) for c in counts)


def _previous_customers(change_ids) -> dict[int, set[int]]:
    """Customer ids counted by each of these changes (from their evidence)."""
    out: dict[int, set[int]] = {}
    for chunk in _chunks(change_ids):
        for change_id, evidence in db.session.execute(
                db.select(QuantityChange.id, QuantityChange.evidence).where(QuantityChange.id.in_(chunk))):
            out[change_id] = {c["customer_id"] for c in (evidence or {}).get("counts", ())
                              if c.get("counted") and Decimal(c["quantity"]) > 0}
    return out


def _recalculate_chunk(line_ids: list[int], trigger: Trigger) -> RecalcResult:
    lines = _load_lines(line_ids)
    if not lines:
        return RecalcResult()
    contributions = load_contributions({(ln.organization_id, ln.integration_id, ln.product_id) for ln in lines})
    pending, last_applied, rejected = _decision_context([ln.id for ln in lines])
    proposed = {ln.id: sum((c.quantity for c in contributions.get(_key(ln), ()) if c.counted), ZERO)
                for ln in lines}
    decreasing = [ln for ln in lines if proposed[ln.id] < ln.current]
    before = _previous_customers([last_applied[ln.id] for ln in decreasing if ln.id in last_applied])

    now = utcnow()
    new_changes: list[dict] = []
    superseded: list[int] = []
    for ln in lines:
        rows = contributions.get(_key(ln), ())
        counted_before = before.get(last_applied.get(ln.id), set())
        detached = any(c.detached and c.customer_id in counted_before for c in rows)
        evidence = evidence_json(ln.organization_id, ln.integration_id, ln.product_id, rows, proposed[ln.id])
        # a rejection answers one proposal: the same quantity from the same counts, nothing else
        said_no, from_counts = rejected.get(ln.id, (None, None))
        if said_no is not None and from_counts != _counts_signature(evidence["counts"]):
            said_no = None
        plan = plan_line(LineState(current=ln.current, proposed=proposed[ln.id], policy=ln.policy,
                                   do_not_bill=ln.do_not_bill, detached_contributor=detached,
                                   pending=pending.get(ln.id, (None, None))[1], rejected=said_no,
                                   force=trigger.force))
        if plan.supersede_pending:
            superseded.append(pending[ln.id][0])
        if plan.action is Action.NONE:
            continue
        new_changes.append(dict(
            line_id=ln.id, status=(ChangeStatus.APPLIED if plan.action is Action.APPLY else ChangeStatus.PENDING).value,
            old_quantity=ln.current, new_quantity=proposed[ln.id], reasons=[r.value for r in plan.reasons],
            cause=trigger.cause, sync_run_id=trigger.sync_run_id, created_at=now, created_by=trigger.actor.label,
            evidence=evidence,
        ))
    return _write(lines, new_changes, superseded, trigger, now)


def _key(ln: _Line) -> tuple[int, int, int]:
    return (ln.organization_id, ln.integration_id, ln.product_id)


def _write(lines: list[_Line], new_changes: list[dict], superseded: list[int], trigger: Trigger, now
           ) -> RecalcResult:
    result = RecalcResult(superseded=superseded)
    by_id = {ln.id: ln for ln in lines}
    audits: list[dict] = []
    if superseded:
        for chunk in _chunks(superseded):
            db.session.execute(db.update(CHANGES).where(CHANGES.c.id.in_(chunk)).values(
                status=ChangeStatus.SUPERSEDED.value, decided_at=now, decided_by=trigger.actor.label))
        audits += [audit_event(trigger.actor, "billing.change_superseded", "quantity_change", cid,
                               field="status", old="pending", new="superseded", at=now,
                               details={"cause": trigger.cause, "sync_run_id": trigger.sync_run_id})
                   for cid in superseded]
    if new_changes:
        # one change per line per call: match ids by line (unordered RETURNING keeps the insert batched)
        by_line = dict(db.session.execute(
            db.insert(CHANGES).returning(CHANGES.c.line_id, CHANGES.c.id), new_changes).all())
        applied, events = [], []
        for row in new_changes:
            change_id = by_line[row["line_id"]]
            ln = by_id[row["line_id"]]
            is_applied = row["status"] == ChangeStatus.APPLIED.value
            (result.applied if is_applied else result.held).append(change_id)
            if is_applied:
                applied.append({"_id": ln.id, "_qty": row["new_quantity"]})
            audits.append(audit_event(
                trigger.actor, "billing.quantity_applied" if is_applied else "billing.quantity_held",
                "recurring_line", ln.id, field="quantity", old=row["old_quantity"], new=row["new_quantity"],
                integration_id=ln.integration_id, at=now,
                details={"change_id": change_id, "cause": trigger.cause, "reasons": row["reasons"],
                         "sync_run_id": trigger.sync_run_id, "organization_id": ln.organization_id,
                         "history_ids": [c["history_id"] for c in row["evidence"]["counts"] if c["history_id"]]}))
            events.append({"change_id": change_id, "line_id": ln.id, "recurring_invoice_id": ln.recurring_invoice_id,
                           "organization_id": ln.organization_id, "integration_id": ln.integration_id,
                           "product_id": ln.product_id, **{k: row[k] for k in (
                               "status", "old_quantity", "new_quantity", "reasons", "cause", "sync_run_id")}})
        if applied:
            set_line_quantities(applied, now)
        emitters.quantity_changes(events)
    record_many(audits)
    return result


def set_line_quantities(rows: list[dict], now) -> None:
    """Bulk ``quantity`` update of lines (``[{"_id", "_qty"}]``); loaded line objects are expired to match."""
    db.session.execute(db.update(LINES).where(LINES.c.id == bindparam("_id"))
                       .values(quantity=bindparam("_qty"), updated_at=now), rows)
    changed = {r["_id"] for r in rows}
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, RecurringLine) and obj.id in changed:
            db.session.expire(obj, ["quantity", "updated_at"])
