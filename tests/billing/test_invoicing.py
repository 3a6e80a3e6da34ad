"""The invoice run: what it copies, numbering, periods, catch-up, drafts, voids, and issued invoices never changing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy.exc import IntegrityError

from hub.billing import invoices, invoicing, recurring
from hub.billing.errors import BillingError
from hub.billing.invoicing import run_due_invoices
from hub.extensions import db
from hub.models import AuditEvent, Invoice, InvoiceLine, QuantityChange, RecurringInvoice

from .conftest import ADMIN


@pytest.fixture
def support(make_product):
    return make_product("SUPPORT", price="99.95", cost="0", taxable=False)


def _invoices():
    db.session.expire_all()
    return list(db.session.execute(db.select(Invoice).order_by(Invoice.id)).scalars())


def test_run_copies_each_line_with_its_evidence(billed, vendor, support):
    invoice_schedule, vendor_line = billed
    recurring.add_line(invoice_schedule.id, ADMIN, kind="standard", product_id=support.id, quantity="2")
    vendor.fake.counts["c1"]["seats"] = 23
    run = vendor.sync()
    result = run_due_invoices(date(2024, 1, 31))
    [invoice] = _invoices()
    assert result.issued == [invoice.id] and result.skipped == []
    assert (invoice.status, invoice.number, invoice.organization.name) == ("issued", 1, "Contoso")
    assert (invoice.period_start, invoice.period_end) == (date(2024, 1, 31), date(2024, 2, 28))
    assert (invoice.invoice_date, invoice.due_date) == (date(2024, 1, 31), date(2024, 3, 1))
    seats_line, support_line = invoice.lines
    change = db.session.execute(db.select(QuantityChange).filter_by(line_id=vendor_line.id)
                                .order_by(QuantityChange.id.desc())).scalars().first()
    assert (seats_line.quantity, seats_line.unit_price, seats_line.amount) == (23, Decimal("10"), Decimal("230.00"))
    assert (seats_line.quantity_change_id, seats_line.sync_run_id) == (change.id, run.id)
    assert seats_line.source == f"23 counted at Fake fake (change {change.id}, sync run {run.id})"
    assert (support_line.quantity, support_line.amount, support_line.taxable) == (2, Decimal("199.90"), False)
    assert support_line.source == "fixed quantity" and support_line.quantity_change_id is None
    assert (invoice.subtotal, invoice.taxable_subtotal, invoice.total) == (
        Decimal("429.90"), Decimal("230.00"), Decimal("429.90"))
    assert db.session.get(RecurringInvoice, invoice_schedule.id).next_run_date == date(2024, 2, 29)
    audit = db.session.execute(db.select(AuditEvent).filter_by(action="invoice.issue")).scalar_one()
    assert (audit.entity_id, audit.new_value, audit.details["number"]) == (str(invoice.id), "429.90", 1)


def test_second_run_issues_nothing_and_missed_periods_are_caught_up(billed):
    invoice_schedule, _ = billed
    assert run_due_invoices(date(2024, 1, 30)).issued == []  # not due yet
    first = run_due_invoices(date(2024, 5, 1))  # Jan 31, Feb 29, Mar 31, Apr 30 are due
    assert len(first.issued) == 4
    assert run_due_invoices(date(2024, 5, 1)).issued == []
    rows = [(i.number, i.period_start, i.period_end) for i in _invoices()]
    assert rows == [(1, date(2024, 1, 31), date(2024, 2, 28)), (2, date(2024, 2, 29), date(2024, 3, 30)),
                    (3, date(2024, 3, 31), date(2024, 4, 29)), (4, date(2024, 4, 30), date(2024, 5, 30))]
    assert db.session.get(RecurringInvoice, invoice_schedule.id).next_run_date == date(2024, 5, 31)


def test_in_arrears_bills_the_period_that_ended(billed):
    invoice_schedule, _ = billed
    recurring.update_recurring_invoice(invoice_schedule.id, ADMIN, period_mode="in_arrears",
                                       next_run_date="2024-03-01", frequency="quarterly")
    run_due_invoices(date(2024, 3, 1))
    [invoice] = _invoices()
    assert (invoice.period_start, invoice.period_end, invoice.invoice_date) == (
        date(2023, 12, 1), date(2024, 2, 29), date(2024, 3, 1))
    assert db.session.get(RecurringInvoice, invoice_schedule.id).next_run_date == date(2024, 6, 1)


# (min quantity, price override, markup %, do not bill, count) -> (billed quantity, unit price, amount) or None
RULES = [
    ("plain", None, None, None, False, 20, (20, "10", "200.00")),
    ("minimum applies", "25", None, None, False, 20, (25, "10", "250.00")),
    ("minimum below count", "5", None, None, False, 20, (20, "10", "200.00")),
    ("price override", None, "7.333", None, False, 20, (20, "7.333", "146.66")),
    ("markup on cost", None, None, "12.5", False, 20, (20, "6.75", "135.00")),
    ("markup and minimum", "30", None, "50", False, 20, (30, "9", "270.00")),
    ("do not bill", "30", None, None, True, 20, None),
    ("count of zero", None, None, None, False, 0, None),
    ("zero count, minimum", "3", None, None, False, 0, (3, "10", "30.00")),
]


@pytest.mark.parametrize("name, minimum, override, markup, do_not_bill, count, expected", RULES,
                         ids=[r[0] for r in RULES])
def test_quantity_and_price_rules_on_the_invoice(billed, vendor, support, name, minimum, override, markup,
                                                 do_not_bill, count, expected):
    invoice_schedule, line = billed
    recurring.add_line(invoice_schedule.id, ADMIN, kind="standard", product_id=support.id, quantity="1")
    vendor.policy(None, None)
    vendor.fake.counts["c1"]["seats"] = count
    vendor.fake.counts["c1"]["keep_listed"] = 1
    vendor.sync()
    if count == 0:  # a drop to zero is always held: approve it
        from hub.billing import pending

        pending.approve_changes([p.change.id for p in pending.list_pending_changes()], ADMIN)
    recurring.update_line(line.id, ADMIN, min_quantity=minimum, unit_price_override=override, markup_pct=markup,
                          do_not_bill=do_not_bill)
    run_due_invoices(date(2024, 1, 31))
    [invoice] = _invoices()
    vendor_lines = [ln for ln in invoice.lines if ln.kind == "vendor"]
    if expected is None:
        assert vendor_lines == []  # billing nothing: left off the invoice
        assert invoice.total == Decimal("99.95")
    else:
        quantity, price, amount = expected
        [ln] = vendor_lines
        assert (ln.quantity, ln.unit_price, ln.amount) == (quantity, Decimal(price), Decimal(amount))
        assert invoice.total == Decimal(amount) + Decimal("99.95")


def test_nothing_to_bill_makes_no_invoice_but_moves_on(contoso):
    schedule = recurring.create_recurring_invoice(contoso.id, ADMIN, next_run_date="2024-01-15")
    result = run_due_invoices(date(2024, 1, 15))
    assert result.empty == [(schedule.id, date(2024, 1, 15))] and _invoices() == []
    assert db.session.get(RecurringInvoice, schedule.id).next_run_date == date(2024, 2, 15)


def test_inactive_schedules_are_not_run(billed):
    invoice_schedule, _ = billed
    recurring.update_recurring_invoice(invoice_schedule.id, ADMIN, active=False)
    assert run_due_invoices(date(2024, 3, 1)).issued == []


def test_numbers_are_sequential_across_schedules_and_drafts_get_theirs_when_issued(billed, make_org, support):
    schedules = [billed[0]]
    for name in ("B", "C"):
        org = make_org(name)
        s = recurring.create_recurring_invoice(org.id, ADMIN, next_run_date="2024-01-31", auto_issue=name != "B")
        recurring.add_line(s.id, ADMIN, kind="standard", product_id=support.id, quantity="1")
        schedules.append(s)
    result = run_due_invoices(date(2024, 1, 31))
    assert len(result.issued) == 2 and len(result.drafts) == 1
    [draft] = [i for i in _invoices() if i.status == "draft"]
    assert draft.number is None
    assert sorted(i.number for i in _invoices() if i.number) == [1, 2]
    invoices.issue_invoice(draft.id, ADMIN)
    assert db.session.get(Invoice, draft.id).number == 3
    with pytest.raises(BillingError) as info:
        invoices.issue_invoice(draft.id, ADMIN)
    assert info.value.field == "invoice_id"


def test_a_live_invoice_keeps_its_period_claimed_and_a_void_one_frees_it(billed):
    invoice_schedule, _ = billed
    run_due_invoices(date(2024, 1, 31))
    [invoice] = _invoices()
    with pytest.raises(BillingError) as info:
        invoices.void_invoice(invoice.id, ADMIN, "  ")
    assert info.value.field == "reason"
    # someone moves the schedule back by hand while the invoice is live: the period is skipped
    recurring.update_recurring_invoice(invoice_schedule.id, ADMIN, next_run_date="2024-01-31")
    result = run_due_invoices(date(2024, 1, 31))
    assert result.issued == [] and "already has invoice" in result.skipped[0][1]
    assert db.session.get(RecurringInvoice, invoice_schedule.id).next_run_date == date(2024, 2, 29)
    invoices.void_invoice(invoice.id, ADMIN, "sent to the wrong contact")
    assert db.session.get(Invoice, invoice.id).status == "void"
    # once void, moving the schedule back bills the period again, with the next number
    recurring.update_recurring_invoice(invoice_schedule.id, ADMIN, next_run_date="2024-01-31")
    result = run_due_invoices(date(2024, 1, 31))
    assert len(result.issued) == 1 and result.skipped == []
    again = db.session.get(Invoice, result.issued[0])
    assert (again.period_start, again.number, again.status) == (invoice.period_start, invoice.number + 1, "issued")


def test_void_and_reissue(billed, make_org):
    invoice_schedule, _ = billed
    run_due_invoices(date(2024, 1, 31))
    [first] = _invoices()
    with pytest.raises(BillingError, match="void it before") as info:
        invoicing.reissue_invoice(first.id, ADMIN)
    assert info.value.field == "invoice_id"
    invoices.void_invoice(first.id, ADMIN, "wrong seats")
    new_id = invoicing.reissue_invoice(first.id, ADMIN, today=date(2024, 2, 3))
    old, new = _invoices()
    assert new.id == new_id and (new.status, new.number) == ("issued", old.number + 1)  # gapless
    assert (new.period_start, new.period_end) == (old.period_start, old.period_end)
    assert (new.invoice_date, new.due_date) == (date(2024, 2, 3), date(2024, 3, 4))
    assert [(ln.quantity, ln.amount) for ln in new.lines] == [(ln.quantity, ln.amount) for ln in old.lines]
    event = db.session.execute(db.select(AuditEvent).filter_by(action="invoice.issue", entity_id=str(new.id))
                               ).scalar_one()
    assert event.details["replaces"] == old.id
    with pytest.raises(BillingError, match="already has invoice"):  # one live invoice per period
        invoicing.reissue_invoice(first.id, ADMIN)
    assert db.session.get(RecurringInvoice, invoice_schedule.id).next_run_date == date(2024, 2, 29)  # untouched
    # and the database itself refuses a second live invoice for the period
    db.session.add(Invoice(recurring_invoice_id=new.recurring_invoice_id, organization_id=new.organization_id,
                           period_start=new.period_start, period_end=new.period_end, invoice_date=new.invoice_date,
                           due_date=new.due_date, currency="USD", created_by="raw"))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    # the next number after a reissue is still the next one
    assert invoices.list_invoices()[0].number == 2
    assert run_due_invoices(date(2024, 2, 29)).issued and _invoices()[-1].number == 3


@pytest.mark.parametrize("change", [
    lambda inv: setattr(inv, "total", Decimal("1.00")),
    lambda inv: setattr(inv, "memo", "edited"),
    lambda inv: setattr(inv, "status", "draft"),
    lambda inv: setattr(inv, "number", 99),
    lambda inv: setattr(inv.lines[0], "amount", Decimal("0.01")),
    lambda inv: db.session.delete(inv.lines[0]),
    lambda inv: db.session.add(InvoiceLine(invoice_id=inv.id, kind="standard", product_code="X", description="X",
                                           quantity=1, unit_price=1, amount=1)),
    lambda inv: db.session.delete(inv),
], ids=["total", "memo", "back_to_draft", "number", "line_amount", "line_delete", "line_add", "delete"])
def test_issued_invoices_never_change(billed, change):
    run_due_invoices(date(2024, 1, 31))
    [invoice] = _invoices()
    change(invoice)
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    assert _invoices()[0].total == Decimal("200.00")


def test_issued_invoices_refuse_raw_sql_too_and_a_void_one_is_final(billed):
    run_due_invoices(date(2024, 1, 31))
    [invoice] = _invoices()
    for statement in ("UPDATE invoices SET total = 0", "UPDATE invoice_lines SET quantity = 1",
                      "DELETE FROM invoice_lines"):
        with pytest.raises(IntegrityError):
            db.session.execute(db.text(statement))
        db.session.rollback()
    invoices.void_invoice(invoice.id, ADMIN, "duplicate")
    with pytest.raises(IntegrityError):
        db.session.execute(db.text("UPDATE invoices SET void_reason = 'changed my mind'"))
    db.session.rollback()
    with pytest.raises(BillingError):
        invoices.void_invoice(invoice.id, ADMIN, "again")


def test_daily_job_is_registered_and_runs(app, billed):
    from hub.billing.jobs import JOB_ID, run_invoice_job
    from hub.sync.jobs import EXTRA_JOBS, build_scheduler
    from hub.timeutil import utcnow

    assert [j for j in EXTRA_JOBS if j[0] == JOB_ID][0][2]["trigger"] == "cron"
    scheduler = build_scheduler(app)
    assert scheduler.get_job(JOB_ID) is not None
    invoice_schedule, _ = billed
    recurring.update_recurring_invoice(invoice_schedule.id, ADMIN, next_run_date=utcnow().date())
    run_invoice_job(app)
    assert len(_invoices()) == 1
