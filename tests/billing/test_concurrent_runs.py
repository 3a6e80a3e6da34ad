"""Two processes running the invoice run at the same moment never issue two invoices for one period.

Real processes on the real database (SQLite file, or PostgreSQL with HUB_TEST_DATABASE_URL).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from hub.extensions import db
from hub.models import Invoice, InvoiceLine, Organization, Product, RecurringInvoice, RecurringLine, name_key
from tests.processes import run_together

WORKER = Path(__file__).with_name("invoice_worker.py")


def _seed(count: int) -> None:
    db.session.execute(db.insert(Product), [dict(code="SUPPORT", name="Support", unit_price=Decimal("99.95"),
                                                 unit_cost=Decimal(0))])
    product_id = db.session.execute(db.select(Product.id)).scalar_one()
    db.session.execute(db.insert(Organization), [{"name": f"Org {n}", "name_key": name_key(f"Org {n}")} for n in range(count)])
    org_ids = db.session.execute(db.select(Organization.id).order_by(Organization.id)).scalars().all()
    db.session.execute(db.insert(RecurringInvoice), [
        dict(organization_id=oid, next_run_date=date(2024, 1, 31), anchor_day=31) for oid in org_ids])
    rids = db.session.execute(db.select(RecurringInvoice.id)).scalars().all()
    db.session.execute(db.insert(RecurringLine), [
        dict(recurring_invoice_id=rid, kind="standard", product_id=product_id, quantity=Decimal(n % 7 + 1),
             position=n) for rid in rids for n in range(2)])
    db.session.commit()


def _run_two_workers(app, tmp_path, run_date: str, batch_size: int) -> list[dict]:
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    return run_together(WORKER, [[url, str(tmp_path / f"w{n}"), run_date, str(batch_size)] for n in range(2)],
                        timeout=120)


@pytest.mark.parametrize("batch_size", [7, 200])
def test_two_processes_issue_each_period_once(app_ctx, tmp_path, batch_size):
    recurring_count = 150
    _seed(recurring_count)
    db.session.remove()
    # three periods are due for each: Jan 31, Feb 29 and Mar 31 (2024)
    results = _run_two_workers(app_ctx, tmp_path, "2024-04-15", batch_size)
    expected = recurring_count * 3
    print("per process:", [(len(r["issued"]), r["seconds"]) for r in results])
    assert all(r["skipped"] == [] for r in results), results
    issued = results[0]["issued"] + results[1]["issued"]
    assert len(issued) == len(set(issued)) == expected

    invoices = db.session.execute(db.select(Invoice.recurring_invoice_id, Invoice.period_start, Invoice.number,
                                            Invoice.total)).all()
    assert len(invoices) == expected
    assert len({(r, p) for r, p, _, _ in invoices}) == expected
    assert sorted(n for _, _, n, _ in invoices) == list(range(1, expected + 1))  # unique, gapless
    assert {p for _, p, _, _ in invoices} == {date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31)}
    assert db.session.execute(db.select(db.func.count()).select_from(InvoiceLine)).scalar() == expected * 2
    assert set(db.session.execute(db.select(RecurringInvoice.next_run_date)).scalars()) == {date(2024, 4, 30)}

    # and another run, later the same day, finds nothing to do
    from hub.billing.invoicing import run_due_invoices

    again = run_due_invoices(date(2024, 4, 15))
    assert (again.issued, again.skipped) == ([], [])
