"""The hub's hooks for Huntress. Only ``@hookimpl`` functions: the work is in the modules."""

from __future__ import annotations

from hub.plugins import ConnectionCheck, DemoSimulator, DocumentedLimits, VendorInfo, hookimpl

from . import __version__, listing
from .client import HuntressClient
from .schema import HuntressConfig
from .skus import map_skus


@hookimpl
def hub_vendor_info():
    return VendorInfo(
        slug="huntress",
        display_name="Huntress",
        version=__version__,
        description="Organizations of your Huntress account, billed per EDR agent, ITDR identity and "
                    "SAT learner.",
        config_schema=HuntressConfig,
        docs_url="https://api.huntress.io/docs",
        # documented: 60 requests per minute in a sliding window. The session sends each request a
        # second after the previous answer; a sync needs one request per 500 organizations.
        requests_per_second=1.0,
        documented_limits=DocumentedLimits(requests_per_second=1.0, window_seconds=60,
                                           source="60 requests per minute, sliding window (vendor-apis.md 8.6)"),
        max_concurrency=1,
    )


@hookimpl
def hub_test_connection(config, session):
    account = HuntressClient(config, session).account()
    name = account.get("name") or account.get("subdomain") or "your account"
    status = account.get("status")
    message = f"signed in to Huntress account {name}" + (f" ({status})" if status else "")
    return ConnectionCheck(ok=True, message=message, account_name=str(name))


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
