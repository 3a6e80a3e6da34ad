"""hub.sync.reconcile: the pure rules, plain values in and a plan out (no database, no app)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hub.plugins import CustomerStatus, VendorCustomer
from hub.sync.reconcile import CountChange, CustomerPlan, KnownCustomer, plan_counts, plan_customers

D = Decimal


def known(id_, ext, name="N", status="active", detached=False, extra=None):
    return KnownCustomer(id_, ext, name, status, detached, extra or {})


def listed(ext, name="N", status=CustomerStatus.ACTIVE, extra=None):
    return VendorCustomer(ext, name, status, extra or {})


def summary(plan: CustomerPlan) -> dict:
    return {
        "new": [c.external_id for c in plan.new],
        "changed": [(c.known.external_id, c.fields) for c in plan.changed],
        "detach": [k.external_id for k in plan.detach],
        "reattach": [k.external_id for k, _ in plan.reattach],
        "active_before": plan.active_before,
    }


CUSTOMER_CASES = [
    ("nothing known, nothing listed", [], [],
     {"new": [], "changed": [], "detach": [], "reattach": [], "active_before": 0}),
    ("a new customer", [], [listed("a")],
     {"new": ["a"], "changed": [], "detach": [], "reattach": [], "active_before": 0}),
    ("unchanged", [known(1, "a")], [listed("a")],
     {"new": [], "changed": [], "detach": [], "reattach": [], "active_before": 1}),
    ("renamed", [known(1, "a", "Old")], [listed("a", "New")],
     {"new": [], "changed": [("a", ("name",))], "detach": [], "reattach": [], "active_before": 1}),
    ("status changed", [known(1, "a")], [listed("a", status=CustomerStatus.SUSPENDED)],
     {"new": [], "changed": [("a", ("vendor_status",))], "detach": [], "reattach": [], "active_before": 1}),
    ("extra changed", [known(1, "a", extra={"d": 1})], [listed("a", extra={"d": 2})],
     {"new": [], "changed": [("a", ("extra",))], "detach": [], "reattach": [], "active_before": 1}),
    ("everything changed", [known(1, "a", "Old", "trial", extra={})],
     [listed("a", "New", CustomerStatus.ACTIVE, {"x": 1})],
     {"new": [], "changed": [("a", ("name", "vendor_status", "extra"))], "detach": [], "reattach": [],
      "active_before": 1}),
    ("missing: detach", [known(1, "a"), known(2, "b")], [listed("b")],
     {"new": [], "changed": [], "detach": ["a"], "reattach": [], "active_before": 2}),
    ("still missing: nothing to do", [known(1, "a", detached=True), known(2, "b")], [listed("b")],
     {"new": [], "changed": [], "detach": [], "reattach": [], "active_before": 1}),
    ("reappears: reattach", [known(1, "a", detached=True)], [listed("a")],
     {"new": [], "changed": [], "detach": [], "reattach": ["a"], "active_before": 0}),
    ("reappears renamed: reattach and change", [known(1, "a", "Old", detached=True)], [listed("a", "New")],
     {"new": [], "changed": [("a", ("name",))], "detach": [], "reattach": ["a"], "active_before": 0}),
    ("all at once", [known(1, "a"), known(2, "b", detached=True), known(3, "c", "C0")],
     [listed("b"), listed("c", "C1"), listed("d")],
     {"new": ["d"], "changed": [("c", ("name",))], "detach": ["a"], "reattach": ["b"], "active_before": 2}),
]


@pytest.mark.parametrize("known_, listed_, expected", [c[1:] for c in CUSTOMER_CASES],
                         ids=[c[0] for c in CUSTOMER_CASES])
def test_plan_customers(known_, listed_, expected):
    assert summary(plan_customers(known_, listed_)) == expected


def plan_with(detach: int, active: int) -> CustomerPlan:
    return CustomerPlan(detach=[known(i, f"k{i}") for i in range(detach)], active_before=active)


REVIEW_CASES = [
    # detach, active before, threshold, share %, needs review
    (0, 0, 20, "0", False),
    (0, 10, 20, "0.00", False),
    (2, 10, 20, "20.00", False),
    (3, 10, 20, "30.00", True),
    (1, 1, 20, "100.00", True),     # all of them
    (1, 1, 100, "100.00", True),    # all of them, whatever the threshold
    (1, 3, 20, "33.33", True),
    (1, 3, 50, "33.33", False),
    (1, 200, "0.5", "0.50", False),
    (2, 200, "0.5", "1.00", True),
]


@pytest.mark.parametrize("detach, active, threshold, share, review", REVIEW_CASES)
def test_needs_review(detach, active, threshold, share, review):
    plan = plan_with(detach, active)
    assert plan.detach_share_pct == D(share)
    assert plan.needs_review(D(threshold)) is review


COUNT_CASES = [
    ("new pair", {}, {(1, "s"): D(5)}, {1}, [CountChange(1, "s", None, D(5))]),
    ("unchanged", {(1, "s"): D(5)}, {(1, "s"): D(5)}, {1}, []),
    ("same value, other scale", {(1, "s"): D("5.0000")}, {(1, "s"): D(5)}, {1}, []),
    ("changed", {(1, "s"): D(5)}, {(1, "s"): D("5.5")}, {1}, [CountChange(1, "s", D(5), D("5.5"))]),
    ("left out: drops to 0", {(1, "s"): D(5), (1, "t"): D(2)}, {(1, "s"): D(5)}, {1},
     [CountChange(1, "t", D(2), D(0))]),
    ("left out and already 0: nothing", {(1, "t"): D(0)}, {}, {1}, []),
    ("not answered (failed or detached): kept", {(1, "s"): D(5)}, {}, set(), []),
    ("reported for a customer not answered: ignored", {}, {(2, "s"): D(1)}, {1}, []),
    ("several customers, sorted", {(2, "s"): D(1), (1, "s"): D(1)}, {(2, "s"): D(3), (1, "s"): D(2)}, {1, 2},
     [CountChange(1, "s", D(1), D(2)), CountChange(2, "s", D(1), D(3))]),
]


@pytest.mark.parametrize("current, reported, answered, expected", [c[1:] for c in COUNT_CASES],
                         ids=[c[0] for c in COUNT_CASES])
def test_plan_counts(current, reported, answered, expected):
    assert plan_counts(current, reported, answered) == expected
