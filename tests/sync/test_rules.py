"""Every sync rule of issue 2, table-driven, through the real engine, database and plugin dispatch.

Each row lists the vendor's state at each sync; the last sync is checked completely: every stored
customer, every stored count, and every audit event that run wrote.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from unittest.mock import ANY

import pytest

from hub import mapping
from hub.audit import Actor
from hub.extensions import db
from hub.models import LicenseCountHistory, SyncStatus
from hub.sync import run_sync
from tests.sync.helpers import audits_of_run, customer, customers_by_external_id, set_vendor, stored_counts

#: six customers, so that losing one (17%) stays under the default 20% review threshold
BASE = {f"c{n}": customer(f"Customer {n}", seats=n) for n in range(1, 7)}


def base(**changes):
    """BASE with some customers replaced (a tuple) or removed (None)."""
    state = dict(BASE)
    for external_id, value in changes.items():
        if value is None:
            state.pop(external_id)
        else:
            state[external_id] = value
    return state


def base_customers(**changes):
    rows = {e: (name, status, "not_mapped") for e, (name, status, _) in BASE.items()}
    rows.update(changes)
    return rows


def base_counts(**changes):
    counts = {(e, sku): Decimal(q) for e, (_, _, c) in BASE.items() for sku, q in c.items()}
    for key, value in changes.items():
        external_id, sku = key.split("__")
        counts[(external_id, sku)] = Decimal(value)
    return counts


@dataclass
class Rule:
    id: str
    steps: list[dict]
    #: (name, vendor status, map status) of every customer stored after the last sync
    customers: dict
    #: every stored count after the last sync
    counts: dict
    #: (action, external id, field, old, new) of every audit event of the last run
    audits: list
    #: customers mapped to an Organization after the first sync
    mapped: tuple = ()
    run: dict = field(default_factory=dict)


RULES = [
    Rule("new customer becomes Not mapped",
         steps=[{"c1": customer("Contoso", seats=5)}],
         customers={"c1": ("Contoso", "active", "not_mapped")},
         counts={("c1", "seats"): Decimal(5)},
         audits=[("customer.create", "c1", "name", None, "Contoso"), ("count.change", "c1", "seats", None, "5")],
         run={"customers_seen": 1, "customers_added": 1, "counts_changed": 1}),
    Rule("missing from a complete listing: Detached, keeps its Organization and counts",
         steps=[BASE, base(c1=None)], mapped=("c1",),
         customers=base_customers(c1=("Customer 1", "active", "detached")),
         counts=base_counts(),
         audits=[("customer.detach", "c1", "detached_at", None, ANY)],
         run={"customers_seen": 5, "customers_detached": 1, "counts_changed": 0}),
    Rule("a Not mapped customer missing from the listing is Detached too",
         steps=[BASE, base(c6=None)],
         customers=base_customers(c6=("Customer 6", "active", "detached")),
         counts=base_counts(),
         audits=[("customer.detach", "c6", "detached_at", None, ANY)],
         run={"customers_detached": 1}),
    Rule("a Detached customer that reappears is no longer Detached (and still mapped)",
         steps=[BASE, base(c1=None), BASE], mapped=("c1",),
         customers=base_customers(c1=("Customer 1", "active", "mapped")),
         counts=base_counts(),
         audits=[("customer.reattach", "c1", "detached_at", "detached", None)],
         run={"customers_reattached": 1, "customers_detached": 0}),
    Rule("a reappearing customer's new name and counts are applied with it",
         steps=[BASE, base(c2=None), base(c2=customer("Beta Ltd", seats=7))],
         customers=base_customers(c2=("Beta Ltd", "active", "not_mapped")),
         counts=base_counts(c2__seats=7),
         audits=[("customer.reattach", "c2", "detached_at", "detached", None),
                 ("customer.rename", "c2", "name", "Customer 2", "Beta Ltd"),
                 ("count.change", "c2", "seats", "2", "7")],
         run={"customers_reattached": 1, "customers_updated": 1, "counts_changed": 1}),
    Rule("a rename updates the name",
         steps=[BASE, base(c2=customer("Beta Ltd", seats=2))],
         customers=base_customers(c2=("Beta Ltd", "active", "not_mapped")),
         counts=base_counts(),
         audits=[("customer.rename", "c2", "name", "Customer 2", "Beta Ltd")],
         run={"customers_updated": 1, "counts_changed": 0}),
    Rule("the vendor status changes (suspended, then trial)",
         steps=[BASE, base(c3=customer("Customer 3", "suspended", seats=3)),
                base(c3=customer("Customer 3", "trial", seats=3))],
         customers=base_customers(c3=("Customer 3", "trial", "not_mapped")),
         counts=base_counts(),
         audits=[("customer.status", "c3", "vendor_status", "suspended", "trial")],
         run={"customers_updated": 1}),
    Rule("a new SKU of a known customer is counted",
         steps=[BASE, base(c1=customer("Customer 1", seats=1, mail=3))],
         customers=base_customers(), counts=base_counts(c1__mail=3),
         audits=[("count.change", "c1", "mail", None, "3")],
         run={"counts_changed": 1}),
    Rule("a changed count is updated",
         steps=[BASE, base(c4=customer("Customer 4", seats=10))],
         customers=base_customers(), counts=base_counts(c4__seats=10),
         audits=[("count.change", "c4", "seats", "4", "10")],
         run={"counts_changed": 1}),
    Rule("a SKU the vendor no longer reports drops to 0",
         steps=[base(c1=customer("Customer 1", seats=1, mail=2)), BASE],
         customers=base_customers(), counts=base_counts(c1__mail=0),
         audits=[("count.change", "c1", "mail", "2", "0")],
         run={"counts_changed": 1}),
    Rule("Decimal quantities are kept exactly",
         steps=[base(c5=customer("Customer 5", seats=5, storage_gb=Decimal("12.5"))),
                base(c5=customer("Customer 5", seats=5, storage_gb=Decimal("12.7525")))],
         customers=base_customers(), counts=base_counts(c5__storage_gb="12.7525"),
         audits=[("count.change", "c5", "storage_gb", "12.5", "12.7525")],
         run={"counts_changed": 1}),
    Rule("many kinds of change in one run",
         steps=[BASE, base(c1=None, c2=customer("Two", "suspended", seats=0), c7=customer("Seven", seats=1))],
         customers=base_customers(c1=("Customer 1", "active", "detached"), c2=("Two", "suspended", "not_mapped"),
                                  c7=("Seven", "active", "not_mapped")),
         counts=base_counts(c2__seats=0, c7__seats=1),
         audits=[("customer.create", "c7", "name", None, "Seven"), ("count.change", "c7", "seats", None, "1"),
                 ("customer.detach", "c1", "detached_at", None, ANY),
                 ("customer.rename", "c2", "name", "Customer 2", "Two"),
                 ("customer.status", "c2", "vendor_status", "active", "suspended"),
                 ("count.change", "c2", "seats", "2", "0")],
         run={"customers_seen": 6, "customers_added": 1, "customers_updated": 1, "customers_detached": 1,
              "counts_changed": 2}),
    Rule("an empty vendor with nothing stored changes nothing",
         steps=[{}], customers={}, counts={}, audits=[], run={"customers_seen": 0}),
]


def assert_same_items(actual: list, expected: list) -> None:
    """Equal as multisets; works with ANY, which cannot be hashed or sorted."""
    left = list(actual)
    for item in expected:
        assert item in left, f"missing {item!r}; got {actual!r}"
        left.remove(item)
    assert not left, f"unexpected {left!r}"


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_sync_rule(rule: Rule, fake_integration, fake_vendor):
    organization = mapping.create_organization("Org", Actor.cli("test"))
    run = None
    for n, state in enumerate(rule.steps):
        set_vendor(fake_vendor, state)
        run = run_sync("fake")
        assert run.status == SyncStatus.SUCCEEDED.value, run.error_message
        if n == 0:
            stored = customers_by_external_id()
            for external_id in rule.mapped:
                mapping.map_customer(stored[external_id].id, organization.id, Actor.cli("test"))

    stored = customers_by_external_id()
    assert {e: (c.name, c.vendor_status, c.map_status.value) for e, c in stored.items()} == rule.customers
    for external_id in rule.mapped:
        assert stored[external_id].organization_id == organization.id
    assert stored_counts() == rule.counts

    events = audits_of_run(run.id)
    ids = {c.id: e for e, c in stored.items()}
    assert_same_items([(a.action, ids[int(a.entity_id)], a.field, a.old_value, a.new_value) for a in events],
                      rule.audits)
    assert all(a.actor_type == "sync" and a.actor == f"sync run {run.id}" and a.integration_id == run.integration_id
               for a in events)
    for name, value in rule.run.items():
        assert getattr(run, name) == value, name

    # one history row per count change, carrying the same old and new quantity as its audit event
    history = db.session.execute(db.select(LicenseCountHistory).filter_by(sync_run_id=run.id)).scalars().all()
    assert sorted((ids[h.vendor_customer_id], Decimal(h.quantity),
                   None if h.previous_quantity is None else Decimal(h.previous_quantity)) for h in history) == \
        sorted((ids[int(a.entity_id)], Decimal(a.new_value), None if a.old_value is None else Decimal(a.old_value))
               for a in events if a.action == "count.change")
