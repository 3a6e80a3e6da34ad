"""The hub's hooks for SentinelOne. Only ``@hookimpl`` functions: the work is in the modules."""

from __future__ import annotations

from hub.plugins import ConnectionCheck, DemoSimulator, DocumentedLimits, VendorInfo, hookimpl

from . import __version__, listing
from .client import SentinelOneClient
from .schema import SentinelOneConfig
from .skus import map_skus


@hookimpl
def hub_vendor_info():
    return VendorInfo(
        slug="sentinelone",
        display_name="SentinelOne",
        version=__version__,
        description="Sites (or accounts) of your SentinelOne MSSP console, billed per active agent of "
                    "each suite and add-on bundle.",
        config_schema=SentinelOneConfig,
        docs_url="https://usea1-partners.sentinelone.net/api-doc/overview",
        # documented per token and endpoint: /sites 100 req/s (burst 10), /accounts 100 req/s. A quarter
        # of that: a sync makes a handful of requests (1,000 sites each), and 5/s made it wait 0.6 s for nothing
        requests_per_second=25.0,
        documented_limits=DocumentedLimits(requests_per_second=100, source="per token and endpoint: /sites and "
                                                                              "/accounts 100 req/s (vendor-apis.md 7.6)"),
        max_concurrency=1,
    )


@hookimpl
def hub_test_connection(config, session):
    body = SentinelOneClient(config, session).probe()
    total = (body.get("pagination") or {}).get("totalItems") if isinstance(body.get("pagination"), dict) else None
    seen = f"; the token sees {total} site(s)" if isinstance(total, int) else ""
    return ConnectionCheck(ok=True, message=f"the API token was accepted{seen}")


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

    return DemoSimulator(make_app=make_app, config_for=lambda base_url: {**DEMO_CONFIG, "base_url": base_url})
