"""The demo's vendor console: play the vendor, Sync now, and the hub follows through the real plugin.

The demo is started as ``hub serve --demo`` starts it (``start_demo``), with two vendors loaded (Bitdefender
and Proofpoint) to keep it quick; syncs run inside the request (HUB_SYNC_IN_BACKGROUND off).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from hub.extensions import db
from hub.models import (Invoice, LicenseCount, LicenseCountHistory, QuantityChange, RecurringLine, SyncRun,
                        VendorCustomer, VendorIntegration, VendorSku)
from tests.conftest import make_test_config
from tests.web.billing_helpers import field_error

OTHERS = "acronis,csv_import,huntress,pax8,sentinelone,quickbooks,xero"


@pytest.fixture
def app_config(tmp_path, database_url):
    return make_test_config(tmp_path, database_url, HUB_SYNC_IN_BACKGROUND=False, HUB_LOAD_ENTRY_POINTS=True,
                            HUB_DISABLED_PLUGINS=OTHERS)


@pytest.fixture
def demo(app, users):
    from hub.demo import start_demo

    run = start_demo(app, customers=6)
    yield run
    for served in run.running:
        served.stop()


def _console_state(demo, slug="bitdefender"):
    return demo.simulators[slug].app.state


def _sync(client, slug="bitdefender"):
    response = client.post(f"/admin/apps/{slug}/sync")
    assert response.status_code == 302, response.data[:300]


def mapped_customer_with_its_line(slug: str = "bitdefender") -> tuple[VendorCustomer, RecurringLine, LicenseCount]:
    """A mapped customer of ``slug`` with a count, its Organization's vendor line, that count; not the one
    whose drop the demo holds (its line waits for approval, so it would not follow)."""
    held = db.select(QuantityChange.line_id).where(QuantityChange.status == "pending")
    for customer in db.session.execute(
            db.select(VendorCustomer).join(VendorIntegration)
            .where(VendorIntegration.slug == slug, VendorCustomer.organization_id.is_not(None))
            .order_by(VendorCustomer.id)).scalars():
        # the count whose SKU bills as the line's product: an Organization can have a line per product, and
        # without an order PostgreSQL may return another product's line first
        for line in db.session.execute(db.select(RecurringLine).where(
                RecurringLine.integration_id == customer.integration_id, RecurringLine.id.not_in(held),
                RecurringLine.recurring_invoice.has(organization_id=customer.organization_id))
                .order_by(RecurringLine.id)).scalars():
            count = db.session.execute(
                db.select(LicenseCount).join(VendorSku, VendorSku.id == LicenseCount.sku_id)
                .where(LicenseCount.vendor_customer_id == customer.id, LicenseCount.quantity > 0,
                       VendorSku.product_id == line.product_id)
                .order_by(LicenseCount.id)).scalars().first()
            if count is not None:
                return customer, line, count
    raise AssertionError(f"the demo mapped no {slug} customer with a line")


def test_console_lists_each_simulated_vendor_and_is_labelled_demo_only(client, auth, demo):
    auth.login("admin")
    html = client.get("/demo/vendor-console/").data.decode()
    assert "This page plays the vendor" in html and "demo only" in html
    assert "/demo/vendor-console/?vendor=bitdefender" in html and "/demo/vendor-console/?vendor=proofpoint" in html
    names = [c.name for c in _console_state(demo).companies.values() if c.type == 1]
    assert names and all(name.replace("&", "&amp;").replace("'", "&#39;") in html for name in names)
    assert "Vendor console (demo)" in html  # in the navigation, in demo mode only


def test_a_count_changed_at_the_vendor_flows_into_the_recurring_line_after_sync_now(client, auth, demo):
    customer, line, count = mapped_customer_with_its_line()
    before = Decimal(line.quantity)
    counter = f"0:{count.sku.sku}" if ":" not in count.sku.sku else count.sku.sku
    db.session.remove()
    auth.login("admin")
    response = client.post("/demo/vendor-console/bitdefender/count",
                           data={"customer": customer.external_id, "counter": counter, "count": str(int(count.quantity) + 25)})
    assert response.status_code == 302, response.data.decode()[:2000]
    _sync(client)
    line = db.session.get(RecurringLine, line.id)
    assert Decimal(line.quantity) == before + 25


def test_a_customer_deleted_at_the_vendor_turns_detached_after_sync_now(client, auth, demo):
    customer = db.session.execute(db.select(VendorCustomer).join(VendorIntegration)
                                  .where(VendorIntegration.slug == "proofpoint")
                                  .order_by(VendorCustomer.id)).scalars().first()
    key, customer_id = customer.external_id, customer.id
    db.session.remove()
    auth.login("admin")
    assert client.post("/demo/vendor-console/proofpoint/delete", data={"customer": key}).status_code == 302
    _sync(client, "proofpoint")
    assert db.session.get(VendorCustomer, customer_id).detached_at is not None


def test_a_customer_added_at_the_vendor_appears_not_mapped_after_sync_now(client, auth, demo):
    auth.login("admin")
    response = client.post("/demo/vendor-console/bitdefender/add", data={"name": "Harbor Lights Ltd", "count": "7"})
    assert response.status_code == 302
    _sync(client)
    added = db.session.execute(db.select(VendorCustomer).filter_by(name="Harbor Lights Ltd")).scalar_one()
    assert added.organization_id is None and added.detached_at is None


def test_bad_input_shows_every_error_at_once_next_to_its_field_and_changes_nothing(client, auth, demo):
    before = len(_console_state(demo).companies)
    auth.login("admin")
    response = client.post("/demo/vendor-console/bitdefender/add", data={"name": "x" * 20_000, "count": "-3"})
    assert response.status_code == 400
    html = response.data.decode()
    assert "at most 100 characters" in (field_error(html, "name") or "")
    assert "whole number from 0 to" in (field_error(html, "count") or "")
    assert "x" * 200 not in html  # the long value is not echoed back whole
    assert len(_console_state(demo).companies) == before


def test_viewers_and_billing_may_not_play_the_vendor(client, auth, demo):
    for role in ("viewer", "billing"):
        auth.login(role)
        assert client.get("/demo/vendor-console/").status_code == 403
        assert client.post("/demo/vendor-console/bitdefender/add", data={"name": "X", "count": "1"}).status_code == 403
        auth.logout()


def test_outside_demo_mode_the_console_does_not_exist(client, auth):
    auth.login("admin")
    assert client.get("/demo/vendor-console/").status_code == 404
    assert "Vendor console" not in client.get("/").data.decode()


def test_the_demo_tells_its_story_history_issued_invoices_a_held_change_a_failed_sync(demo):
    from datetime import timedelta

    from hub.timeutil import utcnow

    assert db.session.execute(db.select(db.func.count()).select_from(Invoice)
                              .where(Invoice.status == "issued")).scalar_one() >= 1
    assert db.session.execute(db.select(QuantityChange).filter_by(status="pending")).scalars().first() is not None
    assert db.session.execute(db.select(SyncRun).filter_by(status="failed")).scalars().first() is not None
    oldest = db.session.execute(db.select(db.func.min(LicenseCountHistory.recorded_at))).scalar_one()
    assert oldest <= utcnow() - timedelta(days=80)
    # the history adds up: each count's last recorded quantity is the count now, and most moved in between
    moved = 0
    for count in db.session.execute(db.select(LicenseCount).where(LicenseCount.quantity > 0)).scalars():
        rows = db.session.execute(db.select(LicenseCountHistory).filter_by(
            vendor_customer_id=count.vendor_customer_id, sku_id=count.sku_id)
            .order_by(LicenseCountHistory.recorded_at, LicenseCountHistory.id)).scalars().all()
        assert rows and Decimal(rows[-1].quantity) == Decimal(count.quantity)
        assert all(Decimal(a.quantity) == Decimal(b.previous_quantity) for a, b in zip(rows, rows[1:]))
        moved += len(rows) > 2
    assert moved >= 3
