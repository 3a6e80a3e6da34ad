"""The hub's hooks for CSV imports. Only ``@hookimpl`` functions: the work is in the modules."""

from __future__ import annotations

from hub.plugins import ConnectionCheck, DemoSimulator, SkuMapping, VendorInfo, hookimpl

from . import __version__, listing
from .schema import CsvImportConfig


@hookimpl
def hub_vendor_info():
    return VendorInfo(
        slug="csv_import",
        display_name="CSV import",
        version=__version__,
        description="License counts of a vendor without an API, from a CSV file you upload, a watched "
                    "folder or an export link. Add one per vendor (\"Datto via CSV\").",
        config_schema=CsvImportConfig,
        requests_per_second=2.0,
        max_concurrency=1,
        instances=True,
    )


@hookimpl
def hub_test_connection(config, session):
    parsed = listing.read(config, session)
    return ConnectionCheck(ok=True, message=f"read {parsed.rows} row(s): {len(parsed.customers)} customer(s), "
                                            f"{len(parsed.counts)} count(s)")


@hookimpl
def hub_list_customers(config, session):
    return listing.list_customers(config, session)


@hookimpl
def hub_fetch_license_counts(config, session, customers):
    return listing.license_counts(config, session, customers)


@hookimpl
def hub_listing_is_complete(config):
    return config["complete_listing"]


@hookimpl
def hub_map_skus(config, skus):
    # the file's SKU is the vendor's own code: its name is the code until the admin maps it
    return [SkuMapping(sku=sku, name=sku, unit=listing.unit_of(sku, config["default_unit"])) for sku in skus]


@hookimpl
def hub_demo_simulator():
    from .simulator import DEMO_CONFIG, make_app

    return DemoSimulator(make_app=make_app, config_for=lambda base_url: {
        **DEMO_CONFIG, "source": base_url + "/export/licenses.csv"}, instance_name="Datto via CSV")
