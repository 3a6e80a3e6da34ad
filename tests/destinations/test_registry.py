"""Destination plugins load beside vendor plugins, through the same registry and its isolation."""

from __future__ import annotations

from marshmallow import Schema, fields

from hub.plugin_host import PluginRegistry
from hub.plugins import ConnectionCheck, DestinationInfo, OAuthSettings, hookimpl
from tests.fakes.fake_vendor import FakeVendor


class Config(Schema):
    client_id = fields.String(required=True)
    client_secret = fields.String(required=True, metadata={"secret": True})


class MiniDestination:
    def __init__(self, slug: str = "books") -> None:
        self.slug = slug

    @hookimpl
    def hub_destination_info(self):
        return DestinationInfo(slug=self.slug, display_name="Books", version="1.0", description="d",
                               config_schema=Config, max_batch=5,
                               oauth=OAuthSettings("https://x.example/auth", "https://x.example/token", ("a",)))

    @hookimpl
    def hub_destination_test_connection(self, config, session, auth):
        return ConnectionCheck(True, "ok")

    @hookimpl
    def hub_destination_list(self, config, session, auth, kind):
        return []

    @hookimpl
    def hub_destination_customer(self, config, session, auth, customer):
        raise NotImplementedError

    @hookimpl
    def hub_destination_item(self, config, session, auth, product):
        raise NotImplementedError

    @hookimpl
    def hub_destination_push_invoices(self, config, session, auth, invoices):
        return []

    @hookimpl
    def hub_destination_void_invoice(self, config, session, auth, external_id):
        return None


class NoVoid(MiniDestination):
    hub_destination_void_invoice = None


class BadBatch(MiniDestination):
    @hookimpl
    def hub_destination_info(self):
        return DestinationInfo(**{**super().hub_destination_info().__dict__, "max_batch": 0})


class Mixed(MiniDestination):
    """A destination that also claims a vendor hook."""

    @hookimpl
    def hub_list_customers(self, config, session):
        return []


def test_destination_loads_beside_a_vendor_and_each_is_called_alone():
    registry = PluginRegistry()
    assert registry.register(FakeVendor("fake"), "fake") is not None
    record = registry.register(MiniDestination(), "books")
    assert record is not None and registry.errors == []
    assert set(registry.vendors) == {"fake"} and set(registry.destinations) == {"books"}
    handle = registry.destination_handle("books")
    assert handle.info.max_batch == 5
    assert handle.test_connection({}, None, None) == ConnectionCheck(True, "ok")
    # the vendor's handle never reaches the destination, nor the other way round
    assert registry.handle("fake").info.slug == "fake"
    assert handle.payment_status({}, None, None, ["1"]) is None  # optional hook not implemented


def test_broken_destination_is_a_load_error_not_fatal():
    registry = PluginRegistry()
    assert registry.register(NoVoid(), "books") is None
    assert registry.register(BadBatch("books2"), "books2") is None
    assert registry.register(MiniDestination("other"), "books3") is None
    assert registry.register(Mixed("books4"), "books4") is None
    errors = {e.name: e.message for e in registry.errors}
    assert "missing required hooks: hub_destination_void_invoice" in errors["books"]
    assert "max_batch" in errors["books2"]
    assert "does not match the entry-point name" in errors["books3"]
    assert "implements hooks of the other family: hub_list_customers" in errors["books4"]
    assert registry.destinations == {}
    assert registry.register(MiniDestination(), "books") is not None  # the others still load


def test_vendor_with_a_destination_hook_is_refused():
    class VendorToo(FakeVendor):
        @hookimpl
        def hub_destination_list(self, config, session, auth, kind):
            return []

    registry = PluginRegistry()
    assert registry.register(VendorToo("fake"), "fake") is None
    assert "hub_destination_list" in registry.errors[0].message
