"""One test per hook in hookspecs.py: what the hub does with each hook's answer (and its failure).

``tests/plugins/test_docs.py`` fails when a hook has no ``test_hook_<name>`` here, the way
datasette's ``test_plugin_hooks_have_tests`` does.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from hub import integrations
from hub.extensions import db
from hub.models import LicenseCount, VendorCustomer, VendorSku
from hub.plugins import ConnectionCheck, VendorAuthError, VendorDataError, hookimpl
from hub.sync import run_sync
from tests.fakes.fake_vendor import FAKE_CONFIG, FakeVendor


def stored_counts() -> dict[tuple[str, str], Decimal]:
    rows = db.session.execute(
        db.select(VendorCustomer.external_id, VendorSku.sku, LicenseCount.quantity)
        .join(LicenseCount, LicenseCount.vendor_customer_id == VendorCustomer.id)
        .join(VendorSku, VendorSku.id == LicenseCount.sku_id))
    return {(e, s): Decimal(q) for e, s, q in rows}


def test_hook_hub_vendor_info(app, fake_vendor):
    record = app.extensions["hub.plugins"].get("fake")
    assert (record.info.slug, record.info.display_name, record.info.secret_fields) == \
        ("fake", "Fake fake", frozenset({"api_key"}))
    # the hub names the vendor in its User-Agent and redacts the flagged secret fields
    session = app.extensions["hub.plugins"].handle("fake").make_session(FAKE_CONFIG)
    assert session.headers["User-Agent"].endswith("fake/1.0")
    assert session.redact(f"key={FAKE_CONFIG['api_key']}") == "key=***"


def test_hook_hub_test_connection(app_ctx, fake_vendor):
    check = integrations.test_connection("fake", dict(FAKE_CONFIG))
    assert check == ConnectionCheck(ok=True, message="ok", account_name="Fake MSP")
    fake_vendor.connection_error = VendorAuthError("key refused")
    with pytest.raises(VendorAuthError):
        integrations.test_connection("fake", dict(FAKE_CONFIG))


def test_hook_hub_test_connection_not_ok_fails_the_sync(fake_integration, fake_vendor):
    fake_vendor.add("c1", "Contoso", seats=1)
    fake_vendor.connection_check = ConnectionCheck(ok=False, message="key lacks the billing scope")
    fake_vendor.calls.clear()
    run = run_sync("fake")
    assert (run.status, run.error_kind) == ("failed", "auth_failed")
    assert fake_vendor.calls == ["test_connection"]


def test_hook_hub_list_customers(fake_integration, fake_vendor):
    fake_vendor.add("c1", "Contoso")
    fake_vendor.add("c2", "Fabrikam", status="suspended")
    assert run_sync("fake").status == "succeeded"
    rows = db.session.execute(db.select(VendorCustomer.external_id, VendorCustomer.vendor_status)
                              .order_by(VendorCustomer.external_id)).all()
    assert rows == [("c1", "active"), ("c2", "suspended")]
    fake_vendor.add("c3", "Litware")
    fake_vendor.list_cut_after = 1  # a listing that breaks after its first customer adds nobody
    assert run_sync("fake").status == "failed"
    assert db.session.scalar(db.select(db.func.count()).select_from(VendorCustomer)) == 2


def test_hook_hub_fetch_license_counts(fake_integration, fake_vendor):
    fake_vendor.add("c1", "Contoso", seats=5)
    fake_vendor.add("c2", "Fabrikam", seats=2)
    assert run_sync("fake").status == "succeeded"
    fake_vendor.counts["c1"]["seats"] = 7
    fake_vendor.counts["c2"]["seats"] = 9
    fake_vendor.failing_counts["c2"] = "tenant answered 404"
    run = run_sync("fake")
    assert (run.status, run.count_failures) == ("succeeded", 1)
    # c2 could not be counted: it keeps its last count
    assert stored_counts() == {("c1", "seats"): Decimal(7), ("c2", "seats"): Decimal(2)}


def test_hook_hub_map_skus(fake_integration, fake_vendor):
    fake_vendor.add("c1", "Contoso", seats=5)
    assert run_sync("fake").status == "succeeded"
    sku = db.session.execute(db.select(VendorSku)).scalar_one()
    assert (sku.sku, sku.name, sku.suggested_product_code) == ("seats", "Fake seats", "SEATS")


class CatalogueDown(FakeVendor):
    @hookimpl
    def hub_map_skus(self, config, skus):
        raise VendorDataError("catalogue unavailable")


def test_hook_hub_map_skus_failure_costs_only_the_names(fake_integration, app_ctx):
    registry = app_ctx.extensions["hub.plugins"]
    registry.unregister("fake")
    vendor = CatalogueDown("fake")
    registry.register(vendor, "fake")
    vendor.add("c1", "Contoso", storage=3)
    assert run_sync("fake").status == "succeeded"
    sku = db.session.execute(db.select(VendorSku)).scalar_one()
    assert (sku.sku, sku.name, sku.billable) == ("storage", "storage", True)


class PartialListing(FakeVendor):
    """A source that may leave customers out on purpose (an import of some customers)."""

    complete = False

    @hookimpl
    def hub_listing_is_complete(self, config):
        return self.complete


def test_hook_hub_listing_is_complete(fake_integration, app_ctx):
    registry = app_ctx.extensions["hub.plugins"]
    registry.unregister("fake")
    vendor = PartialListing("fake")
    registry.register(vendor, "fake")
    for n in range(10):
        vendor.add(f"c{n}", f"Customer {n}", seats=1)
    assert run_sync("fake").status == "succeeded"
    for n in range(9):
        vendor.remove(f"c{n}")
    run = run_sync("fake")  # a partial listing: nobody is detached, however few are listed
    assert (run.status, run.customers_detached) == ("succeeded", 0)
    for n in range(9):
        vendor.add(f"c{n}", f"Customer {n}", seats=1)
    vendor.remove("c9")
    vendor.complete = True
    assert run_sync("fake").customers_detached == 1  # a complete listing detaches the missing one


def test_hook_hub_demo_simulator(app_ctx):
    from hub.demo import start_simulators
    from tests.testing.dummy_vendor import AcmeVendor

    registry = app_ctx.extensions["hub.plugins"]
    registry.register(AcmeVendor(), "acme")
    running = start_simulators(app_ctx, customers=5)
    try:
        [sim] = running
        integration = integrations.get_integration("acme")
        assert integration.enabled and integration.settings["base_url"] == sim.base_url
        run = run_sync("acme")
        assert (run.status, run.customers_added) == ("succeeded", 5)
    finally:
        for sim in running:
            sim.stop()
        registry.unregister("acme")
