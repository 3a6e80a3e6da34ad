"""Margin benchmark: the margin view over a month of issued invoices, per product, vendor and Organization.

    .venv/bin/python benchmarks/margin.py                      # SQLite file in a temporary folder
    .venv/bin/python benchmarks/margin.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres

Set-up (not measured): ``--invoices`` issued invoices of 5 lines (bulk inserted) and a credit note on every
tenth. Measured: ``margin.margin_report`` per dimension (median of 5), and as a ratio to a raw query that
reads the same rows (the floor: what any report over them must at least cost).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from datetime import date
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.billing import CPU, own_database, timed  # noqa: E402
from hub import create_app  # noqa: E402
from hub.extensions import db  # noqa: E402
from hub.models import (CreditNote, CreditNoteLine, Invoice, InvoiceLine, Organization, Product,  # noqa: E402
                        name_key)

DAY = date(2024, 1, 15)


def seed(count: int) -> None:
    db.session.execute(db.insert(Product), [dict(code=f"P{n}", name=f"Product {n}", unit_price=Decimal("10") + n,
                                                 unit_cost=Decimal("6.25")) for n in range(20)])
    db.session.execute(db.insert(Organization), [{"name": f"Org {n}", "name_key": name_key(f"Org {n}")}
                                                 for n in range(count)])
    orgs = db.session.execute(db.select(Organization.id).order_by(Organization.id)).scalars().all()
    products = db.session.execute(db.select(Product.id).order_by(Product.id)).scalars().all()
    db.session.execute(db.insert(Invoice), [
        dict(number=n + 1, status="draft", organization_id=oid, period_start=DAY, period_end=DAY, invoice_date=DAY,
             due_date=DAY, currency="USD" if n % 10 else "EUR", subtotal=0, taxable_subtotal=0, total=0,
             tax_summary=[], created_by="bench") for n, oid in enumerate(orgs)])
    invoice_ids = db.session.execute(db.select(Invoice.id).order_by(Invoice.id)).scalars().all()
    db.session.execute(db.insert(InvoiceLine), [
        dict(invoice_id=iid, position=p, kind="vendor" if p < 2 else "standard", product_id=products[(n + p) % 20],
             product_code="P", description="line", quantity=Decimal(n % 30 + 1), unit_price=Decimal("12.5"),
             amount=Decimal(n % 30 + 1) * Decimal("12.5"), unit_cost=Decimal("7.125"), taxable=True,
             details={"vendor": "bench" if p < 2 else None})
        for n, iid in enumerate(invoice_ids) for p in range(1, 6)])
    db.session.execute(db.update(Invoice).values(status="issued"))  # lines first: issued invoices take none
    notes = invoice_ids[::10]
    db.session.execute(db.insert(CreditNote), [
        dict(number=n + 1, invoice_id=iid, organization_id=orgs[invoice_ids.index(iid)], credit_date=DAY,
             currency="EUR", reason="bench", subtotal=0, tax_total=0, total=0, created_by="bench")
        for n, iid in enumerate(notes)])
    note_of = dict(db.session.execute(db.select(CreditNote.invoice_id, CreditNote.id)).all())
    first_lines = db.session.execute(db.select(InvoiceLine.id, InvoiceLine.invoice_id)
                                     .where(InvoiceLine.position == 1, InvoiceLine.invoice_id.in_(notes))).all()
    db.session.execute(db.insert(CreditNoteLine), [
        dict(credit_note_id=note_of[iid], invoice_line_id=lid, position=1, product_code="P", description="line",
             quantity=1, unit_price=Decimal("12.5"), amount=Decimal("12.5"), tax_amount=0)
        for lid, iid in first_lines])
    db.session.commit()


def raw_read():
    """The floor: the same invoice and credit-note rows, read with no grouping."""
    issued = db.session.execute(
        db.select(InvoiceLine.product_id, InvoiceLine.quantity, InvoiceLine.amount, InvoiceLine.unit_cost,
                  InvoiceLine.details, Invoice.organization_id, Invoice.currency)
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(Invoice.status == "issued", Invoice.invoice_date.between(DAY, DAY))).all()
    credited = db.session.execute(
        db.select(CreditNoteLine.amount, InvoiceLine.unit_cost)
        .join(InvoiceLine, InvoiceLine.id == CreditNoteLine.invoice_line_id)
        .join(CreditNote, CreditNote.id == CreditNoteLine.credit_note_id)
        .where(CreditNote.credit_date.between(DAY, DAY))).all()
    return len(issued) + len(credited)


def median_of(fn, *args, times: int = 5):
    timings, cpu, value = [], [], None
    for _ in range(times):
        seconds, value = timed(fn, *args)
        timings.append(seconds)
        cpu.append(CPU[0])
    return statistics.median(timings), statistics.median(cpu), value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: a new SQLite file in a temporary folder")
    parser.add_argument("--invoices", type=int, default=5000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="hub-bench-"))
    with own_database(args.database_url, folder) as url:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(folder / "instance"),
                          "SECRET_KEY": "bench", "HUB_ENCRYPTION_KEYS": "kJ9l0Xy2bcoV1a7m3tXJ5qQx0Hh4m8l1b9cR2dE6fF0=",
                          "HUB_LOAD_ENTRY_POINTS": False, "HUB_LOG_LEVEL": "WARNING"})
        with app.app_context():
            from hub.billing.margin import margin_report

            db.create_all()
            seconds, _ = timed(seed, args.invoices)
            print(f"database: {db.engine.dialect.name}; set-up: {args.invoices} issued invoices x 5 lines, "
                  f"{len(range(0, args.invoices, 10))} credit notes ({seconds:.1f} s, not measured)")
            floor, _, rows = median_of(raw_read)
            print(f"raw read of the same {rows} rows: median {floor * 1000:.0f} ms of 5")
            for by in ("product", "vendor", "organization"):
                median, cpu, report = median_of(margin_report, by, DAY, DAY)
                print(f"margin per {by}: {len(report.rows)} rows, median {median * 1000:.0f} ms of 5, "
                      f"{cpu * 1000:.0f} ms CPU, {median / floor:.1f}x the raw read")
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
