"""Writes a sync plan in bulk: a few statements per kind of change, never a query per customer."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import bindparam

from hub import events
from hub.audit import Actor, audit_event, record_many
from hub.bulk import insert_rows
from hub.extensions import db
from hub.models import LicenseCount, LicenseCountHistory, SyncRun, VendorCustomer, VendorIntegration, VendorSku
from hub.sync.boundary import storable_sku_mapping
from hub.sync.reconcile import CountChange, CustomerPlan, KnownCustomer, plan_counts
from hub.timeutil import utcnow
from hub.webhooks import emitters

log = logging.getLogger("hub.sync")

# Bulk statements go through the Core tables: the ORM's bulk UPDATE refuses extra WHERE criteria, and
# its bulk INSERT and column loading cost more per row than the database does (see benchmarks/).
CUSTOMERS = VendorCustomer.__table__
COUNTS = LicenseCount.__table__
HISTORY = LicenseCountHistory.__table__
SKUS = VendorSku.__table__


#: rows per statement and per batch held in memory: a first sync of 10,000 customers writes ~170,000 rows
BATCH = 5000


class _AuditBuffer:
    """Audit rows, written every BATCH rows so a large sync never holds them all in memory.

    A row without a ``details`` key leaves the column NULL: most of a sync's rows (one per count
    changed) have none, and binding None to a JSON column costs a ``json.dumps`` each. One bulk
    statement needs rows of one shape, so the two shapes are kept apart."""

    def __init__(self) -> None:
        self.with_details: list[dict] = []
        self.without_details: list[dict] = []

    def append(self, row: dict) -> None:
        rows = self.with_details if "details" in row else self.without_details
        rows.append(row)
        if len(rows) >= BATCH:
            record_many(rows)
            rows.clear()

    def flush(self) -> None:
        for rows in (self.with_details, self.without_details):
            record_many(rows)
            rows.clear()


@dataclass
class ApplyResult:
    counts_changed: int
    changed_customer_ids: set[int]


def known_customers(integration_id: int) -> list[KnownCustomer]:
    c = CUSTOMERS.c
    rows = db.session.execute(
        db.select(c.id, c.external_id, c.name, c.vendor_status, c.detached_at, c.extra, c.archived_at)
        .where(c.integration_id == integration_id)
    ).all()  # fetchall: iterating a result fetches row by row
    return [KnownCustomer(id_, external_id, name, status, detached_at is not None, extra or {},
                          archived=archived_at is not None)
            for id_, external_id, name, status, detached_at, extra, archived_at in rows]


def load_current_counts(integration_id: int, *, with_extras: bool = False):
    """The stored counts keyed by (customer id, sku); with ``with_extras`` also their non-empty extras,
    as ``(counts, extras)``."""
    c = COUNTS.c
    columns = [c.vendor_customer_id, SKUS.c.sku, c.quantity] + ([c.extra] if with_extras else [])
    rows = db.session.execute(
        db.select(*columns).join(SKUS, SKUS.c.id == c.sku_id).where(SKUS.c.integration_id == integration_id)
    ).all()
    counts = {(row[0], row[1]): row[2] for row in rows}  # Numeric: Decimals already
    if not with_extras:
        return counts
    return counts, {(row[0], row[1]): row[3] for row in rows if row[3]}


def apply_plan(*, run: SyncRun, integration: VendorIntegration, plan: CustomerPlan, listed: set[str],
               known_ids: dict[str, int], count_changes: list[CountChange],
               new_counts: dict[tuple[str, str], Decimal], failures: dict[str, str], config: dict,
               handle, new_extras: dict[tuple[str, str], dict] | None = None) -> ApplyResult:
    now = utcnow()
    actor = Actor.sync(run)
    iid = integration.id
    audits = _AuditBuffer()
    changed_ids: set[int] = set()

    def audit(action, entity_id, **kw):
        audits.append(audit_event(actor, action, "vendor_customer", entity_id, integration_id=iid, at=now, **kw))

    # -- customers -----------------------------------------------------------------------------
    if plan.new:
        insert_rows(CUSTOMERS, [
            dict(integration_id=iid, external_id=c.external_id, name=c.name, vendor_status=c.status.value,
                 extra=dict(c.extra or {}), first_seen_at=now, last_seen_at=now)
            for c in plan.new
        ])
        new_external = {c.external_id for c in plan.new}
        new_ids = {e: i for e, i in db.session.execute(
            db.select(CUSTOMERS.c.external_id, CUSTOMERS.c.id).where(CUSTOMERS.c.integration_id == iid)
        ).all() if e in new_external}
        for c in plan.new:
            audit("customer.create", new_ids[c.external_id], field="name", new=c.name,
                  details={"external_id": c.external_id, "vendor_status": c.status.value})
    else:
        new_ids = {}

    updates = []
    for change in plan.changed:
        row = {"_id": change.known.id, "_name": change.listed.name, "_status": change.listed.status.value,
               "_extra": dict(change.listed.extra or {})}
        updates.append(row)
        for name in change.fields:
            if name == "extra":
                continue  # informational facts; not worth an audit line each
            old = getattr(change.known, name)
            new = change.listed.name if name == "name" else change.listed.status.value
            audit("customer.rename" if name == "name" else "customer.status", change.known.id, field=name,
                  old=old, new=new)
        if "vendor_status" in change.fields:
            changed_ids.add(change.known.id)
    if updates:
        db.session.execute(
            db.update(CUSTOMERS).where(CUSTOMERS.c.id == bindparam("_id"))
            .values(name=bindparam("_name"), vendor_status=bindparam("_status"), extra=bindparam("_extra")),
            updates,
        )

    if plan.detach:
        ids = [k.id for k in plan.detach]
        for chunk in _chunks(ids):
            db.session.execute(db.update(CUSTOMERS).where(CUSTOMERS.c.id.in_(chunk))
                               .values(detached_at=now, last_seen_at=integration.last_success_at or now))
        for k in plan.detach:
            audit("customer.detach", k.id, field="detached_at", old=None, new=now.isoformat(timespec="seconds"))
        changed_ids.update(ids)
        emitters.customers_changed("vendor_customer.detached", run, integration, plan.detach)

    if plan.reattach:
        ids = [k.id for k, _ in plan.reattach]
        for chunk in _chunks(ids):
            db.session.execute(db.update(CUSTOMERS).where(CUSTOMERS.c.id.in_(chunk))
                               .values(detached_at=None, archived_at=None, last_seen_at=now))
        for k, _ in plan.reattach:
            # an archived customer (unmapped while Detached) comes back Not mapped, its history intact
            audit("customer.reattach", k.id, field="detached_at", old="detached", new=None,
                  details={"was_archived": True} if k.archived else None)
        changed_ids.update(ids)
        emitters.customers_changed("vendor_customer.reattached", run, integration, [k for k, _ in plan.reattach])

    # -- per-customer count failures -------------------------------------------------------------
    all_ids = {e: i for e, i in known_ids.items() if e in listed} | new_ids
    ok_ids = {i for e, i in all_ids.items() if e not in failures}
    previous_errors = dict(db.session.execute(
        db.select(CUSTOMERS.c.id, CUSTOMERS.c.count_error).where(CUSTOMERS.c.integration_id == iid,
                                                                 CUSTOMERS.c.count_error.is_not(None))).all())
    # a failure that persists with the same message is not a change: keep the row (and its time) as is
    failed = [{"_id": all_ids[e], "_msg": msg[:2000]} for e, msg in failures.items()
              if e in all_ids and previous_errors.get(all_ids[e]) != msg[:2000]]
    if failed:
        db.session.execute(
            db.update(CUSTOMERS).where(CUSTOMERS.c.id == bindparam("_id"))
            .values(count_error=bindparam("_msg"), count_error_at=now),
            failed,
        )
    # clear old errors of customers that answered this time
    cleared = sorted(set(previous_errors) & ok_ids)
    for chunk in _chunks(cleared):
        db.session.execute(db.update(CUSTOMERS).where(CUSTOMERS.c.id.in_(chunk))
                           .values(count_error=None, count_error_at=None))

    # -- counts ----------------------------------------------------------------------------------
    answered_new = {new_ids[e] for e in new_ids if e not in failures}
    count_changes = count_changes + plan_counts(
        {}, {(new_ids[e], sku): q for (e, sku), q in new_counts.items()}, answered_new,
        {}, {(new_ids[e], sku): x for (e, sku), x in (new_extras or {}).items()})
    describe = lambda skus: _describe_skus(handle, config, skus)  # noqa: E731
    counts_changed = _apply_counts(run, integration, count_changes, now, audits, describe)
    # a change of a count's extra alone is stored, not billed: it changes no customer's lines
    changed_ids.update(c.customer_id for c in count_changes if c.quantity_changed)

    audits.flush()
    events.sync_applied.send(run, run=run, changed_customer_ids=changed_ids)
    return ApplyResult(counts_changed, changed_ids)


def _apply_counts(run: SyncRun, integration: VendorIntegration, changes: list[CountChange], now,
                  audits: _AuditBuffer, describe) -> int:
    if not changes:
        return 0
    sku_ids = _ensure_skus(integration, {c.sku for c in changes}, now, describe)
    actor = Actor.sync(run)
    run_id, integration_id = run.id, integration.id  # plain ints: an ORM attribute read per row adds up
    quantity_changes = 0
    for batch in _chunks(changes, BATCH):
        # a new count without an extra leaves the column NULL (no key: no json.dumps of None per row)
        inserts, inserts_with_extra, updates, history = [], [], [], []
        for c in batch:
            sid = sku_ids[c.sku]
            extra = dict(c.extra) if c.extra else None
            if c.old is None:
                row = dict(vendor_customer_id=c.customer_id, sku_id=sid, quantity=c.new, updated_at=now,
                           sync_run_id=run_id)
                if extra is None:
                    inserts.append(row)
                else:
                    row["extra"] = extra
                    inserts_with_extra.append(row)
            else:
                updates.append({"_cid": c.customer_id, "_sid": sid, "_qty": c.new, "_extra": extra})
            if not c.quantity_changed:
                # the extra alone (say a billing term) changed: informational, like a customer's extra,
                # so no history row and no audit line (neither the bill nor the usage chart moves)
                continue
            quantity_changes += 1
            history.append(dict(vendor_customer_id=c.customer_id, sku_id=sid, quantity=c.new,
                                previous_quantity=c.old, recorded_at=now, sync_run_id=run_id))
            event = audit_event(actor, "count.change", "vendor_customer", c.customer_id, field=c.sku,
                                old=c.old, new=c.new, integration_id=integration_id, at=now)
            del event["details"]  # always None here: the column is left NULL
            audits.append(event)
        for rows in (inserts, inserts_with_extra):
            insert_rows(COUNTS, rows)
        if updates:
            db.session.execute(
                db.update(COUNTS)
                .where(COUNTS.c.vendor_customer_id == bindparam("_cid"), COUNTS.c.sku_id == bindparam("_sid"))
                .values(quantity=bindparam("_qty"), extra=bindparam("_extra"), updated_at=now, sync_run_id=run.id),
                updates,
            )
        insert_rows(HISTORY, history)
    return quantity_changes


def _ensure_skus(integration: VendorIntegration, skus: set[str], now, describe) -> dict[str, int]:
    existing = dict(db.session.execute(
        db.select(VendorSku.sku, VendorSku.id).where(VendorSku.integration_id == integration.id)).all())
    missing = sorted(skus - set(existing))
    if missing:
        known = describe(missing)
        db.session.execute(db.insert(SKUS), [
            dict(integration_id=integration.id, sku=s, first_seen_at=now,
                 name=known[s].name if s in known else s,
                 unit=known[s].unit if s in known else "license",
                 billable=known[s].billable if s in known else True,
                 suggested_product_code=known[s].suggested_product_code if s in known else None)
            for s in missing
        ])
        existing = dict(db.session.execute(
            db.select(VendorSku.sku, VendorSku.id).where(VendorSku.integration_id == integration.id)).all())
    return existing


def _describe_skus(handle, config: dict, skus: list[str]) -> dict:
    """The plugin's suggestions for new SKUs. A failure here only costs the suggestions, not the sync."""
    if handle is None:
        return {}
    try:
        return {m.sku: storable_sku_mapping(m) for m in handle.map_skus(config, list(skus)) or () if m.sku in skus}
    except Exception:
        log.exception("hub_map_skus of %s failed; new SKUs stay unmapped", handle.slug)
        return {}


def _chunks(items: list, size: int = 500):
    for start in range(0, len(items), size):
        yield items[start:start + size]
