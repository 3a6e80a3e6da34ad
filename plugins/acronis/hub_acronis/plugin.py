"""The hub's hooks for Acronis Cyber Protect Cloud. Each one maps client results to hub records."""

from __future__ import annotations

from urllib.parse import urlsplit

from hub.plugins import ConnectionCheck, DemoSimulator, SkuMapping, VendorInfo, hookimpl

from . import __version__
from .client import client_for
from .counts import fetch_counts
from .customers import list_customers
from .schema import AcronisConfig
from .skus import SKUS, product_code


@hookimpl
def hub_vendor_info():
    return VendorInfo(
        slug="acronis",
        display_name="Acronis Cyber Protect Cloud",
        version=__version__,
        description="Customers from the partner's tenant tree and their usage (workloads, storage, packs).",
        config_schema=AcronisConfig,
        docs_url="https://developer.acronis.com/doc/account-management/v2/guide/index",
        # Acronis publishes no rate limit; a sync needs about (customers / 100) + pages + 3 calls,
        # so 5 calls per second costs little and stays polite to a shared data center
        requests_per_second=5.0,
        max_concurrency=2,
    )


@hookimpl
def hub_test_connection(config, session):
    client = client_for(config, session)
    tenant = client.tenant(client.partner_tenant_id())
    name = str(tenant.get("name") or tenant["id"])
    host = urlsplit(config["base_url"]).netloc
    return ConnectionCheck(ok=True, account_name=name,
                           message=f"Connected to {host} as {name} ({tenant.get('kind') or 'tenant'})")


@hookimpl
def hub_list_customers(config, session):
    yield from list_customers(client_for(config, session))


@hookimpl
def hub_fetch_license_counts(config, session, customers):
    yield from fetch_counts(client_for(config, session), session, customers)


@hookimpl
def hub_map_skus(config, skus):
    return [SkuMapping(sku=sku, name=SKUS[sku].name, unit=SKUS[sku].unit, billable=SKUS[sku].billable,
                       suggested_product_code=product_code(sku))
            for sku in skus if sku in SKUS]


@hookimpl
def hub_demo_simulator():
    from .simulator import SIM_CLIENT_ID, SIM_CLIENT_SECRET, make_app

    return DemoSimulator(
        make_app=make_app,
        config_for=lambda base_url: {"base_url": base_url, "client_id": SIM_CLIENT_ID,
                                     "client_secret": SIM_CLIENT_SECRET},
    )
