"""Table-driven tests of the hold policy: which vendor-line changes apply at once and which wait."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from hub.billing.policy import Action, HoldPolicy, HoldReason, LineState, effective_policy, hold_reasons, plan_line

DEFAULT = HoldPolicy(5, D("10"))  # the integration defaults: more than 5 seats or more than 10 %
NO_LIMITS = HoldPolicy(None, None)

R = HoldReason


@pytest.mark.parametrize("old, new, policy, detached, expected", [
    # increases and no change never hold
    ("10", "50", DEFAULT, False, ()),
    ("10", "10", DEFAULT, False, ()),
    ("0", "3", DEFAULT, True, ()),
    # within both limits
    ("100", "95", DEFAULT, False, ()),             # -5 seats (not more than 5), -5 %
    ("100", "90", HoldPolicy(None, D("10")), False, ()),  # exactly 10 % is not "more than"
    # seat limit
    ("100", "94", DEFAULT, False, (R.OVER_SEATS,)),  # -6 seats, 6 %
    ("100", "99", HoldPolicy(0, None), False, (R.OVER_SEATS,)),  # a limit of 0 holds every decrease
    # percent limit
    ("20", "17", DEFAULT, False, (R.OVER_PCT,)),     # -3 seats, 15 %
    ("20", "18", DEFAULT, False, ()),                # -2 seats, exactly 10 %
    ("3", "2.5", HoldPolicy(None, D("10")), False, (R.OVER_PCT,)),  # fractional quantities
    # both
    ("20", "10", DEFAULT, False, (R.OVER_SEATS, R.OVER_PCT)),
    # drop to zero holds even with no limits
    ("1", "0", NO_LIMITS, False, (R.DROP_TO_ZERO,)),
    ("20", "0", DEFAULT, False, (R.DROP_TO_ZERO, R.OVER_SEATS, R.OVER_PCT)),
    # a detached customer holds even a small decrease
    ("100", "99", DEFAULT, True, (R.DETACHED,)),
    ("5", "4", NO_LIMITS, True, (R.DETACHED,)),
    # no limits at all: a decrease applies
    ("1000", "1", NO_LIMITS, False, ()),
])
def test_hold_reasons(old, new, policy, detached, expected):
    assert hold_reasons(D(old), D(new), policy, detached) == expected


@pytest.mark.parametrize("state, action, reasons, supersede", [
    # no change; a stale pending change is dropped
    (LineState(D(10), D(10), DEFAULT), Action.NONE, (), False),
    (LineState(D(10), D(10), DEFAULT, pending=D(0)), Action.NONE, (), True),
    # increase: at once, and it replaces a pending decrease
    (LineState(D(10), D(12), DEFAULT), Action.APPLY, (), False),
    (LineState(D(10), D(12), DEFAULT, pending=D(0)), Action.APPLY, (), True),
    # small decrease: at once
    (LineState(D(100), D(97), DEFAULT), Action.APPLY, (), False),
    # held decrease
    (LineState(D(20), D(0), DEFAULT), Action.HOLD, (R.DROP_TO_ZERO, R.OVER_SEATS, R.OVER_PCT), False),
    # the same decrease already pending: nothing new
    (LineState(D(20), D(0), DEFAULT, pending=D(0)), Action.NONE, (R.DROP_TO_ZERO, R.OVER_SEATS, R.OVER_PCT), False),
    # a different held decrease replaces the pending one
    (LineState(D(20), D(10), DEFAULT, pending=D(0)), Action.HOLD, (R.OVER_SEATS, R.OVER_PCT), True),
    # a person rejected exactly this: not asked again
    (LineState(D(20), D(10), DEFAULT, rejected=D(10)), Action.NONE, (R.OVER_SEATS, R.OVER_PCT), False),
    # ... but a different decrease is asked
    (LineState(D(20), D(9), DEFAULT, rejected=D(10)), Action.HOLD, (R.OVER_SEATS, R.OVER_PCT), False),
    # do not bill: nothing is billed, so counts follow at once
    (LineState(D(20), D(0), DEFAULT, do_not_bill=True), Action.APPLY, (), False),
    # a person's edit of the line: at once
    (LineState(D(20), D(0), DEFAULT, force=True), Action.APPLY, (), False),
    # detached contributor
    (LineState(D(20), D(19), DEFAULT, detached_contributor=True), Action.HOLD, (R.DETACHED,), False),
    # the integration switched the zero and the Detached rules off: only the limits remain
    (LineState(D(2), D(0), HoldPolicy(None, None, drop_to_zero=False)), Action.APPLY, (), False),
    (LineState(D(2), D(0), HoldPolicy(5, None, drop_to_zero=False, detached=False), detached_contributor=True),
     Action.APPLY, (), False),
    (LineState(D(20), D(0), HoldPolicy(5, None, drop_to_zero=False)), Action.HOLD, (R.OVER_SEATS,), False),
    (LineState(D(20), D(19), HoldPolicy(None, None, detached=False), detached_contributor=True), Action.APPLY, (),
     False),
])
def test_plan_line(state, action, reasons, supersede):
    plan = plan_line(state)
    assert (plan.action, plan.reasons, plan.supersede_pending) == (action, reasons, supersede)


@pytest.mark.parametrize("overrides, line, integration, expected", [
    (False, (1, D(2)), (5, D(10)), HoldPolicy(5, D(10))),
    (True, (1, D(2)), (5, D(10)), HoldPolicy(1, D(2))),
    (True, (None, None), (5, D(10)), HoldPolicy(None, None)),  # a line may switch the limits off
    (False, (None, None), (None, D(10)), HoldPolicy(None, D(10))),
    # the zero and Detached switches are the integration's, whatever the line overrides
    (True, (1, D(2)), (5, D(10), False, False), HoldPolicy(1, D(2), False, False)),
    (False, (1, D(2)), (5, D(10), True, False), HoldPolicy(5, D(10), True, False)),
])
def test_effective_policy(overrides, line, integration, expected):
    assert effective_policy(overrides, *line, *integration) == expected
