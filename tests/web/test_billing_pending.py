"""Pending changes: held quantity changes with before, after, why and evidence; approved or rejected
one by one or in bulk, all or nothing, each decision audited by the service."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hub import mapping
from hub.billing import recurring
from hub.extensions import db
from hub.models import QuantityChange, RecurringLine
from hub.timeutil import utcnow
from tests.web.billing_fixtures import SETUP, fake_integration_id
from tests.web.billing_fixtures import billing_world  # noqa: F401  (fixture)
from tests.web.billing_helpers import audit_count, fresh, text_of
from tests.web.conftest import sync_fake


@pytest.fixture
def two_held(billing_world, fake_vendor):
    """A second held change: Fabrikam's line drops from 2 seats to zero."""
    org = mapping.create_organization("Fabrikam Org", SETUP)
    mapping.map_customer(billing_world["customers"]["c-2"].id, org.id, SETUP)
    schedule = recurring.create_recurring_invoice(org.id, SETUP, next_run_date=utcnow().date())
    line = recurring.add_line(schedule.id, SETUP, kind="vendor", product_id=billing_world["product_id"],
                              integration_id=fake_integration_id())
    fake_vendor.add("c-1", "Contoso Ltd", seats=2)
    fake_vendor.add("c-2", "Fabrikam", seats=0)
    sync_fake()
    second = db.session.execute(db.select(QuantityChange).filter_by(line_id=line.id, status="pending")).scalar_one()
    return {**billing_world, "second_change": second.id, "second_line": line.id}


def test_the_queue_shows_before_after_reason_and_evidence(client, auth, two_held):
    auth.login("viewer")
    html = client.get("/billing/pending").data.decode()
    text = text_of(html)
    assert "the decrease is larger than the seat limit" in text and "the count dropped to zero" in text
    row = text_of(html.split(f'data-change="{two_held["change_id"]}"')[1].split("</tr>\n")[0])
    assert "5 2 -3" in row
    assert f'href="/admin/sync-runs/{two_held["run_id"]}"' in html
    assert "5 → 2 on" in text  # the count snapshot (LicenseCountHistory) behind the new quantity
    assert 'name="change_ids"' not in html and "Approve" not in text  # viewers read only


def test_approve_one(client, auth, two_held):
    auth.login("billing")
    html = client.get("/billing/pending").data.decode()
    assert html.count('name="change_ids"') == 2
    response = client.post("/billing/pending", data={"one": f"approve:{two_held['change_id']}",
                                                     "change_ids": [str(two_held["second_change"])]})
    assert response.status_code == 303
    assert fresh(RecurringLine, two_held["line_id"]).quantity == Decimal(2)
    assert fresh(QuantityChange, two_held["change_id"]).decided_by == "billing@example.com"
    assert fresh(QuantityChange, two_held["second_change"]).status == "pending"  # only the row's own button
    assert audit_count("billing.change_approved") == 1
    assert "1 change approved" in text_of(client.get("/billing/pending").data.decode())


def test_reject_in_bulk_with_a_note(client, auth, two_held):
    auth.login("admin")
    ids = [str(two_held["change_id"]), str(two_held["second_change"])]
    response = client.post("/billing/pending", data={"action": "reject", "change_ids": ids, "note": "vendor glitch"})
    assert response.status_code == 303
    for change_id in ids:
        change = fresh(QuantityChange, int(change_id))
        assert (change.status, change.decision_note) == ("rejected", "vendor glitch")
    assert fresh(RecurringLine, two_held["line_id"]).quantity == Decimal(5)
    assert fresh(RecurringLine, two_held["second_line"]).quantity == Decimal(2)
    assert audit_count("billing.change_rejected") == 2
    assert "No pending changes" in text_of(client.get("/billing/pending").data.decode())


@pytest.mark.parametrize("form, message", [
    ({"action": "approve"}, "Tick at least one pending change."),
    ({"action": "explode", "change_ids": ["1"]}, "Choose Approve or Reject."),
    ({"one": "approve:abc"}, "change_ids: enter a whole number"),
    ({"action": "approve", "change_ids": ["999999"]}, "no quantity change with id 999999"),
])
def test_bad_decisions_change_nothing(client, auth, two_held, form, message):
    auth.login("billing")
    events = audit_count()
    response = client.post("/billing/pending", data=form)
    assert response.status_code == 400
    assert message in text_of(response.data.decode())
    assert audit_count() == events
    assert fresh(QuantityChange, two_held["change_id"]).status == "pending"


def test_bulk_is_all_or_nothing(client, auth, two_held):
    auth.login("billing")
    client.post("/billing/pending", data={"one": f"reject:{two_held['second_change']}"})
    ids = [str(two_held["change_id"]), str(two_held["second_change"])]
    response = client.post("/billing/pending", data={"action": "approve", "change_ids": ids})
    html = response.data.decode()
    assert response.status_code == 400
    assert f"change {two_held['second_change']} is rejected, not pending" in text_of(html)
    assert fresh(QuantityChange, two_held["change_id"]).status == "pending"
    assert fresh(RecurringLine, two_held["line_id"]).quantity == Decimal(5)
    assert f'value="{two_held["change_id"]}" checked' in html  # the selection is kept for another try


def test_hold_policy_page_edits_the_integration_wide_rules(client, auth, billing_world):
    auth.login("viewer")
    assert client.get("/billing/hold-policy/fake").status_code == 403
    assert "/billing/hold-policy/fake" not in client.get("/billing/pending").data.decode()
    auth.login("billing")
    assert 'href="/billing/hold-policy/fake"' in client.get("/billing/pending").data.decode()
    page = client.get("/billing/hold-policy/fake").data.decode()
    assert 'id="hold-policy-form"' in page and 'name="hold_decrease_over_seats" value="1"' in page
    events = audit_count()
    refused = client.post("/billing/hold-policy/fake", data={"hold_decrease_over_seats": "lots",
                                                             "hold_decrease_over_pct": "10"})
    assert refused.status_code == 400 and "Hold decreases over (seats): enter a whole number" in text_of(
        refused.data.decode())
    assert audit_count() == events
    done = client.post("/billing/hold-policy/fake", data={"hold_decrease_over_seats": "3",
                                                          "hold_decrease_over_pct": "", "hold_detached": "on"})
    assert done.status_code == 303
    from hub.billing.hold_policy import get_hold_policy

    db.session.expire_all()
    view = get_hold_policy("fake")
    assert (view.over_seats, view.over_pct, view.drop_to_zero, view.detached) == (3, None, False, True)
    assert audit_count("billing.hold_policy") == 2  # seats and zero (the percent limit was blank already)
    assert client.get("/billing/hold-policy/nope").status_code == 404


def test_a_rejected_change_leaves_a_kept_line_on_the_dashboard_until_the_counts_agree(client, auth, two_held):
    """Once a person rejects a drop, nothing is pending, yet the line bills what no count says now: the
    dashboard points at it (the usage report filtered to kept lines) instead of falling silent."""
    auth.login("billing")
    client.post("/billing/pending", data={"one": f"reject:{two_held['change_id']}"})
    html = client.get("/dashboard/billing").data.decode()
    assert "1 vendor line billing a quantity a person kept" in text_of(html)
    assert 'href="/billing/reports/usage?line_state=kept"' in html
    report = client.get("/billing/reports/usage?line_state=kept").data.decode()
    assert report.count('data-line-state="kept"') == 1 and "1–1 of 1" in text_of(report)
