"""A customer that left an Organization (remapped, unmapped, archived while Detached) still counts for it in
the periods it belonged to it, and for its new Organization only from the day it moved: period bases,
at-issue lines past their issue day, catch-up and the preview all read the same past mappings.

The mapping changes happen "now" (a mapping records the moment); moving them into the test's world in
2026 is what a hub that ran through those months would hold, as ``dated_history`` does for counts.
"""

from __future__ import annotations

import importlib.util
from datetime import date, datetime
from decimal import Decimal as D

import pytest

from hub import MIGRATIONS_DIR, mapping
from hub.billing import pending, preview, recurring
from hub.billing.invoicing import run_due_invoices
from hub.extensions import db
from hub.models import ChangeStatus, Invoice, PastMapping, QuantityChange, VendorCustomer

from .conftest import ADMIN
from .test_period_basis import MARCH, counted_line, dated_history


def moved_on(vendor, external_id: str, moment: str) -> None:
    """Date the customer's last mapping change (its newest past mapping's end, its mapped_at) at ``moment``."""
    customer = vendor.customer(external_id)
    at = datetime.fromisoformat(moment)
    newest = db.session.execute(db.select(PastMapping).filter_by(vendor_customer_id=customer.id)
                                .order_by(PastMapping.id.desc()).limit(1)).scalar_one()
    newest.mapped_until = at
    if customer.organization_id is not None:
        customer.mapped_at = at
    db.session.commit()


def approve_held() -> None:
    """The billing user approves the drops the move held (the line would not bill below a held quantity)."""
    held = list(db.session.execute(db.select(QuantityChange.id).filter_by(status=ChangeStatus.PENDING.value)).scalars())
    if held:
        pending.approve_changes(held, ADMIN)


@pytest.fixture
def fabrikam(make_org):
    return make_org("Fabrikam")


@pytest.fixture
def two_lines(vendor, contoso, fabrikam, seats):
    """c1 on Contoso with March's history (10, 14 on the 12th, 9 on the 20th), moved to Fabrikam on March 15th;
    each Organization has a monthly invoice billed in arrears on April 1st (March)."""
    contoso_invoice, contoso_line = counted_line(vendor, contoso, seats, 9, date(2026, 4, 1), period_mode="in_arrears")
    dated_history(vendor, "c1", "seats", MARCH)
    fabrikam_invoice = recurring.create_recurring_invoice(fabrikam.id, ADMIN, next_run_date=date(2026, 4, 1),
                                                          period_mode="in_arrears")
    fabrikam_line = recurring.add_line(fabrikam_invoice.id, ADMIN, kind="vendor", product_id=seats.id,
                                       integration_id=vendor.integration.id)
    vendor.map("c1", fabrikam)
    moved_on(vendor, "c1", "2026-03-15T10:00")
    approve_held()
    return {"Contoso": (contoso_invoice, contoso_line), "Fabrikam": (fabrikam_invoice, fabrikam_line)}


def _billed(result) -> dict[str, D]:
    """What each Organization's invoice billed; an Organization with no invoice (nothing counted) billed 0."""
    db.session.expire_all()
    out = {"Contoso": D(0), "Fabrikam": D(0)}
    for invoice_id in result.issued + result.drafts:
        invoice = db.session.get(Invoice, invoice_id)
        out[invoice.organization.name] = invoice.lines[0].quantity if invoice.lines else D(0)
    return out


# Contoso held c1 on March 1-14 (10 until the 12th, then 14); Fabrikam on March 15-31 (14, then 9 from the 20th)
SPLIT = [("peak", D("14"), D("14")),
         ("average", D("5"), D("6")),   # (11 x 10 + 3 x 14) / 31 = 4.90; (5 x 14 + 12 x 9) / 31 = 5.74
         ("end", D("0"), D("9")),
         ("at_issue", D("0"), D("9"))]  # in arrears: the count of March 31st


@pytest.mark.parametrize("basis,contoso_quantity,fabrikam_quantity", SPLIT, ids=[s[0] for s in SPLIT])
def test_a_moved_customer_counts_for_each_organization_on_its_own_days(two_lines, basis, contoso_quantity,
                                                                       fabrikam_quantity):
    for _, line in two_lines.values():
        if basis != "at_issue":
            recurring.update_line(line.id, ADMIN, basis=basis)
    result = run_due_invoices(date(2026, 4, 2), ADMIN)
    assert _billed(result) == {"Contoso": contoso_quantity, "Fabrikam": fabrikam_quantity}


def test_the_preview_splits_the_period_as_the_run_does(two_lines):
    for _, line in two_lines.values():
        recurring.update_line(line.id, ADMIN, basis="average")
    got = {}
    for name, (invoice, _) in two_lines.items():
        got[name] = preview.preview_invoice(invoice.id, as_of=date(2026, 4, 2)).lines[0].line.quantity
    assert got == {"Contoso": D("5"), "Fabrikam": D("6")}


def test_an_archived_customer_still_counts_in_the_periods_before_it_left(vendor, contoso, seats):
    invoice, line = counted_line(vendor, contoso, seats, 9, date(2026, 4, 1), period_mode="in_arrears")
    dated_history(vendor, "c1", "seats", MARCH)
    recurring.update_line(line.id, ADMIN, basis="peak")
    vendor.integration.detach_threshold_pct = D(100)
    vendor.fake.add("x", "Someone else", seats=1)  # so that c1 is not every active customer
    vendor.sync()
    vendor.fake.remove("c1")
    vendor.sync()            # Detached
    vendor.unmap("c1")       # archived: out of the mapping table and the current counts
    customer = vendor.customer("c1")
    assert customer.archived_at is not None and customer.organization_id is None
    # the invoice for March, made late: March's peak was 14 while Contoso held c1
    [issued] = run_due_invoices(date(2026, 4, 20), ADMIN).issued
    assert _billed_line(issued) == D("14")


def test_an_unmapped_customer_counts_until_the_day_it_was_unmapped(vendor, contoso, seats):
    invoice, line = counted_line(vendor, contoso, seats, 9, date(2026, 4, 1), period_mode="in_arrears")
    dated_history(vendor, "c1", "seats", MARCH)
    recurring.update_line(line.id, ADMIN, basis="average")
    vendor.unmap("c1")
    moved_on(vendor, "c1", "2026-03-12T08:00")  # held March 1-11 at 10 seats
    approve_held()
    [invoice_id] = (result := run_due_invoices(date(2026, 4, 2), ADMIN)).issued + result.drafts
    assert _billed_line(invoice_id) == D("4")  # 11 x 10 / 31 = 3.55


def test_mapped_again_it_counts_from_the_day_it_came_back(vendor, contoso, fabrikam, seats):
    """Contoso -> Fabrikam on the 10th -> Contoso again on the 20th: Contoso holds 1-9 and 20-31."""
    invoice, line = counted_line(vendor, contoso, seats, 9, date(2026, 4, 1), period_mode="in_arrears")
    dated_history(vendor, "c1", "seats", [("2026-02-20T08:00", "10")])
    recurring.update_line(line.id, ADMIN, basis="average")
    vendor.map("c1", fabrikam)
    moved_on(vendor, "c1", "2026-03-10T08:00")
    vendor.map("c1", contoso)
    moved_on(vendor, "c1", "2026-03-20T08:00")
    approve_held()
    [invoice_id] = (result := run_due_invoices(date(2026, 4, 2), ADMIN)).issued + result.drafts
    assert _billed_line(invoice_id) == D("7")  # (9 + 12) x 10 / 31 = 6.77


def _billed_line(invoice_id: int) -> D:
    db.session.expire_all()
    return db.session.get(Invoice, invoice_id).lines[0].quantity


def contoso_fabrikam_nobody_contoso(vendor, contoso, fabrikam) -> None:
    """c1 (3 seats) mapped to Contoso, remapped to Fabrikam, unmapped, mapped to Contoso again."""
    vendor.fake.add("c1", "Contoso Ltd", seats=3)
    vendor.sync()
    for organization in (contoso, fabrikam, None, contoso):
        if organization is None:
            vendor.unmap("c1")
        else:
            vendor.map("c1", organization)


def test_each_ended_mapping_is_kept_with_its_days(vendor, contoso, fabrikam):
    contoso_fabrikam_nobody_contoso(vendor, contoso, fabrikam)
    customer = vendor.customer("c1")
    rows = db.session.execute(db.select(PastMapping).filter_by(vendor_customer_id=customer.id)
                              .order_by(PastMapping.id)).scalars().all()
    assert [(r.organization_id, r.mapped_from is None) for r in rows] == [(contoso.id, True), (fabrikam.id, False)]
    # each later span starts when its mapping was made and ends when the next change came
    assert rows[0].mapped_until == rows[1].mapped_from
    assert rows[1].mapped_until <= customer.mapped_at


def test_the_upgrade_rebuilds_past_mappings_from_the_audit_log(vendor, contoso, fabrikam):
    """Migration 0023 replays the mapping changes the audit log holds: the same rows the live code writes."""
    vendor.fake.add("c2", "Other", seats=1)
    contoso_fabrikam_nobody_contoso(vendor, contoso, fabrikam)
    vendor.map("c2", fabrikam)
    vendor.integration.detach_threshold_pct = D(100)
    vendor.fake.remove("c2")
    vendor.sync()
    vendor.unmap("c2")  # archived
    live = _spans()
    assert len(live) == 3
    spec = importlib.util.spec_from_file_location("past_mappings_0023",
                                                  f"{MIGRATIONS_DIR}/versions/0023_past_mappings.py")
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    replayed = migration.replayed_past_mappings(db.session.connection())
    assert sorted((r["vendor_customer_id"], r["organization_id"], r["mapped_from"], r["mapped_until"])
                  for r in replayed) == live


def _spans():
    return sorted(db.session.execute(db.select(PastMapping.vendor_customer_id, PastMapping.organization_id,
                                               PastMapping.mapped_from, PastMapping.mapped_until)).all())


def test_an_organization_with_only_past_mappings_can_be_deleted(vendor, fabrikam, contoso):
    from hub.organizations import delete_organization

    vendor.fake.add("c1", "Contoso Ltd", seats=3)
    vendor.sync()
    vendor.map("c1", fabrikam)
    vendor.map("c1", contoso)
    delete_organization(fabrikam.id, ADMIN)
    assert db.session.execute(db.select(PastMapping).filter_by(organization_id=fabrikam.id)).first() is None
    assert db.session.get(VendorCustomer, vendor.customer("c1").id).organization_id == contoso.id

