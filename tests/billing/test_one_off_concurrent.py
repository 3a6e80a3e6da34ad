"""Two processes running the invoice run at once bill each one-off charge exactly once, even when an
Organization's charge could go on either of its two recurring invoices (and they sit in different batches).

Real processes on the real database (SQLite file, or PostgreSQL with HUB_TEST_DATABASE_URL).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hub.extensions import db
from hub.models import Invoice, InvoiceLine, OneOffCharge, Organization, Product, RecurringInvoice, RecurringLine, name_key
from tests.billing.test_concurrent_runs import _run_two_workers


def _seed(count: int) -> None:
    db.session.execute(db.insert(Product), [dict(code="SUPPORT", name="Support", unit_price=Decimal("99.95"),
                                                 unit_cost=Decimal(0))])
    product_id = db.session.execute(db.select(Product.id)).scalar_one()
    db.session.execute(db.insert(Organization), [{"name": f"Org {n}", "name_key": name_key(f"Org {n}")}
                                                 for n in range(count)])
    org_ids = db.session.execute(db.select(Organization.id).order_by(Organization.id)).scalars().all()
    # two schedules per Organization, far apart in id order, so small batches split them
    db.session.execute(db.insert(RecurringInvoice), [
        dict(organization_id=oid, next_run_date=date(2024, 1, 31), anchor_day=31) for _ in range(2) for oid in org_ids])
    rids = db.session.execute(db.select(RecurringInvoice.id)).scalars().all()
    db.session.execute(db.insert(RecurringLine), [
        dict(recurring_invoice_id=rid, kind="standard", product_id=product_id, quantity=Decimal(1), position=1)
        for rid in rids])
    db.session.execute(db.insert(OneOffCharge), [
        dict(organization_id=oid, description=f"Setup {oid}", quantity=Decimal(1), unit_price=Decimal("10"),
             unit_cost=Decimal(0), currency="USD", taxable=True, created_by="test") for oid in org_ids])
    db.session.commit()


def test_two_processes_bill_each_charge_once(app_ctx, tmp_path):
    count = 60
    _seed(count)
    db.session.remove()
    results = _run_two_workers(app_ctx, tmp_path, "2024-01-31", 7)
    print("per process:", [(len(r["issued"]), r["seconds"]) for r in results])
    from hub.billing.invoicing import run_due_invoices

    run_due_invoices(date(2024, 1, 31))  # a schedule a lost race left for later is billed now, nothing twice
    assert db.session.execute(db.select(db.func.count(Invoice.id))).scalar() == count * 2
    billed = db.session.execute(db.select(InvoiceLine.invoice_id, InvoiceLine.details)
                                .where(InvoiceLine.kind == "one_off")).all()
    charge_ids = [details["one_off_charge_id"] for _, details in billed]
    assert len(charge_ids) == len(set(charge_ids)) == count  # each charge on exactly one invoice
    marked = dict(db.session.execute(db.select(OneOffCharge.id, OneOffCharge.invoice_id)).all())
    assert {details["one_off_charge_id"]: invoice_id for invoice_id, details in billed} == marked
