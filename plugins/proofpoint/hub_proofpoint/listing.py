"""Customers and their counts from one org listing per run.

Proofpoint puts the seat counts on the org objects of the partner's listing, so counting needs no
call of its own: ``list_customers`` keeps the orgs it read for the session of that run, and
``license_counts`` reads them from there (``session.run_context``, which lives as long as the run's
session, so counts never come from an earlier run). Called with a session that listed nothing (a
test, a count-only call), it lists once itself.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Iterable, Iterator

from hub.plugins import CountFailure, CustomerStatus, LicenseCount, VendorCustomer, VendorSession

from .client import ProofpointClient
from .orgs import Org, count_of, sku_for

log = logging.getLogger("hub_proofpoint")

#: run_context key: {settings key: {eid: Org}} of the listings read to the end in this run
LISTED = "hub_proofpoint.listed_orgs"


def list_customers(config: dict, session: VendorSession) -> Iterator[VendorCustomer]:
    orgs: dict[str, Org] = {}
    for org in ProofpointClient(config, session).customer_orgs():
        orgs[org.eid] = org
        yield to_customer(org, config)
    # only a listing read to the end is remembered
    session.run_context(LISTED, dict)[_key(config)] = orgs


def license_counts(config: dict, session: VendorSession,
                   customers: Iterable[VendorCustomer]) -> Iterator[LicenseCount | CountFailure]:
    orgs = _orgs_for_run(config, session)
    source, bill_trials = config["quantity_source"], config["bill_trials"]
    for customer in customers:
        org = orgs.get(customer.external_id)
        if org is None:
            yield CountFailure(customer.external_id, "not in Proofpoint's org listing any more")
            continue
        quantity, problem = count_of(org, source)
        if problem:
            yield CountFailure(customer.external_id, problem)
            continue
        yield LicenseCount(customer.external_id, sku_for(org, bill_trials), Decimal(quantity))


def to_customer(org: Org, config: dict) -> VendorCustomer:
    if not org.is_active:
        status = CustomerStatus.SUSPENDED
    elif org.is_on_trial:
        status = CustomerStatus.TRIAL
    else:
        status = CustomerStatus.ACTIVE
    extra: dict = {"domain": org.primary_domain} if org.primary_domain else {}
    if org.parent_domain != config["partner_domain"]:
        extra["partner"] = org.parent_domain  # sold through a sub-partner (channel) of the MSP
    if org.type != "organization":
        extra["type"] = org.type
    return VendorCustomer(external_id=org.eid, name=org.name, status=status, extra=extra)


def _orgs_for_run(config: dict, session: VendorSession) -> dict[str, Org]:
    remembered = session.run_context(LISTED, dict).get(_key(config))
    if remembered is not None:
        return remembered
    log.debug("no org listing remembered for this session: listing again")
    return {org.eid: org for org in ProofpointClient(config, session).customer_orgs()}


def _key(config: dict) -> tuple:
    return (config["base_url"], config["partner_domain"], config["username"])
