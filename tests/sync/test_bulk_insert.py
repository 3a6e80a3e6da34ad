"""``hub.bulk.insert_rows`` stores exactly what SQLAlchemy's own executemany stores (on SQLite it takes a
path of its own), on varied rows: shared and distinct objects, None in JSON and plain columns, nested
JSON, fractional quantities, text that needs quoting, and a column with a Python-side default."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

from hub.audit import Actor, audit_event
from hub.bulk import insert_rows
from hub.extensions import db
from hub.models import (
    AuditEvent, LicenseCount, LicenseCountHistory, SyncRun, VendorCustomer, VendorIntegration, VendorSku,
)
from hub.timeutil import utcnow


def _read(table, where) -> list[tuple]:
    columns = [c for c in table.c if c.name != "id"]
    return [tuple(row) for row in db.session.execute(sa.select(*columns).where(where).order_by(table.c.id)).all()]


def _both_ways(table, rows_for, key_column) -> tuple[list, list]:
    """(what insert_rows stored, what SQLAlchemy's executemany stored) for the same rows, each under
    its own ``key_column`` value (the rows' only difference)."""
    insert_rows(table, rows_for("fast"))
    db.session.execute(sa.insert(table), rows_for("core"))
    db.session.flush()
    fast = _read(table, key_column == "fast")
    core = _read(table, key_column == "core")
    index = [c.name for c in table.c if c.name != "id"].index(key_column.name)
    return [r[:index] + r[index + 1:] for r in fast], [r[:index] + r[index + 1:] for r in core]


def test_audit_rows_are_stored_as_sqlalchemy_stores_them(app_ctx):
    now = utcnow()
    shared = {"external_id": "cust-1", "vendor_status": "active"}

    def rows_for(tag):
        actor = Actor.cli(tag)
        rows = []
        for i in range(40):
            details = [None, shared, {"n": i, "nested": {"list": [1, "two", None]}, "text": "é \"q\" 'x'"}][i % 3]
            rows.append(audit_event(actor, "count.change", "vendor_customer", i, field=f"sku-{i % 4}",
                                    old=None if i % 5 else Decimal("1.5000"), new=Decimal(i) / 4,
                                    details=details, at=now if i % 7 else now - timedelta(seconds=i)))
        return rows

    fast, core = _both_ways(AuditEvent.__table__, rows_for, AuditEvent.__table__.c.actor)
    assert fast == core and len(fast) == 40
    assert {r[-1] is None for r in fast} == {True, False}
    # both read back as None: the database must hold the same too (JSON 'null' or SQL NULL)
    sql_nulls = {tag: db.session.execute(sa.select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.actor == tag, sa.literal_column("details").is_(None))).scalar() for tag in ("fast", "core")}
    assert sql_nulls["fast"] == sql_nulls["core"]


def test_customers_counts_and_history_are_stored_as_sqlalchemy_stores_them(app_ctx):
    now = utcnow()
    integration = VendorIntegration(slug="bulk", enabled=True, settings={}, state="ready")
    db.session.add(integration)
    db.session.flush()
    run = SyncRun(integration_id=integration.id, trigger="test", status="running", started_at=now)
    sku = VendorSku(integration_id=integration.id, sku="sku-a", name="A", first_seen_at=now)
    db.session.add_all([run, sku])
    db.session.flush()

    def customers_for(tag):
        return [dict(integration_id=integration.id, external_id=f"{tag}-{i}", name=tag,
                     vendor_status=["active", "suspended"][i % 2], extra={} if i % 3 else {"domain": f"c{i}.example"},
                     first_seen_at=now, last_seen_at=now + timedelta(microseconds=i)) for i in range(12)]

    fast, core = _both_ways(VendorCustomer.__table__, customers_for, VendorCustomer.__table__.c.name)
    unique = lambda rows: [(r[0], r[1].split("-", 1)[1], *r[2:]) for r in rows]  # noqa: E731 (ids are unique)
    assert unique(fast) == unique(core) and len(fast) == 12
    ids = {name: [i for (i,) in db.session.execute(sa.select(VendorCustomer.id).where(VendorCustomer.name == name)
                                                   .order_by(VendorCustomer.id))] for name in ("fast", "core")}
    quantities = [Decimal("0"), Decimal("12.5000"), Decimal("0.0001"), Decimal("99999999999999.9999"), Decimal(7)]

    def counts_for(tag):
        return [dict(vendor_customer_id=cid, sku_id=sku.id, quantity=quantities[i % 5], updated_at=now,
                     sync_run_id=run.id) for i, cid in enumerate(ids[tag])]

    fast, core = _compare_by_customer(LicenseCount.__table__, counts_for, ids)
    assert fast == core and len(fast) == 12

    def history_for(tag):
        return [dict(vendor_customer_id=cid, sku_id=sku.id, quantity=quantities[i % 5],
                     previous_quantity=None if i % 2 else quantities[(i + 1) % 5], recorded_at=now,
                     sync_run_id=run.id) for i, cid in enumerate(ids[tag])]

    fast, core = _compare_by_customer(LicenseCountHistory.__table__, history_for, ids)
    assert fast == core and len(fast) == 12


def _compare_by_customer(table, rows_for, ids):
    """Rows keyed by customer: the customer ids differ between the two inserts, so compare without them."""
    insert_rows(table, rows_for("fast"))
    db.session.execute(sa.insert(table), rows_for("core"))
    db.session.flush()
    columns = [c for c in table.c if c.name not in ("id", "vendor_customer_id")]

    def read(tag):
        return [tuple(r) for r in db.session.execute(sa.select(*columns).where(
            table.c.vendor_customer_id.in_(ids[tag])).order_by(table.c.vendor_customer_id)).all()]
    return read("fast"), read("core")


def test_rows_leaving_a_defaulted_column_out_get_its_default(app_ctx):
    """A column with a Python-side default the rows leave out takes SQLAlchemy's own path."""
    before = utcnow()
    row = audit_event(Actor.cli("defaulted"), "x.y", "thing", 1)
    del row["occurred_at"]
    insert_rows(AuditEvent.__table__, [row, dict(row)])
    stored = db.session.execute(sa.select(AuditEvent.occurred_at)
                                .where(AuditEvent.actor == "defaulted")).scalars().all()
    assert len(stored) == 2 and all(at >= before.replace(tzinfo=None) - timedelta(seconds=1) for at in stored)


def test_no_rows_is_no_statement(app_ctx):
    insert_rows(AuditEvent.__table__, [])
    assert db.session.execute(sa.select(sa.func.count()).select_from(AuditEvent)).scalar() == 0
