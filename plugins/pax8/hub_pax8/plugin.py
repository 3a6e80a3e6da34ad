"""The hub's hooks for Pax8. Only ``@hookimpl`` functions: the work is in the modules."""

from __future__ import annotations

from hub.plugins import ConnectionCheck, DemoSimulator, VendorInfo, hookimpl

from . import __version__, listing
from .products import map_skus
from .schema import Pax8Config


@hookimpl
def hub_vendor_info():
    return VendorInfo(
        slug="pax8",
        display_name="Pax8",
        version=__version__,
        description="Companies of your Pax8 partner account and their subscriptions: Microsoft 365 and "
                    "every other product you buy through Pax8, summed per product.",
        config_schema=Pax8Config,
        docs_url="https://devx.pax8.com",
        # Pax8 documents 429 but no number; stay well under the ~1,000/minute a third party reports
        requests_per_second=10.0,
        max_concurrency=4,
    )


@hookimpl
def hub_test_connection(config, session):
    client = listing.client_for(config, session)
    body = client.get("/companies", {"page": 0, "size": 1})
    total = (body.get("page") or {}).get("totalElements") if isinstance(body, dict) else None
    seen = f"; {total} companies" if isinstance(total, int) else ""
    return ConnectionCheck(ok=True, message=f"signed in to the Pax8 Partner API{seen}")


@hookimpl
def hub_list_customers(config, session):
    return listing.list_customers(config, session)


@hookimpl
def hub_fetch_license_counts(config, session, customers):
    return listing.license_counts(config, session, customers)


@hookimpl
def hub_map_skus(config, skus):
    return list(map_skus(skus))


@hookimpl
def hub_demo_simulator():
    from .simulator import DEMO_CONFIG, make_app

    return DemoSimulator(make_app=make_app, config_for=lambda base_url: {
        **DEMO_CONFIG, "base_url": base_url, "auth_url": base_url + "/oauth/token"})
