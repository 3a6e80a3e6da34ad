"""The hub's hooks for Bitdefender GravityZone Cloud (partner API). Registered as entry point ``bitdefender``."""

from __future__ import annotations

from hub.plugins import ConnectionCheck, DemoSimulator, DocumentedLimits, VendorInfo, hookimpl

from . import __version__, connection, simulator, sync
from .schema import BitdefenderConfig
from .skus import describe_all


@hookimpl
def hub_vendor_info():
    return VendorInfo(
        slug="bitdefender",
        display_name="Bitdefender GravityZone",
        version=__version__,
        description="Customers from your GravityZone Cloud partner company tree, billed on their monthly usage.",
        config_schema=BitdefenderConfig,
        docs_url="https://www.bitdefender.com/business/support/en/77211-125277-public-api.html",
        requests_per_second=10,
        rate_limits={"licensing": 5, "companies": 5},  # companies: the 77209 page lists getCompanyDetails
        documented_limits=DocumentedLimits(requests_per_second=10, rate_limits={"licensing": 5},
                                           source="GravityZone docs 77211-394430: 10 req/s per API key; "
                                                  "5 req/s for the licensing usage methods"),
        max_concurrency=6,
    )


@hookimpl
def hub_test_connection(config, session) -> ConnectionCheck:
    return connection.check(config, session)


@hookimpl
def hub_list_customers(config, session):
    yield from sync.list_customers(config, session)


@hookimpl
def hub_fetch_license_counts(config, session, customers):
    yield from sync.fetch_counts(config, session, customers)


@hookimpl
def hub_map_skus(skus):
    return describe_all(skus)


@hookimpl
def hub_demo_simulator():
    return DemoSimulator(make_app=simulator.make_demo_app, config_for=simulator.config_for)

