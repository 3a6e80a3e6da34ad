"""The line form takes the counting basis, the recurring invoice form the proration; errors name the field."""

from __future__ import annotations

from hub.models import RecurringInvoice, RecurringLine
from tests.web.billing_fixtures import billing_world  # noqa: F401  (fixture)
from tests.web.billing_fixtures import fake_integration_id
from tests.web.billing_helpers import audit_count, field_error, fresh, text_of


def test_the_line_form_sets_the_basis_and_names_a_bad_one(client, auth, billing_world):
    auth.login("billing")
    recurring_id, line_id = billing_world["recurring_id"], billing_world["line_id"]
    url = f"/billing/recurring/{recurring_id}/lines/{line_id}/edit"
    form = client.get(url).data.decode()
    assert '<option value="at_issue" selected>' in form and '<option value="peak">' in form
    edit = {"kind": "vendor", "product_id": str(billing_world["product_id"]),
            "integration_id": str(fake_integration_id()), "basis": "peak"}
    assert client.post(url, data=edit).status_code == 302
    assert fresh(RecurringLine, line_id).basis == "peak"
    events = audit_count()
    bad = client.post(url, data={**edit, "basis": "weekly"})
    assert bad.status_code == 400
    assert "Counting basis: choose one of at_issue, peak, average, end" in field_error(bad.data.decode(), "basis")
    assert fresh(RecurringLine, line_id).basis == "peak" and audit_count() == events
    page = text_of(client.get(f"/billing/recurring/{recurring_id}/preview").data.decode())
    assert "peak" in page


def test_the_recurring_form_refuses_proration_in_arrears(client, auth, billing_world):
    auth.login("billing")
    recurring_id = billing_world["recurring_id"]
    item = fresh(RecurringInvoice, recurring_id)
    form = {"name": item.name, "frequency": item.frequency, "period_mode": "in_arrears",
            "next_run_date": item.next_run_date.isoformat(), "currency": item.currency, "due_days": "30",
            "memo": "", "auto_issue": "true", "active": "true", "proration": "increases"}
    bad = client.post(f"/billing/recurring/{recurring_id}/edit", data=form)
    assert bad.status_code == 400
    assert "only an invoice billed in advance is prorated" in field_error(bad.data.decode(), "proration")
    assert client.post(f"/billing/recurring/{recurring_id}/edit",
                       data={**form, "period_mode": "in_advance"}).status_code == 302
    assert fresh(RecurringInvoice, recurring_id).proration == "increases"


def test_a_proration_line_shows_as_such_without_line_actions(client, auth, billing_world):
    from datetime import datetime, time
    from decimal import Decimal

    from hub.billing import recurring
    from hub.extensions import db
    from hub.models import LicenseCountHistory
    from hub.timeutil import utcnow
    from tests.web.billing_fixtures import SETUP

    recurring_id, line_id = billing_world["recurring_id"], billing_world["line_id"]
    recurring.update_recurring_invoice(recurring_id, SETUP, proration="increases")
    # today (the first day of the period just billed) ends at 9 seats: more than the invoice billed
    db.session.add(LicenseCountHistory(vendor_customer_id=billing_world["customer_id"], sku_id=billing_world["sku_id"],
                                       quantity=Decimal(9), recorded_at=datetime.combine(utcnow().date(), time.max)))
    db.session.commit()
    auth.login("billing")
    page = client.get(f"/billing/recurring/{recurring_id}").data.decode()
    rows = [row for row in page.split("<tr ")[1:] if f'data-line="{line_id}"' in row]
    assert len(rows) == 2 and 'data-kind="proration"' in rows[1] and "prorated" in rows[1]
    assert "/edit" in rows[0] and "/edit" not in rows[1]
