"""The hub's hooks for Proofpoint Essentials. Only ``@hookimpl`` functions: the work is in the modules."""

from __future__ import annotations

from hub.plugins import ConnectionCheck, DemoSimulator, VendorInfo, hookimpl

from . import __version__, listing
from .client import ProofpointClient
from .schema import ProofpointConfig
from .skus import map_skus


@hookimpl
def hub_vendor_info():
    return VendorInfo(
        slug="proofpoint",
        display_name="Proofpoint Essentials",
        version=__version__,
        description="Child organizations of your Proofpoint Essentials partner account, billed per user "
                    "of their licensing package.",
        config_schema=ProofpointConfig,
        docs_url="https://us1.proofpointessentials.com/api/v1/docs/index.php",
        # Proofpoint documents no rate limit; a sync needs only a handful of calls, so stay gentle
        # and sequential (see README "Rate limits").
        requests_per_second=2.0,
        max_concurrency=1,
    )


@hookimpl
def hub_test_connection(config, session):
    client = ProofpointClient(config, session)
    me = client.me()
    partner = client.partner_org()
    who = me.get("primary_email") or me.get("email") or config["username"]
    role = me.get("type") or me.get("entity_type")
    name = partner.get("name") or config["partner_domain"]
    message = f"signed in as {who}" + (f" ({role})" if role else "") + f"; partner organization {name}"
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
