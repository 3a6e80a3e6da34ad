"""Vendor lines follow real syncs (the fake vendor plugin through hub.sync) and real mapping changes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import event

from hub.billing import catalog, listeners, pending, recurring
from hub.billing.errors import BillingError
from hub.extensions import db
from hub.models import AuditEvent, LicenseCountHistory, QuantityChange, RecurringLine

from .conftest import ADMIN


def _line(line_id):
    db.session.expire_all()
    return db.session.get(RecurringLine, line_id)


def _changes(line_id):
    return list(db.session.execute(db.select(QuantityChange).filter_by(line_id=line_id)
                                   .order_by(QuantityChange.id)).scalars())


def test_line_counts_at_creation(billed):
    _, line = billed
    assert _line(line.id).quantity == Decimal(20)
    [change] = _changes(line.id)
    assert (change.status, change.cause, change.old_quantity, change.new_quantity) == ("applied", "line_create", 0, 20)
    assert change.evidence["counts"][0]["customer"] == "Contoso Ltd"


def test_line_counts_its_organizations_customers_for_its_products_skus(vendor, contoso, make_org, seats,
                                                                      make_product):
    other_org, backup = make_org("Fabrikam"), make_product("BACKUP")
    vendor.fake.add("c1", "Contoso HQ", seats=10, seats_plus=3, backup_gb=100, flag=1)
    vendor.fake.add("c2", "Contoso Branch", seats=4)
    vendor.fake.add("f1", "Fabrikam", seats=50)
    vendor.fake.add("n1", "Nobody", seats=70)  # not mapped
    vendor.sync()
    for ext, org in (("c1", contoso), ("c2", contoso), ("f1", other_org)):
        vendor.map(ext, org)
    vendor.map_sku("seats", seats)
    vendor.map_sku("seats_plus", seats)  # two SKUs billed as one product
    vendor.map_sku("backup_gb", backup)
    invoice = recurring.create_recurring_invoice(contoso.id, ADMIN, next_run_date=date(2024, 1, 1))
    line = recurring.add_line(invoice.id, ADMIN, kind="vendor", product_id=seats.id,
                              integration_id=vendor.integration.id)
    assert _line(line.id).quantity == Decimal(17)  # 10 + 3 + 4; not Fabrikam's, not the unmapped "flag"
    counted = sorted((c["customer"], c["sku"], c["quantity"]) for c in _changes(line.id)[-1].evidence["counts"])
    assert counted == [("Contoso Branch", "seats", "4"), ("Contoso HQ", "seats", "10"),
                       ("Contoso HQ", "seats_plus", "3")]


# (policy seats, policy pct, line override (seats, pct) or None, do not bill, new count, quantity after, status, reasons)
CASES = [
    ("increase applies", 5, "10", None, False, 30, 30, "applied", []),
    ("small decrease applies", 5, "10", None, False, 19, 19, "applied", []),
    ("over seats held", 5, None, None, False, 14, 20, "pending", ["decrease_over_seats"]),
    ("over percent held", None, "10", None, False, 17, 20, "pending", ["decrease_over_pct"]),
    ("drop to zero held", None, None, None, False, 0, 20, "pending", ["drop_to_zero"]),
    ("no limits: decrease applies", None, None, None, False, 1, 1, "applied", []),
    ("line override loosens", 5, "10", (50, None), False, 5, 5, "applied", []),
    ("line override tightens", 50, None, (0, None), False, 19, 20, "pending", ["decrease_over_seats"]),
    ("do not bill follows at once", 5, "10", None, True, 0, 0, "applied", []),
]


@pytest.mark.parametrize("name, seats_limit, pct_limit, override, do_not_bill, new, after, status, reasons", CASES,
                         ids=[c[0] for c in CASES])
def test_quantity_rules_through_a_real_sync(billed, vendor, name, seats_limit, pct_limit, override, do_not_bill,
                                            new, after, status, reasons):
    _, line = billed
    vendor.policy(seats_limit, pct_limit)
    changes = {"do_not_bill": do_not_bill}
    if override:
        changes.update(override_policy=True, hold_decrease_over_seats=override[0],
                       hold_decrease_over_pct=override[1])
    recurring.update_line(line.id, ADMIN, **changes)
    vendor.fake.counts["c1"]["seats"] = new
    run = vendor.sync()
    assert _line(line.id).quantity == Decimal(after)
    change = _changes(line.id)[-1]
    assert (change.status, change.reasons, change.sync_run_id) == (status, reasons, run.id)
    action = "billing.quantity_applied" if status == "applied" else "billing.quantity_held"
    event_ = db.session.execute(db.select(AuditEvent).filter_by(action=action, sync_run_id=run.id)).scalar_one()
    assert (event_.actor, event_.old_value, event_.new_value) == (f"sync run {run.id}", "20", str(new))
    history = db.session.execute(db.select(LicenseCountHistory).filter_by(sync_run_id=run.id)).scalar_one()
    assert event_.details["history_ids"] == [history.id] == [change.evidence["counts"][0]["history_id"]]


def test_detached_customer_holds_even_a_small_decrease(vendor, contoso, seats):
    vendor.integration.detach_threshold_pct = Decimal(100)
    vendor.fake.add("c1", "Contoso HQ", seats=40)
    vendor.fake.add("c2", "Contoso Lab", seats=1)
    vendor.sync()
    vendor.map("c1", contoso)
    vendor.map("c2", contoso)
    vendor.map_sku("seats", seats)
    invoice = recurring.create_recurring_invoice(contoso.id, ADMIN, next_run_date=date(2024, 1, 1))
    line = recurring.add_line(invoice.id, ADMIN, kind="vendor", product_id=seats.id,
                              integration_id=vendor.integration.id)
    assert _line(line.id).quantity == 41
    vendor.fake.remove("c2")  # the vendor stops listing it: Detached
    run = vendor.sync()
    assert vendor.customer("c2").detached_at is not None
    [held] = pending.list_pending_changes()
    assert (held.change.old_quantity, held.change.new_quantity, held.change.reasons) == (41, 40, ["customer_detached"])
    assert held.change.sync_run_id == run.id
    lab = [c for c in held.change.evidence["counts"] if c["customer"] == "Contoso Lab"]
    assert lab[0]["counted"] is False  # shown in the evidence, not counted


def test_rejected_change_is_not_asked_again_until_counts_move(billed, vendor, actor):
    _, line = billed
    vendor.fake.counts["c1"]["seats"] = 10
    vendor.sync()
    [held] = pending.list_pending_changes()
    pending.reject_change(held.change.id, actor, note="vendor glitch")
    assert _line(line.id).quantity == 20
    vendor.sync()  # same counts: nothing new
    vendor.fake.counts["c1"]["extra"] = 0  # an unrelated SKU appears: customer changed, line still 10
    vendor.sync()
    assert pending.list_pending_changes() == []
    vendor.fake.counts["c1"]["seats"] = 9
    vendor.sync()
    [again] = pending.list_pending_changes()
    assert (again.change.old_quantity, again.change.new_quantity) == (20, 9)
    rejected = db.session.execute(db.select(AuditEvent).filter_by(action="billing.change_rejected")).scalar_one()
    assert rejected.details["note"] == "vendor glitch" and rejected.actor == actor.label


def test_increase_supersedes_a_pending_decrease(billed, vendor, actor):
    _, line = billed
    vendor.fake.counts["c1"]["seats"] = 0
    vendor.sync()
    [held] = pending.list_pending_changes()
    vendor.fake.counts["c1"]["seats"] = 22
    vendor.sync()
    assert _line(line.id).quantity == 22
    assert db.session.get(QuantityChange, held.change.id).status == "superseded"
    with pytest.raises(BillingError) as info:
        pending.approve_change(held.change.id, actor)
    assert info.value.field == "change_ids" and "superseded" in str(info.value)


def test_bulk_decisions_are_all_or_nothing(vendor, make_org, seats, actor):
    vendor.fake.add("a", "A", seats=10)
    vendor.fake.add("b", "B", seats=10)
    vendor.fake.add("c", "C", seats=10)
    vendor.sync()
    vendor.map_sku("seats", seats)
    lines = {}
    for ext in "abc":
        org = make_org(ext.upper())
        vendor.map(ext, org)
        invoice = recurring.create_recurring_invoice(org.id, ADMIN, next_run_date=date(2024, 1, 1))
        lines[ext] = recurring.add_line(invoice.id, ADMIN, kind="vendor", product_id=seats.id,
                                        integration_id=vendor.integration.id).id
    for ext in "abc":
        vendor.fake.counts[ext]["seats"] = 0
    vendor.sync()
    held = {p.line_id: p.change.id for p in pending.list_pending_changes()}
    assert set(held) == set(lines.values())
    with pytest.raises(BillingError) as info:
        pending.approve_changes([held[lines["a"]], 999999], actor)
    assert info.value.field == "change_ids"
    assert pending.count_pending_changes() == 3 and _line(lines["a"]).quantity == 10  # nothing changed
    pending.approve_changes([held[lines["a"]], held[lines["b"]]], actor)
    pending.reject_changes([held[lines["c"]]], actor)
    assert [_line(lines[e]).quantity for e in "abc"] == [0, 0, 10]
    assert pending.count_pending_changes() == 0


def test_sku_mapping_change_recounts_lines(billed, vendor, seats, actor):
    _, line = billed
    vendor.fake.counts["c1"]["seats_plus"] = 5
    vendor.sync()  # a new SKU: unmapped, so the line does not count it
    assert _line(line.id).quantity == 20
    catalog.map_sku(vendor.sku("seats_plus").id, seats.id, actor)
    assert _line(line.id).quantity == 25
    assert _changes(line.id)[-1].cause == "sku_mapping"
    catalog.map_sku(vendor.sku("seats").id, None, actor)  # unmapping 20 of 25 seats: held
    assert _line(line.id).quantity == 25
    assert pending.list_pending_changes()[0].change.new_quantity == 5


def test_mapping_changes_follow_and_removal_of_a_detached_customer(billed, vendor, contoso, actor):
    _, line = billed
    vendor.unmap("c1")  # drop to zero: held, caused by the mapping
    assert _line(line.id).quantity == 20
    [held] = pending.list_pending_changes()
    assert held.change.cause == "mapping" and "drop_to_zero" in held.change.reasons
    assert held.change.created_by == ADMIN.label
    vendor.map("c1", contoso)  # back: the held change no longer matches
    assert pending.list_pending_changes() == []
    assert _changes(line.id)[-1].status == "superseded"

    vendor.integration.detach_threshold_pct = Decimal(100)
    vendor.fake.add("x", "Someone else", seats=1)  # so that c1 is not every active customer
    vendor.sync()
    vendor.fake.remove("c1")
    vendor.sync()
    [held] = pending.list_pending_changes()
    assert set(held.change.reasons) >= {"drop_to_zero", "customer_detached"}
    pending.approve_change(held.change.id, actor)
    assert _line(line.id).quantity == 0
    vendor.unmap("c1")  # a Detached customer is archived; the evidence keeps its figures
    assert _line(line.id).quantity == 0 and pending.list_pending_changes() == []
    assert db.session.get(QuantityChange, held.change.id).evidence["counts"][0]["customer"] == "Contoso Ltd"


def test_a_failed_sync_changes_no_billed_quantity(billed, vendor):
    _, line = billed
    vendor.fake.counts["c1"]["seats"] = 99
    vendor.fake.list_error = RuntimeError("plugin bug")
    from hub.sync import run_sync

    assert run_sync("fake").status == "failed"
    assert _line(line.id).quantity == 20 and len(_changes(line.id)) == 1


def _statements_during_recalc(monkeypatch, app) -> list[str]:
    seen: list[str] = []
    original = listeners.recalculate_for_customers

    def counting(*args, **kwargs):
        def count(conn, cursor, statement, *rest):
            seen.append(statement)
        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", count)
        try:
            return original(*args, **kwargs)
        finally:
            event.remove(engine, "before_cursor_execute", count)

    monkeypatch.setattr(listeners, "recalculate_for_customers", counting)
    return seen


@pytest.mark.parametrize("customers", [30, 300])
def test_recalculation_after_a_sync_is_batched(app, vendor, seats, make_org, monkeypatch, customers):
    """The statements billing runs after a sync do not grow with the number of customers (no N+1)."""
    for n in range(customers):
        vendor.fake.add(f"c{n}", f"Customer {n}", seats=10)
    vendor.sync()
    vendor.map_sku("seats", seats)
    from hub import mapping
    from hub.models import Organization, RecurringInvoice, RecurringLine as Line, VendorCustomer, name_key

    ids = dict(db.session.execute(db.select(VendorCustomer.external_id, VendorCustomer.id)).all())
    db.session.execute(db.insert(Organization), [{"name": f"Org {n}", "name_key": name_key(f"Org {n}")}
                                                  for n in range(customers)])
    orgs = dict(db.session.execute(db.select(Organization.name, Organization.id)).all())
    db.session.execute(db.insert(RecurringInvoice), [
        dict(organization_id=orgs[f"Org {n}"], next_run_date=date(2024, 1, 1), anchor_day=1) for n in range(customers)])
    rids = dict(db.session.execute(db.select(RecurringInvoice.organization_id, RecurringInvoice.id)).all())
    db.session.execute(db.insert(Line), [
        dict(recurring_invoice_id=rids[orgs[f"Org {n}"]], kind="vendor", product_id=seats.id,
             integration_id=vendor.integration.id, quantity=10) for n in range(customers)])
    db.session.commit()
    for n in range(customers):
        db.session.execute(db.update(VendorCustomer).where(VendorCustomer.id == ids[f"c{n}"])
                           .values(organization_id=orgs[f"Org {n}"]))
    db.session.commit()
    assert mapping  # mapped in bulk above: this test is about the sync's recalculation
    statements = _statements_during_recalc(monkeypatch, app)
    for n in range(customers):
        vendor.fake.counts[f"c{n}"]["seats"] = 11 if n % 2 else 0
    vendor.sync()
    assert db.session.execute(db.select(db.func.count()).select_from(QuantityChange)
                              .where(QuantityChange.status == "pending")).scalar() == customers // 2
    assert db.session.execute(db.select(db.func.count()).select_from(QuantityChange)
                              .where(QuantityChange.status == "applied")).scalar() == customers - customers // 2
    assert len(statements) <= 16, "\n".join(s[:90].replace("\n", " ") for s in statements)
