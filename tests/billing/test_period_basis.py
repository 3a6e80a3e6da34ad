"""Period-true quantities through the real services: the invoice run, catch-up, in arrears, the preview,
the line's basis field (audited, errors naming it), the hold guard and proration.

Counts come from real syncs of the fake vendor; their LicenseCountHistory rows are dated into the past
(a sync records "now"), which is what a hub that ran through those months would hold.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal as D

import pytest

from hub.billing import invoices, preview, recurring
from hub.billing.errors import BillingError
from hub.billing.invoicing import reissue_invoice, run_due_invoices
from hub.extensions import db
from hub.models import AuditEvent, Invoice, InvoiceLine, LicenseCountHistory

from .conftest import ADMIN


def dated_history(vendor, external_id: str, sku: str, rows) -> None:
    """Replace a count's history by ``rows`` [(ISO datetime, quantity)]."""
    customer, sku_row = vendor.customer(external_id), vendor.sku(sku)
    db.session.execute(db.delete(LicenseCountHistory).filter_by(vendor_customer_id=customer.id, sku_id=sku_row.id))
    db.session.execute(db.insert(LicenseCountHistory), [
        dict(vendor_customer_id=customer.id, sku_id=sku_row.id, quantity=D(q), recorded_at=datetime.fromisoformat(at))
        for at, q in rows])
    db.session.commit()


MARCH = [("2026-02-20T08:00", "10"), ("2026-03-12T10:00", "14"), ("2026-03-20T06:00", "9")]


def counted_line(vendor, contoso, seats, count: int, next_run_date: date, **schedule):
    """Contoso's c1 with ``count`` seats now, mapped, on a new monthly recurring invoice's vendor line."""
    vendor.fake.add("c1", "Contoso Ltd", seats=count)
    vendor.sync()
    vendor.map("c1", contoso)
    vendor.map_sku("seats", seats)
    invoice = recurring.create_recurring_invoice(contoso.id, ADMIN, next_run_date=next_run_date, **schedule)
    line = recurring.add_line(invoice.id, ADMIN, kind="vendor", product_id=seats.id,
                              integration_id=vendor.integration.id)
    return invoice, line


@pytest.fixture
def arrears(vendor, contoso, seats):
    """Contoso's c1 (9 seats now) on a monthly invoice billed in arrears on April 1st: it bills March."""
    invoice, line = counted_line(vendor, contoso, seats, 9, date(2026, 4, 1), period_mode="in_arrears")
    dated_history(vendor, "c1", "seats", MARCH)
    return invoice, line


def _issued_line(invoice_id: int) -> InvoiceLine:
    db.session.expire_all()
    return db.session.get(Invoice, invoice_id).lines[0]


# basis -> (quantity billed for March at 10.00, the note); see test_period_counts for the arithmetic
BASES = [("at_issue", D("9"), "at issue 9: the count on 2026-03-31"), ("peak", D("14"), "peak 14 on 2026-03-12"),
         ("average", D("11"), "average 11 over 31 days (2026-03-01 to 2026-03-31)"),
         ("end", D("9"), "end 9 on 2026-03-31")]


@pytest.mark.parametrize("basis,quantity,note", BASES, ids=[b[0] for b in BASES])
def test_the_run_bills_each_basis_over_the_period(arrears, basis, quantity, note):
    invoice, line = arrears
    if basis != "at_issue":
        recurring.update_line(line.id, ADMIN, basis=basis)
    [issued] = run_due_invoices(date(2026, 4, 1), ADMIN).issued
    billed = _issued_line(issued)
    assert (billed.quantity, billed.amount) == (quantity, quantity * D("10.00"))
    assert db.session.get(Invoice, issued).status == "issued"
    # in arrears, at issue is the count of the period's last day (the issue day), from history
    assert billed.details["basis"] == basis and billed.details["measured"]["note"] == note
    assert billed.source.startswith(note)


def test_existing_lines_keep_billing_at_issue(arrears):
    _, line = arrears
    db.session.expire_all()
    assert recurring._live_line(line.id).basis == "at_issue"


def test_the_basis_is_audited_and_bad_values_name_the_field(arrears, seats, contoso):
    invoice, line = arrears
    recurring.update_line(line.id, ADMIN, basis="peak")
    event = db.session.execute(db.select(AuditEvent).filter_by(
        entity_type="recurring_line", entity_id=str(line.id), field="basis")).scalar_one()
    assert (event.old_value, event.new_value) == ("at_issue", "peak")
    with pytest.raises(BillingError) as bad:
        recurring.update_line(line.id, ADMIN, basis="weekly")
    assert bad.value.field == "basis" and "at_issue, peak, average, end" in str(bad.value)
    with pytest.raises(BillingError) as standard:
        recurring.add_line(invoice.id, ADMIN, kind="standard", product_id=seats.id, quantity="1", basis="peak")
    assert standard.value.field == "basis"
    with pytest.raises(BillingError) as arrears_proration:
        recurring.update_recurring_invoice(invoice.id, ADMIN, proration="increases")
    assert arrears_proration.value.field == "proration"


def test_catch_up_bills_each_period_its_own_counts(vendor, arrears):
    invoice, line = arrears
    recurring.update_line(line.id, ADMIN, basis="peak")
    recurring.update_recurring_invoice(invoice.id, ADMIN, next_run_date=date(2026, 3, 1))
    # February: 10 carried all month; March: peak 14; April: 9 until a 30 on the 28th... today is May 2nd
    dated_history(vendor, "c1", "seats", MARCH + [("2026-04-28T12:00", "30"), ("2026-05-02T09:00", "50")])
    result = run_due_invoices(date(2026, 5, 2), ADMIN)
    got = [(inv.period_start.isoformat(), inv.lines[0].quantity)
           for inv in sorted((db.session.get(Invoice, i) for i in result.issued), key=lambda i: i.period_start)]
    assert got == [("2026-02-01", D("10")), ("2026-03-01", D("14")), ("2026-04-01", D("30"))]


def test_a_period_with_no_history_bills_at_issue_and_waits_as_a_draft(vendor, arrears):
    invoice, line = arrears
    recurring.update_line(line.id, ADMIN, basis="average")
    recurring.update_recurring_invoice(invoice.id, ADMIN, next_run_date=date(2026, 2, 1))  # bills January
    result = run_due_invoices(date(2026, 2, 1), ADMIN)
    assert result.issued == [] and len(result.drafts) == 1
    draft = db.session.get(Invoice, result.drafts[0])
    assert draft.status == "draft" and draft.lines[0].quantity == D("9")  # the count at issue, shown as such
    assert "no count history up to 2026-01-31" in draft.lines[0].details["needs_review"]
    audit = db.session.execute(db.select(AuditEvent).filter_by(action="invoice.draft")).scalar_one()
    assert "no count history" in audit.details["needs_review"][0]


def test_the_preview_shows_the_basis_and_the_counts_behind_it(arrears):
    invoice, line = arrears
    recurring.update_line(line.id, ADMIN, basis="peak")
    shown = preview.preview_to_dict(preview.preview_invoice(invoice.id))
    [row] = shown["lines"]
    assert row["basis"] == "peak" and row["quantity"] == "14"
    assert row["basis_detail"]["note"] == "peak 14 on 2026-03-12"
    assert row["basis_detail"]["counts"][1] == {"from": "2026-03-12", "to": "2026-03-19", "quantity": "14"}
    assert row["source"].startswith("peak 14 on 2026-03-12 (counts at Fake fake)")


def test_a_held_drop_is_never_billed_below_by_a_period_basis(vendor, arrears):
    invoice, line = arrears
    recurring.update_line(line.id, ADMIN, basis="end")
    vendor.fake.add("c1", "Contoso Ltd", seats=0)
    vendor.sync()  # 9 -> 0: held (drop to zero)
    dated_history(vendor, "c1", "seats", MARCH + [("2026-03-30T12:00", "0")])
    [issued] = run_due_invoices(date(2026, 4, 1), ADMIN).issued
    billed = _issued_line(issued)
    assert billed.quantity == D("9") and "below the held quantity 9" in billed.source
    assert billed.details["measured"]["quantity"] == "0" and billed.details["quantity_state"] == "held"


def test_reissue_bills_the_void_period_with_its_own_counts(vendor, arrears):
    invoice, line = arrears
    recurring.update_line(line.id, ADMIN, basis="peak")
    [issued] = run_due_invoices(date(2026, 4, 1), ADMIN).issued
    invoices.void_invoice(issued, ADMIN, reason="typo")
    dated_history(vendor, "c1", "seats", MARCH + [("2026-04-20T00:00", "40")])  # after March: not March's
    again = reissue_invoice(issued, ADMIN, today=date(2026, 4, 25))
    assert _issued_line(again).quantity == D("14")


#: c1's seats over the first quarter of 2026 (30 now, synced later): what an at-issue line counted on its days
QUARTER = [("2026-01-10T08:00", "10"), ("2026-02-15T08:00", "14"), ("2026-03-20T08:00", "9")]

# (next run date, period mode, the run's day) -> [(period start, quantity billed, status)], worked out by hand:
# an invoice made after its issue day (the period's first day in advance, its last in arrears) bills the
# count of that day (the last row on or before it), never today's 30; on its day it bills the line as it
# stands (30); before the first row there is no history: the count now, as a draft for a person
AT_ISSUE_DAYS = [
    # a catch-up in advance: Feb 1 (10, carried since Jan 10), Mar 1 (14), Apr 1 (9)
    ((date(2026, 2, 1), "in_advance", date(2026, 4, 5)),
     [("2026-02-01", D("10"), "issued"), ("2026-03-01", D("14"), "issued"), ("2026-04-01", D("9"), "issued")]),
    # anchored on the 31st: Jan 31 (10), Feb 28, the month's end (14)
    ((date(2026, 1, 31), "in_advance", date(2026, 3, 5)),
     [("2026-01-31", D("10"), "issued"), ("2026-02-28", D("14"), "issued")]),
    # in arrears, on time: February is billed on March 1st at its last day's count (14), not today's
    ((date(2026, 3, 1), "in_arrears", date(2026, 3, 1)), [("2026-02-01", D("14"), "issued")]),
    # in arrears, caught up: January (10 on the 31st), February (14 on the 28th), March (9 on the 31st)
    ((date(2026, 2, 1), "in_arrears", date(2026, 4, 5)),
     [("2026-01-01", D("10"), "issued"), ("2026-02-01", D("14"), "issued"), ("2026-03-01", D("9"), "issued")]),
    # on its day, in advance: the line as it stands now
    ((date(2026, 3, 1), "in_advance", date(2026, 3, 1)), [("2026-03-01", D("30"), "issued")]),
    # issued late, but before any history (Jan 1 < Jan 10): billed at issue, waiting for a person
    ((date(2026, 1, 1), "in_advance", date(2026, 1, 5)), [("2026-01-01", D("30"), "draft")]),
]


@pytest.mark.parametrize("when,expected", AT_ISSUE_DAYS, ids=[f"{w[1]}-{w[0]}-run-{w[2]}" for w, _ in AT_ISSUE_DAYS])
def test_an_at_issue_line_made_after_its_issue_day_bills_that_days_count(vendor, contoso, seats, when, expected):
    next_run_date, mode, today = when
    invoice, line = counted_line(vendor, contoso, seats, 30, next_run_date, period_mode=mode)
    dated_history(vendor, "c1", "seats", QUARTER)
    result = run_due_invoices(today, ADMIN)
    made = sorted((db.session.get(Invoice, i) for i in result.issued + result.drafts), key=lambda i: i.period_start)
    assert [(i.period_start.isoformat(), i.lines[0].quantity, i.status) for i in made] == expected
    for i in made:
        details = i.lines[0].details
        assert details["basis"] == "at_issue"
        if i.status == "draft":
            assert "no count history" in details["needs_review"]
        elif "measured" in details:  # made after its issue day: says which day's count it bills
            assert i.lines[0].source.startswith(f"at issue {details['measured']['quantity']}: the count on ")
        else:
            assert i.lines[0].source.startswith("30 counted at")


def test_a_reissued_at_issue_line_bills_its_periods_count_not_todays(vendor, contoso, seats):
    invoice, line = counted_line(vendor, contoso, seats, 30, date(2026, 2, 1))
    dated_history(vendor, "c1", "seats", QUARTER)
    [first] = run_due_invoices(date(2026, 2, 1), ADMIN).issued  # on its day: the line as it stands, 30
    assert _issued_line(first).quantity == D("30")
    invoices.void_invoice(first, ADMIN, reason="counted before the vendor's cleanup")
    again = reissue_invoice(first, ADMIN, today=date(2026, 3, 5))  # February's issue day: 10
    assert _issued_line(again).quantity == D("10")
    assert _issued_line(again).details["measured"]["note"] == "at issue 10: the count on 2026-02-01"
    preview_now = preview.preview_invoice(invoice.id, as_of=date(2026, 3, 5))  # March, due Mar 1: 14 that day
    assert preview_now.lines[0].line.quantity == D("14")


# -- proration ---------------------------------------------------------------------------------------

@pytest.fixture
def advance(vendor, contoso, seats):
    """Contoso's c1 (10 seats) on a monthly invoice billed in advance from March 1st 2026, prorated."""
    vendor.policy(None, None)  # no seat or percent limit: decreases apply (and may be credited)
    invoice, line = counted_line(vendor, contoso, seats, 10, date(2026, 3, 1), proration="increases")
    dated_history(vendor, "c1", "seats", [("2026-02-20T08:00", "10")])
    [first] = run_due_invoices(date(2026, 3, 1), ADMIN).issued
    assert _issued_line(first).quantity == D("10")
    dated_history(vendor, "c1", "seats", MARCH)  # +4 from the 12th, then 9 from the 20th
    return invoice, line


def _lines(invoice_id):
    db.session.expire_all()
    return [(ln.kind, ln.quantity, ln.amount, ln.description) for ln in db.session.get(Invoice, invoice_id).lines]


def test_an_increase_is_charged_pro_rata_on_the_next_invoice(advance):
    # +4 seats for the 12th to the 19th: 8 of 31 days; 4 x 8 / 31 = 1.03225.. -> 1.0323; x 10.00 = 10.323 -> 10.32
    [second] = run_due_invoices(date(2026, 4, 1), ADMIN).issued
    assert _lines(second) == [
        ("vendor", D("10"), D("100.00"), "Product SEATS"),
        ("proration", D("1.0323"), D("10.32"),
         "Product SEATS: +4 from 2026-03-12 to 2026-03-19 (8 of 31 days), prorated")]
    assert db.session.get(Invoice, second).subtotal == D("110.32")


def test_an_increase_from_zero_is_charged_pro_rata(vendor, contoso, seats, make_product):
    """c1 counted 0 when March was invoiced, so the vendor line billed nothing and was not on that invoice (a
    support line was); 4 seats from the 12th: April's invoice charges them for March's last 20 days."""
    vendor.policy(None, None)
    invoice, line = counted_line(vendor, contoso, seats, 0, date(2026, 3, 1), proration="increases")
    support = make_product("SUPPORT", price="50.00", cost="0")
    recurring.add_line(invoice.id, ADMIN, kind="standard", product_id=support.id, quantity="1")
    dated_history(vendor, "c1", "seats", [("2026-02-20T08:00", "0")])
    [first] = run_due_invoices(date(2026, 3, 1), ADMIN).issued
    assert [kind for kind, *_ in _lines(first)] == ["standard"]  # the vendor line billed 0: not on it
    vendor.fake.add("c1", "Contoso Ltd", seats=4)
    vendor.sync()  # the line follows: 0 -> 4
    dated_history(vendor, "c1", "seats", [("2026-02-20T08:00", "0"), ("2026-03-12T10:00", "4")])
    [second] = run_due_invoices(date(2026, 4, 1), ADMIN).issued
    # +4 from the 12th to the 31st: 20 of 31 days; 4 x 20 / 31 = 2.58064.. -> 2.5806; x 10.00 = 25.806 -> 25.81
    assert _lines(second) == [
        ("vendor", D("4"), D("40.00"), "Product SEATS"), ("standard", D("1"), D("50.00"), "Product SUPPORT"),
        ("proration", D("2.5806"), D("25.81"),
         "Product SEATS: +4 from 2026-03-12 to 2026-03-31 (20 of 31 days), prorated")]
    [prorated] = [ln for ln in db.session.get(Invoice, second).lines if ln.kind == "proration"]
    assert "billed 0 for 2026-03-01 to 2026-03-31" in prorated.source


# (first run, its history, the next run, the history then) -> the next invoice's proration lines, by hand:
# (quantity = difference x days / days in the period, rounded half-up to 4 places; amount at 10.00, to cents)
PRORATION_TABLE = [
    # anchored on the 31st: January's invoice bills Jan 31 to Feb 27 (28 days); +2 from the 20th: 8 days,
    # 2 x 8 / 28 = 0.571428.. -> 0.5714, x 10.00 = 5.714 -> 5.71
    ((date(2026, 1, 31), [("2026-01-20T08:00", "10")], date(2026, 2, 28),
      [("2026-01-20T08:00", "10"), ("2026-02-20T09:00", "12")]),
     [("proration", D("0.5714"), D("5.71"),
       "Product SEATS: +2 from 2026-02-20 to 2026-02-27 (8 of 28 days), prorated")]),
    # a gap in the history carries the count: one row on March 5th (14) holds to the month's end: 27 of 31
    # days, 4 x 27 / 31 = 3.483870.. -> 3.4839, x 10.00 = 34.839 -> 34.84
    ((date(2026, 3, 1), [("2026-02-20T08:00", "10")], date(2026, 4, 1),
      [("2026-02-20T08:00", "10"), ("2026-03-05T08:00", "14")]),
     [("proration", D("3.4839"), D("34.84"),
       "Product SEATS: +4 from 2026-03-05 to 2026-03-31 (27 of 31 days), prorated")]),
    # no history in the period billed before (its only row came after it): nothing is known, nothing charged
    ((date(2026, 3, 1), [("2026-02-20T08:00", "10")], date(2026, 4, 1), [("2026-04-02T08:00", "15")]), []),
]


@pytest.mark.parametrize("when,expected", PRORATION_TABLE, ids=["month-end", "history-gap", "no-history"])
def test_proration_table(vendor, contoso, seats, when, expected):
    first_day, first_history, next_day, next_history = when
    vendor.policy(None, None)
    counted_line(vendor, contoso, seats, 10, first_day, proration="increases")
    dated_history(vendor, "c1", "seats", first_history)
    [first] = run_due_invoices(first_day, ADMIN).issued
    assert _lines(first) == [("vendor", D("10"), D("100.00"), "Product SEATS")]
    dated_history(vendor, "c1", "seats", next_history)
    [second] = run_due_invoices(next_day, ADMIN).issued
    assert [ln for ln in _lines(second) if ln[0] == "proration"] == expected


def test_decreases_are_credited_only_when_chosen_and_within_the_hold_policy(vendor, advance):
    invoice, _ = advance
    recurring.update_recurring_invoice(invoice.id, ADMIN, proration="credits")
    shown = preview.preview_invoice(invoice.id, date(2026, 4, 1))
    prorated = [(pl.line.quantity, pl.line.amount) for pl in shown.lines if pl.line.kind == "proration"]
    # -1 seat for the 20th to the 31st: 12 of 31 days; -1 x 12 / 31 = -0.38709.. -> -0.3871; x 10 = -3.871 -> -3.87
    assert prorated == [(D("1.0323"), D("10.32")), (D("-0.3871"), D("-3.87"))]
    vendor.policy(0, None)  # any decrease is held: nothing is credited
    shown = preview.preview_invoice(invoice.id, date(2026, 4, 1))
    assert [pl.line.quantity for pl in shown.lines if pl.line.kind == "proration"] == [D("1.0323")]


def test_proration_in_a_leap_february(vendor, contoso, seats):
    counted_line(vendor, contoso, seats, 3, date(2028, 2, 1), proration="increases")
    dated_history(vendor, "c1", "seats", [("2028-01-10T00:00", "3")])
    run_due_invoices(date(2028, 2, 1), ADMIN)
    dated_history(vendor, "c1", "seats", [("2028-01-10T00:00", "3"), ("2028-02-20T15:00", "5")])
    [march] = run_due_invoices(date(2028, 3, 1), ADMIN).issued
    # +2 for the 20th to the 29th: 10 of 29 days; 2 x 10 / 29 = 0.68965.. -> 0.6897; x 10.00 = 6.897 -> 6.90
    assert _lines(march)[1] == ("proration", D("0.6897"), D("6.90"),
                                "Product SEATS: +2 from 2028-02-20 to 2028-02-29 (10 of 29 days), prorated")


def test_no_proration_when_off(vendor, advance):
    invoice, _ = advance
    recurring.update_recurring_invoice(invoice.id, ADMIN, proration="off")
    [second] = run_due_invoices(date(2026, 4, 1), ADMIN).issued
    assert [k for k, *_ in _lines(second)] == ["vendor"]


def test_a_line_that_counts_nothing_now_or_then_bills_nothing_without_a_draft(vendor, contoso, seats, make_org):
    empty = make_org("Empty Ltd")  # no vendor customer at all: no count now, no history
    vendor.fake.add("c1", "Contoso Ltd", seats=4)
    vendor.sync()
    vendor.map_sku("seats", seats)
    invoice = recurring.create_recurring_invoice(empty.id, ADMIN, next_run_date=date(2026, 4, 1),
                                                 period_mode="in_arrears")
    line = recurring.add_line(invoice.id, ADMIN, kind="vendor", product_id=seats.id,
                              integration_id=vendor.integration.id, basis="peak", min_quantity="2")
    result = run_due_invoices(date(2026, 4, 1), ADMIN)
    assert result.drafts == [] and len(result.issued) == 1
    billed = _issued_line(result.issued[0])
    assert (billed.recurring_line_id, billed.quantity) == (line.id, D("2"))  # its minimum, as at issue
    assert "no count history up to 2026-03-31 and no count now" in billed.source
