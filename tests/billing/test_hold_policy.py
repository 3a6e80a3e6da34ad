"""The integration-wide hold policy service: validated, audited, and obeyed by the next recalculation."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from hub.billing import hold_policy, pending
from hub.billing.errors import BillingError
from hub.extensions import db
from hub.models import AuditEvent, RecurringLine

from .conftest import ADMIN


def test_read_and_update_each_rule_with_an_audit_per_changed_field(vendor):
    view = hold_policy.get_hold_policy("fake")
    assert (view.over_seats, view.over_pct, view.drop_to_zero, view.detached) == (5, D(10), True, True)
    view = hold_policy.update_hold_policy("fake", ADMIN, hold_decrease_over_seats="", hold_decrease_over_pct="12.5",
                                          hold_drop_to_zero="false", hold_detached=True)
    assert (view.over_seats, view.over_pct, view.drop_to_zero, view.detached) == (None, D("12.5"), False, True)
    events = {(a.field, a.old_value, a.new_value) for a in db.session.execute(
        db.select(AuditEvent).filter_by(action="billing.hold_policy")).scalars()}
    assert events == {("hold_decrease_over_seats", "5", None), ("hold_decrease_over_pct", "10", "12.5"),
                      ("hold_drop_to_zero", "True", "False")}


@pytest.mark.parametrize("values, field, words", [
    ({"hold_decrease_over_seats": "-1"}, "hold_decrease_over_seats", "enter 0 or more"),
    ({"hold_decrease_over_seats": "many"}, "hold_decrease_over_seats", "whole number"),
    ({"hold_decrease_over_pct": "101"}, "hold_decrease_over_pct", "100 or less"),
    ({"hold_decrease_over_pct": "1.234"}, "hold_decrease_over_pct", "2 decimal places"),
    ({"hold_drop_to_zero": "maybe"}, "hold_drop_to_zero", "true or false"),
    ({"hold_everything": "1"}, "hold_everything", "unknown field"),
])
def test_bad_input_names_the_field_and_changes_nothing(vendor, values, field, words):
    with pytest.raises(BillingError) as info:
        hold_policy.update_hold_policy("fake", ADMIN, hold_detached="false", **values)
    assert info.value.field == field and words in info.value.message
    db.session.rollback()
    assert hold_policy.get_hold_policy("fake").detached is True
    with pytest.raises(BillingError) as info:
        hold_policy.get_hold_policy("nope")
    assert info.value.field == "vendor"


def test_a_drop_to_zero_applies_at_once_when_the_integration_says_so(billed, vendor):
    _, line = billed
    hold_policy.update_hold_policy("fake", ADMIN, hold_drop_to_zero=False, hold_decrease_over_seats="",
                                   hold_decrease_over_pct="")
    vendor.fake.counts["c1"]["seats"] = 0
    vendor.sync()
    db.session.expire_all()
    assert pending.list_pending_changes() == [] and db.session.get(RecurringLine, line.id).quantity == 0
