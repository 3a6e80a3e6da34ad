"""A count's extra (LicenseCount.extra): stored, cleaned, unchanged means no write, a change alone is no bill."""

from __future__ import annotations

from decimal import Decimal

from hub import events
from hub.extensions import db
from hub.models import LicenseCount, LicenseCountHistory, VendorCustomer, VendorSku
from hub.plugins import LicenseCount as PluginCount
from hub.sync import run_sync
from tests.dbstate import SYNC_BOOKKEEPING, diff, snapshot
from tests.sync.helpers import audits_of_run, stored_counts


def stored_extras() -> dict[tuple[str, str], dict | None]:
    rows = db.session.execute(
        db.select(VendorCustomer.external_id, VendorSku.sku, LicenseCount.extra)
        .join(LicenseCount, LicenseCount.vendor_customer_id == VendorCustomer.id)
        .join(VendorSku, VendorSku.id == LicenseCount.sku_id))
    return {(e, s): x for e, s, x in rows}


def history_rows() -> int:
    return db.session.execute(db.select(db.func.count()).select_from(LicenseCountHistory)).scalar_one()


def test_a_plugin_older_than_extra_still_builds_counts():
    count = PluginCount("c1", "seats", 3)
    assert (count.quantity, dict(count.extra)) == (Decimal(3), {})
    assert count == PluginCount("c1", "seats", Decimal(3), extra={})


def test_extra_is_stored_cleaned_and_an_unchanged_resync_writes_nothing(fake_integration, fake_vendor):
    fake_vendor.add("c1", "One", seats=5, mail=2)
    fake_vendor.count_extras[("c1", "seats")] = {"terms": "5 Annual\x1b[31m (1-Year)", "seats_cap": 10}
    first = run_sync("fake")
    assert first.counts_changed == 2
    # vendor strings are cleaned like a customer's extra; a count without extra stores NULL
    assert stored_extras() == {("c1", "seats"): {"terms": "5 Annual (1-Year)", "seats_cap": 10},
                               ("c1", "mail"): None}

    before = snapshot(SYNC_BOOKKEEPING)
    again = run_sync("fake")
    assert again.counts_changed == 0
    assert diff(before, snapshot(SYNC_BOOKKEEPING)) == {}
    assert audits_of_run(again.id) == []


def test_a_changed_extra_updates_the_count_without_history_audit_or_billing_signal(fake_integration, fake_vendor):
    fake_vendor.add("c1", "One", seats=5)
    fake_vendor.count_extras[("c1", "seats")] = {"terms": "5 Monthly"}
    run_sync("fake")
    history = history_rows()
    heard = []

    def listener(sender, **kw):
        heard.append(set(kw["changed_customer_ids"]))

    fake_vendor.count_extras[("c1", "seats")] = {"terms": "5 Annual"}
    with events.sync_applied.connected_to(listener):
        changed = run_sync("fake")
    db.session.expire_all()
    assert stored_extras() == {("c1", "seats"): {"terms": "5 Annual"}}
    assert stored_counts()[("c1", "seats")] == 5
    assert changed.counts_changed == 0  # no quantity changed
    assert history_rows() == history
    assert audits_of_run(changed.id) == []
    assert heard == [set()]  # billing hears of no changed customer

    # the plugin stops giving it: the stored extra goes
    del fake_vendor.count_extras[("c1", "seats")]
    run_sync("fake")
    db.session.expire_all()
    assert stored_extras() == {("c1", "seats"): None}


def test_a_quantity_change_carries_its_extra_and_a_dropped_sku_loses_it(fake_integration, fake_vendor):
    fake_vendor.add("c1", "One", seats=5, mail=1)
    fake_vendor.count_extras[("c1", "mail")] = {"terms": "1 Monthly"}
    run_sync("fake")
    history = history_rows()

    fake_vendor.counts["c1"] = {"seats": 7}
    fake_vendor.count_extras = {("c1", "seats"): {"terms": "7 Monthly"}}
    run = run_sync("fake")
    db.session.expire_all()
    assert run.counts_changed == 2
    assert stored_extras() == {("c1", "seats"): {"terms": "7 Monthly"}, ("c1", "mail"): None}
    assert stored_counts()[("c1", "mail")] == 0
    assert history_rows() == history + 2
    assert {a.field for a in audits_of_run(run.id) if a.action == "count.change"} == {"seats", "mail"}


def test_a_customer_whose_counts_failed_keeps_its_extra(fake_integration, fake_vendor):
    fake_vendor.add("c1", "One", seats=5)
    fake_vendor.count_extras[("c1", "seats")] = {"terms": "5 Monthly"}
    run_sync("fake")
    fake_vendor.count_extras[("c1", "seats")] = {"terms": "5 Annual"}
    fake_vendor.failing_counts = {"c1": "HTTP 404"}
    run_sync("fake")
    db.session.expire_all()
    assert stored_extras() == {("c1", "seats"): {"terms": "5 Monthly"}}
