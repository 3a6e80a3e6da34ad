"""Pure rules of a sync: what a complete vendor listing means for the customers and counts we hold.

No database, no plugin: plain values in, a plan out, so every rule is table-tested.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from operator import attrgetter
from typing import Any, Iterable, Mapping, NamedTuple

from hub.plugins import VendorCustomer

ZERO = Decimal(0)


@dataclass(frozen=True)
class KnownCustomer:
    """What we hold of one vendor customer, as far as a sync cares."""

    id: int
    external_id: str
    name: str
    vendor_status: str
    detached: bool
    extra: Mapping = field(default_factory=dict)
    #: unmapped while Detached (always detached too): listed again, it comes back Not mapped
    archived: bool = False


@dataclass(frozen=True)
class CustomerChange:
    known: KnownCustomer
    listed: VendorCustomer
    fields: tuple[str, ...]  # which of name / vendor_status / extra changed


@dataclass
class CustomerPlan:
    new: list[VendorCustomer] = field(default_factory=list)
    changed: list[CustomerChange] = field(default_factory=list)
    detach: list[KnownCustomer] = field(default_factory=list)
    reattach: list[tuple[KnownCustomer, VendorCustomer]] = field(default_factory=list)
    active_before: int = 0

    @property
    def detach_share_pct(self) -> Decimal:
        if not self.active_before:
            return ZERO
        return (Decimal(len(self.detach)) * 100 / self.active_before).quantize(Decimal("0.01"))

    def needs_review(self, threshold_pct: Decimal) -> bool:
        """True when the listing would detach more than the threshold share, or every active customer."""
        if not self.detach:
            return False
        if len(self.detach) == self.active_before:
            return True
        return self.detach_share_pct > Decimal(threshold_pct)


def plan_customers(known: Iterable[KnownCustomer], listed: Iterable[VendorCustomer], *,
                   detach_missing: bool = True) -> CustomerPlan:
    """Compare a *complete* listing with what we hold. Callers must never pass a partial listing,
    except with ``detach_missing=False`` (the plugin says so): then nobody missing is detached."""
    known_by_id = {k.external_id: k for k in known}
    plan = CustomerPlan(active_before=sum(1 for k in known_by_id.values() if not k.detached))
    seen: set[str] = set()
    for customer in listed:
        seen.add(customer.external_id)
        have = known_by_id.get(customer.external_id)
        if have is None:
            plan.new.append(customer)
            continue
        changed = _changed_fields(have, customer)
        if have.detached:
            plan.reattach.append((have, customer))
        if changed:
            plan.changed.append(CustomerChange(have, customer, changed))
    if detach_missing:
        plan.detach = [k for ext, k in known_by_id.items() if not k.detached and ext not in seen]
    return plan


def _changed_fields(have: KnownCustomer, listed: VendorCustomer) -> tuple[str, ...]:
    fields = []
    if have.name != listed.name:
        fields.append("name")
    if have.vendor_status != listed.status.value:
        fields.append("vendor_status")
    if dict(have.extra or {}) != dict(listed.extra or {}):
        fields.append("extra")
    return tuple(fields)


class CountChange(NamedTuple):
    """One count to write. A tuple, not a dataclass: a first sync plans one per count (tens of thousands)."""

    customer_id: int
    sku: str
    old: Decimal | None  # None: the pair had no count yet
    new: Decimal
    #: the count's extra as it is to be stored (None: none); a change may be of the extra alone
    extra: Mapping[str, Any] | None = None

    @property
    def quantity_changed(self) -> bool:
        return self.old != self.new


#: the order changes are written and audited in (attrgetter: a first sync sorts tens of thousands)
_BY_CUSTOMER_AND_SKU = attrgetter("customer_id", "sku")


def plan_counts(
    current: Mapping[tuple[int, str], Decimal],
    reported: Mapping[tuple[int, str], Decimal],
    answered_customers: Iterable[int],
    current_extras: Mapping[tuple[int, str], Mapping] | None = None,
    reported_extras: Mapping[tuple[int, str], Mapping] | None = None,
) -> list[CountChange]:
    """Count changes for the customers whose counts were read.

    ``current`` holds what we store, ``reported`` what the vendor said now; both keyed by
    (customer id, sku). A SKU we hold for an answered customer that the vendor left out drops to 0.
    Customers not in ``answered_customers`` (failed or detached) keep their counts.
    The extras (non-empty ones only, same keys) make a change too when they differ; a SKU left out
    loses its extra. Without extras on either side this costs nothing more.
    """
    answered = set(answered_customers)
    current_extras = current_extras or {}
    reported_extras = reported_extras or {}
    changes = [
        CountChange(cid, sku, current.get((cid, sku)), qty, reported_extras.get((cid, sku)))
        for (cid, sku), qty in reported.items()
        if cid in answered and current.get((cid, sku)) != qty
    ]
    changes += [
        CountChange(cid, sku, qty, ZERO)
        for (cid, sku), qty in current.items()
        if cid in answered and (cid, sku) not in reported and qty != ZERO
    ]
    if current_extras or reported_extras:
        changes += _extra_changes(current, reported, answered, current_extras, reported_extras)
    return sorted(changes, key=_BY_CUSTOMER_AND_SKU)


def _extra_changes(current, reported, answered, current_extras, reported_extras) -> list[CountChange]:
    """Counts whose quantity stays and whose extra changed (the quantity changes carry theirs)."""
    changes = []
    for key in set(current_extras) | set(reported_extras):
        cid = key[0]
        if cid not in answered or key not in current:
            continue
        qty = current[key]
        if reported.get(key, ZERO) != qty:
            continue  # a quantity change, which carries its extra
        if current_extras.get(key) != reported_extras.get(key):
            changes.append(CountChange(cid, key[1], qty, qty, reported_extras.get(key)))
    return changes
