"""When a vendor line's new count applies at once and when it waits for a person: pure rules, table-tested.

Increases apply at once. A decrease is held when the count drops to zero, when it drops by more than
N seats or more than X percent (the integration's policy, or the line's own), or when a vendor
customer counted before has become Detached; the integration may switch the last two off. A "do not bill" line, and a person's edit of the line
itself, apply at once: neither moves money without someone having decided.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal

HUNDRED = Decimal(100)


class HoldReason(str, enum.Enum):
    DROP_TO_ZERO = "drop_to_zero"
    OVER_SEATS = "decrease_over_seats"
    OVER_PCT = "decrease_over_pct"
    DETACHED = "customer_detached"

    @property
    def label(self) -> str:
        return {"drop_to_zero": "the count dropped to zero",
                "decrease_over_seats": "the decrease is larger than the seat limit",
                "decrease_over_pct": "the decrease is larger than the percentage limit",
                "customer_detached": "a vendor customer counted before is Detached"}[self.value]


@dataclass(frozen=True)
class HoldPolicy:
    """Hold a decrease of more than ``over_seats`` seats or ``over_pct`` percent (None: no such limit),
    a drop to zero when ``drop_to_zero``, and one caused by a Detached customer when ``detached``."""

    over_seats: int | None
    over_pct: Decimal | None
    drop_to_zero: bool = True
    detached: bool = True


def effective_policy(line_overrides: bool, line_seats: int | None, line_pct: Decimal | None,
                     integration_seats: int | None, integration_pct: Decimal | None,
                     drop_to_zero: bool = True, detached: bool = True) -> HoldPolicy:
    """A line may override the seat and percent limits; the zero and Detached rules are the integration's."""
    if line_overrides:
        return HoldPolicy(line_seats, line_pct, drop_to_zero, detached)
    return HoldPolicy(integration_seats, integration_pct, drop_to_zero, detached)


def hold_reasons(old: Decimal, new: Decimal, policy: HoldPolicy, detached_contributor: bool = False
                 ) -> tuple[HoldReason, ...]:
    """Why a change from ``old`` to ``new`` must wait for approval; empty when it may apply at once."""
    if new >= old:
        return ()
    drop = old - new
    reasons = []
    if new == 0 and policy.drop_to_zero:
        reasons.append(HoldReason.DROP_TO_ZERO)
    if policy.over_seats is not None and drop > policy.over_seats:
        reasons.append(HoldReason.OVER_SEATS)
    if policy.over_pct is not None and drop * HUNDRED > Decimal(policy.over_pct) * old:
        reasons.append(HoldReason.OVER_PCT)
    if detached_contributor and policy.detached:
        reasons.append(HoldReason.DETACHED)
    return tuple(reasons)


class Action(str, enum.Enum):
    NONE = "none"    # nothing new to write
    APPLY = "apply"  # set the line's quantity now
    HOLD = "hold"    # write a pending change


@dataclass(frozen=True)
class LineState:
    current: Decimal
    proposed: Decimal
    policy: HoldPolicy
    do_not_bill: bool = False
    detached_contributor: bool = False
    #: new quantity of the line's pending change, if it has one
    pending: Decimal | None = None
    #: new quantity a person rejected since the line last changed, from the very same counts (so it is not
    #: asked again); a new event that changes the counts behind it (unmapping, a sync) asks again
    rejected: Decimal | None = None
    #: a person edited the line itself (product, integration): apply whatever it counts now
    force: bool = False


@dataclass(frozen=True)
class LinePlan:
    action: Action
    reasons: tuple[HoldReason, ...] = ()
    #: the pending change no longer matches the counts: mark it superseded
    supersede_pending: bool = False


def plan_line(state: LineState) -> LinePlan:
    has_pending = state.pending is not None
    if state.proposed == state.current:
        return LinePlan(Action.NONE, supersede_pending=has_pending)
    if state.force or state.do_not_bill or state.proposed > state.current:
        return LinePlan(Action.APPLY, supersede_pending=has_pending)
    reasons = hold_reasons(state.current, state.proposed, state.policy, state.detached_contributor)
    if not reasons:
        return LinePlan(Action.APPLY, supersede_pending=has_pending)
    if state.pending == state.proposed:
        return LinePlan(Action.NONE, reasons)  # already waiting for exactly this
    if state.rejected == state.proposed:
        return LinePlan(Action.NONE, reasons, supersede_pending=has_pending)  # a person already said no
    return LinePlan(Action.HOLD, reasons, supersede_pending=has_pending)
