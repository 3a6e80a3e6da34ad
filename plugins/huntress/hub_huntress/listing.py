"""Customers and their counts from one organization listing per run.

Huntress puts every count on the organization object, so counting needs no call of its own:
``list_customers`` keeps the organizations it read in the run's context (``session.run_context``)
and ``license_counts`` reads them from there. Called with a session that listed nothing (a test, a
count-only call), it lists once itself. The hub makes a session per run, so counts never come from
an earlier run.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any, Iterable, Iterator

from hub.plugins import CountFailure, CustomerStatus, LicenseCount, VendorCustomer, VendorDataError, VendorSession

from .client import HuntressClient
from .skus import COUNTED, SIEM_SKU

log = logging.getLogger("hub_huntress")

#: the run-context key of the organizations this run's listing read: {config key: {id: organization}}
LISTED = "huntress.organizations"


def list_customers(config: dict, session: VendorSession) -> Iterator[VendorCustomer]:
    orgs: dict[str, dict] = {}
    for org in HuntressClient(config, session).organizations():
        customer = to_customer(org)
        if customer.external_id in orgs:
            raise VendorDataError(f"Huntress listed organization {customer.external_id} twice")
        orgs[customer.external_id] = org
        yield customer
    # only a listing read to the end is remembered
    session.run_context(LISTED, dict)[_key(config)] = orgs


def license_counts(config: dict, session: VendorSession,
                   customers: Iterable[VendorCustomer]) -> Iterator[LicenseCount | CountFailure]:
    orgs = _orgs_for_run(config, session)
    for customer in customers:
        org = orgs.get(customer.external_id)
        if org is None:
            yield CountFailure(customer.external_id, "not in Huntress's organization listing any more")
            continue
        yield from counts_of(customer.external_id, org, config)


def to_customer(org: dict) -> VendorCustomer:
    """An organization is a customer; its integer ``id`` (never the changeable ``key``) is the id."""
    raw_id = org.get("id")
    if isinstance(raw_id, bool) or not isinstance(raw_id, int) or raw_id <= 0:
        raise VendorDataError(f"an organization has no integer id (id = {raw_id!r}); nothing applied")
    name = org.get("name")
    if not isinstance(name, str) or not name.strip():
        raise VendorDataError(f"organization {raw_id} has no name")
    extra: dict[str, Any] = {}
    if isinstance(org.get("key"), str) and org["key"]:
        extra["key"] = org["key"]
    # Huntress has no suspended or trial state for organizations: all listed ones are active
    return VendorCustomer(external_id=str(raw_id), name=name.strip(), status=CustomerStatus.ACTIVE, extra=extra)


def counts_of(external_id: str, org: dict, config: dict) -> Iterator[LicenseCount | CountFailure]:
    """One count per product, or one CountFailure when a field the hub needs is unreadable."""
    found: list[LicenseCount] = []
    for product in COUNTED:
        if product.sku == SIEM_SKU and not config.get("bill_siem_sources"):
            continue
        value = org.get(product.field)
        if value is None and product.optional:
            value = 0
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            yield CountFailure(external_id, f"Huntress sent {product.field} = {value!r}, not a count")
            return
        found.append(LicenseCount(external_id, product.sku, Decimal(value)))
    yield from found


def _orgs_for_run(config: dict, session: VendorSession) -> dict[str, dict]:
    remembered = session.run_context(LISTED, dict).get(_key(config))
    if remembered is not None:
        return remembered
    log.debug("no organization listing remembered for this session: listing again")
    return {to_customer(org).external_id: org for org in HuntressClient(config, session).organizations()}


def _key(config: dict) -> tuple:
    return (config["base_url"], config["api_key"])
