"""A vendor plugin for tests: its vendor is a Python object the test edits between syncs.

It is registered exactly as an entry point would be (``registry.register``), and every hook goes
through pluggy; only the vendor's "API" is in memory.
"""

from __future__ import annotations

from decimal import Decimal

from marshmallow import Schema, fields

from hub.plugins import (
    ConnectionCheck,
    CountFailure,
    CustomerStatus,
    LicenseCount,
    SkuMapping,
    VendorCustomer,
    VendorInfo,
    hookimpl,
)


class FakeConfig(Schema):
    base_url = fields.Url(required=True, require_tld=False)
    api_key = fields.String(required=True, metadata={"secret": True})


class FakeVendor:
    """Customers as ``{external_id: (name, status)}``, counts as ``{external_id: {sku: qty}}``."""

    def __init__(self, slug: str = "fake") -> None:
        self.slug = slug
        self.customers: dict[str, tuple[str, str]] = {}
        self.counts: dict[str, dict[str, int]] = {}
        self.failing_counts: dict[str, str] = {}
        #: LicenseCount.extra of some counts, ``{(external_id, sku): {...}}``; the others are yielded the
        #: way a plugin older than ``extra`` does (three positional fields)
        self.count_extras: dict[tuple[str, str], dict] = {}
        #: the unit of a SKU, when not "license" (e.g. {"backup": "GB"})
        self.units: dict[str, str] = {}
        #: raise this from hub_list_customers / hub_fetch_license_counts / hub_test_connection
        self.list_error: BaseException | None = None
        self.count_error: BaseException | None = None
        self.connection_error: BaseException | None = None
        #: what hub_test_connection answers when it does not raise
        self.connection_check = ConnectionCheck(ok=True, message="ok", account_name="Fake MSP")
        #: yield this many customers, then raise (a listing cut short)
        self.list_cut_after: int | None = None
        self.calls: list[str] = []

    def add(self, external_id: str, name: str, status: str = "active", **counts: int) -> None:
        self.customers[external_id] = (name, status)
        self.counts[external_id] = dict(counts)

    def remove(self, external_id: str) -> None:
        self.customers.pop(external_id, None)
        self.counts.pop(external_id, None)

    @hookimpl
    def hub_vendor_info(self):
        return VendorInfo(slug=self.slug, display_name=f"Fake {self.slug}", version="1.0",
                          description="A vendor for tests", config_schema=FakeConfig)

    @hookimpl
    def hub_test_connection(self, config, session):
        self.calls.append("test_connection")
        if self.connection_error:
            raise self.connection_error
        return self.connection_check

    @hookimpl
    def hub_list_customers(self, config, session):
        self.calls.append("list_customers")
        if self.list_error:
            raise self.list_error
        for n, (ext, (name, status)) in enumerate(list(self.customers.items())):
            if self.list_cut_after is not None and n >= self.list_cut_after:
                from hub.plugins import VendorDataError

                raise VendorDataError("page 2 of the customer listing never came")
            yield VendorCustomer(external_id=ext, name=name, status=CustomerStatus(status))

    @hookimpl
    def hub_fetch_license_counts(self, config, session, customers):
        self.calls.append("fetch_license_counts")
        if self.count_error:
            raise self.count_error
        for customer in customers:
            if customer.external_id in self.failing_counts:
                yield CountFailure(customer.external_id, self.failing_counts[customer.external_id])
                continue
            for sku, qty in self.counts.get(customer.external_id, {}).items():
                extra = self.count_extras.get((customer.external_id, sku))
                if extra is None:
                    yield LicenseCount(customer.external_id, sku, Decimal(qty))
                else:
                    yield LicenseCount(customer.external_id, sku, Decimal(qty), extra=extra)

    @hookimpl
    def hub_map_skus(self, config, skus):
        return [SkuMapping(sku=s, name=f"Fake {s}", suggested_product_code=s.upper(), unit=self.units.get(s, "license"))
                for s in skus]


FAKE_CONFIG = {"base_url": "http://fake.example", "api_key": "sekrit-key-123"}
