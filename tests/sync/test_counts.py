"""Counts: one customer's failure, unchanged re-runs, SKU suggestions, and the signal billing hears."""

from __future__ import annotations

from decimal import Decimal

from hub import events
from hub.extensions import db
from hub.models import SyncStatus, VendorSku
from hub.plugins import CustomerStatus, SkuMapping, VendorCustomer, hookimpl
from hub.sync import run_sync
from tests.dbstate import SYNC_BOOKKEEPING, diff, snapshot
from tests.fakes.fake_vendor import FakeVendor
from tests.sync.helpers import audits_of_run, customer, customers_by_external_id, set_vendor, stored_counts

BASE = {"c1": customer("One", seats=1, mail=1), "c2": customer("Two", seats=2, mail=2),
        "c3": customer("Three", seats=3, mail=3)}


def test_one_customers_count_failure(fake_integration, fake_vendor):
    set_vendor(fake_vendor, BASE)
    run_sync("fake")

    # c2's tenant answers 404; the others changed
    set_vendor(fake_vendor, {"c1": customer("One", seats=10, mail=1), "c2": customer("Two", seats=99),
                             "c3": customer("Three", seats=3, mail=30)})
    fake_vendor.failing_counts = {"c2": "GET /tenants/c2/usage answered HTTP 404"}
    run = run_sync("fake")
    assert run.status == SyncStatus.SUCCEEDED.value
    assert (run.count_failures, run.counts_changed) == (1, 2)
    stored = customers_by_external_id()
    assert stored["c2"].count_error == "GET /tenants/c2/usage answered HTTP 404"
    failed_at = stored["c2"].count_error_at
    assert failed_at is not None
    assert stored["c1"].count_error is None and stored["c3"].count_error is None
    counts = stored_counts()
    assert (counts["c2", "seats"], counts["c2", "mail"]) == (2, 2)  # its last counts stay
    assert (counts["c1", "seats"], counts["c3", "mail"]) == (10, 30)  # the others are applied
    assert fake_integration.state_message == "1 customer(s) could not be counted"

    # the same failure again is no change at all
    before = snapshot(SYNC_BOOKKEEPING)
    again = run_sync("fake")
    assert again.count_failures == 1
    assert diff(before, snapshot(SYNC_BOOKKEEPING)) == {}
    assert audits_of_run(again.id) == []

    # it answers again: error cleared, its counts applied (mail no longer reported: 0)
    fake_vendor.failing_counts = {}
    healed = run_sync("fake")
    assert (healed.count_failures, healed.counts_changed) == (0, 2)
    c2 = customers_by_external_id()["c2"]
    assert (c2.count_error, c2.count_error_at) == (None, None)
    assert (stored_counts()["c2", "seats"], stored_counts()["c2", "mail"]) == (99, 0)
    assert fake_integration.state_message is None


def test_a_new_customer_whose_counts_fail_is_created_without_counts(fake_integration, fake_vendor):
    set_vendor(fake_vendor, {"c1": customer("One", seats=1), "c2": customer("Two", seats=2)})
    fake_vendor.failing_counts = {"c2": "timeout reading c2"}
    run = run_sync("fake")
    assert (run.customers_added, run.counts_changed, run.count_failures) == (2, 1, 1)
    assert customers_by_external_id()["c2"].count_error == "timeout reading c2"
    assert stored_counts() == {("c1", "seats"): 1}


def test_a_404_on_one_customers_usage_over_http(http_integration, http_vendor):
    set_vendor(http_vendor, BASE)
    run_sync("fakehttp")
    set_vendor(http_vendor, {e: (n, s, {k: v * 2 for k, v in c.items()}) for e, (n, s, c) in BASE.items()})
    http_vendor.faults = {"usage:c3": [404]}
    run = run_sync("fakehttp")
    assert (run.status, run.count_failures, run.counts_changed) == (SyncStatus.SUCCEEDED.value, 1, 4)
    stored = customers_by_external_id("fakehttp")
    assert stored["c3"].count_error == "usage of c3: HTTP 404"
    assert stored_counts("fakehttp")["c3", "seats"] == 3


class RichVendor(FakeVendor):
    """Lists customers with ``extra`` facts, including a tuple (JSON gives back a list)."""

    @hookimpl
    def hub_list_customers(self, config, session):
        for external_id, (name, status) in self.customers.items():
            yield VendorCustomer(external_id, name, CustomerStatus(status),
                                 extra={"domain": f"{external_id}.example", "tags": ("a", "b"), "seats_cap": 10})


def test_rerun_with_unchanged_data_changes_no_row(app, app_ctx):
    from hub import integrations
    from hub.audit import Actor
    from tests.fakes.fake_vendor import FAKE_CONFIG

    vendor = RichVendor("rich")
    app.extensions["hub.plugins"].register(vendor, "rich")
    integrations.configure("rich", dict(FAKE_CONFIG), Actor.cli("test"), enable=True)
    set_vendor(vendor, {
        "c1": customer("One", seats=1, storage_gb=Decimal("1.23456")),  # finer than the stored scale
        "c2": customer("Two", "suspended", seats=0),
        "c3": customer("Three", "trial", seats=Decimal("2.5")),
        "c4": customer("Four", seats=4),
        **{f"x{n}": customer(f"Filler {n}", seats=n) for n in range(4)},  # so one detach stays under 20%
    })
    run_sync("rich")
    vendor.remove("c4")  # detached, stays detached
    vendor.failing_counts = {"c3": "HTTP 404"}  # a failure that persists
    run_sync("rich")

    before = snapshot(SYNC_BOOKKEEPING)
    for _ in range(2):
        run = run_sync("rich")
        assert run.status == SyncStatus.SUCCEEDED.value, run.error_message
        assert diff(before, snapshot(SYNC_BOOKKEEPING)) == {}
        assert audits_of_run(run.id) == []
        assert (run.customers_added, run.customers_updated, run.customers_detached, run.counts_changed) == (0,) * 4
    assert stored_counts("rich")["c1", "storage_gb"] == Decimal("1.2346")


def test_sku_suggestions_are_stored(fake_integration, fake_vendor):
    set_vendor(fake_vendor, {"c1": customer("One", seats=1, backup_gb=Decimal("10.5"))})
    run_sync("fake")
    skus = {s.sku: s for s in db.session.execute(db.select(VendorSku)).scalars()}
    assert {k: (s.name, s.unit, s.billable, s.suggested_product_code) for k, s in skus.items()} == {
        "seats": ("Fake seats", "license", True, "SEATS"),
        "backup_gb": ("Fake backup_gb", "license", True, "BACKUP_GB"),
    }


class PickyVendor(FakeVendor):
    """Knows one SKU only, or fails to describe any."""

    fail = False

    @hookimpl
    def hub_map_skus(self, config, skus):
        if self.fail:
            raise RuntimeError("catalog endpoint down")
        return [SkuMapping("seats", "Seats", unit="user", billable=True, suggested_product_code="P-SEAT"),
                SkuMapping("flag", "Feature flag", billable=False), SkuMapping("unasked", "Not asked for")]


def test_sku_suggestions_partial_or_failing(app, app_ctx):
    from hub import integrations
    from hub.audit import Actor
    from tests.fakes.fake_vendor import FAKE_CONFIG

    vendor = PickyVendor("picky")
    app.extensions["hub.plugins"].register(vendor, "picky")
    integrations.configure("picky", dict(FAKE_CONFIG), Actor.cli("test"), enable=True)
    set_vendor(vendor, {"c1": customer("One", seats=1, flag=1, other=2)})
    assert run_sync("picky").status == SyncStatus.SUCCEEDED.value
    rows = {s.sku: (s.name, s.unit, s.billable, s.suggested_product_code)
            for s in db.session.execute(db.select(VendorSku)).scalars()}
    assert rows == {"seats": ("Seats", "user", True, "P-SEAT"), "flag": ("Feature flag", "license", False, None),
                    "other": ("other", "license", True, None)}  # unknown: kept, visibly unmapped

    vendor.fail = True  # a failing hub_map_skus only costs the suggestions
    set_vendor(vendor, {"c1": customer("One", seats=1, flag=1, other=2, newsku=1)})
    assert run_sync("picky").status == SyncStatus.SUCCEEDED.value
    new = db.session.execute(db.select(VendorSku).filter_by(sku="newsku")).scalar_one()
    assert (new.name, new.suggested_product_code) == ("newsku", None)


def test_sync_applied_names_the_changed_customers(fake_integration, fake_vendor):
    filler = {f"x{n}": customer(f"Filler {n}", seats=n) for n in range(4)}  # one detach stays under 20%
    set_vendor(fake_vendor, BASE | filler | {"c4": customer("Four", seats=4)})
    run_sync("fake")
    heard = []

    def listener(sender, run, changed_customer_ids):
        heard.append((run.id, set(changed_customer_ids)))

    set_vendor(fake_vendor, {"c1": customer("One", seats=5, mail=1),       # count changed
                             "c2": customer("Two renamed", seats=2, mail=2),  # rename only: not billing's business
                             "c3": customer("Three", "suspended", seats=3, mail=3), **filler})  # c4 detached
    with events.sync_applied.connected_to(listener):
        run = run_sync("fake")
    ids = {e: c.id for e, c in customers_by_external_id().items()}
    assert heard == [(run.id, {ids["c1"], ids["c3"], ids["c4"]})]


def test_large_changes_are_written_in_batches(fake_integration, fake_vendor, monkeypatch):
    from hub.models import AuditEvent, LicenseCountHistory
    from hub.sync import apply

    monkeypatch.setattr(apply, "BATCH", 3)
    set_vendor(fake_vendor, {f"c{n}": customer(f"C{n}", a=n, b=n + 1) for n in range(5)})
    first = run_sync("fake")
    set_vendor(fake_vendor, {f"c{n}": customer(f"C{n}", a=n + 10, b=n + 1) for n in range(5)})
    second = run_sync("fake")
    assert (first.counts_changed, second.counts_changed) == (10, 5)
    assert stored_counts() == {**{(f"c{n}", "a"): n + 10 for n in range(5)}, **{(f"c{n}", "b"): n + 1 for n in range(5)}}
    per_run = {run.id: (len(audits_of_run(run.id)), len(db.session.execute(
        db.select(LicenseCountHistory).filter_by(sync_run_id=run.id)).all())) for run in (first, second)}
    assert per_run == {first.id: (15, 10), second.id: (5, 5)}
    assert db.session.execute(db.select(db.func.count()).select_from(AuditEvent)
                              .where(AuditEvent.sync_run_id.is_not(None))).scalar() == 20
