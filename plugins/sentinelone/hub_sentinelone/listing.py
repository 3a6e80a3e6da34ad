"""Customers and their counts from one listing per run: sites, or accounts with their sites added up.

The counts are on the site objects, so counting needs no call of its own: ``list_customers`` keeps
what it read in the run's context (``session.run_context``) and ``license_counts`` reads it from
there. Called with a session that listed nothing (a test, a count-only call), it reads the sites once
itself. The hub makes a session per run, so counts never come from an earlier run.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from decimal import Decimal
from typing import Iterable, Iterator

from hub.plugins import CountFailure, LicenseCount, VendorCustomer, VendorDataError, VendorSession

from .client import SentinelOneClient
from .sites import entity_id, is_deleted, site_quantities, status_of

log = logging.getLogger("hub_sentinelone")

#: customer id -> its SKU quantities, or the reason it could not be counted
Counted = dict[str, "dict[str, Decimal] | str"]

#: the run-context key of what this run's listing counted: {config key: Counted}
COUNTED = "sentinelone.counted"


def list_customers(config: dict, session: VendorSession) -> Iterator[VendorCustomer]:
    client = SentinelOneClient(config, session)
    if config["customer_level"] == "account":
        customers, counted = _accounts(client, config)
    else:
        customers, counted = _sites(client, config)
    yield from customers
    session.run_context(COUNTED, dict)[_key(config)] = counted


def license_counts(config: dict, session: VendorSession,
                   customers: Iterable[VendorCustomer]) -> Iterator[LicenseCount | CountFailure]:
    counted = _counted_for_run(config, session)
    for customer in customers:
        found = counted.get(customer.external_id)
        if found is None:
            yield CountFailure(customer.external_id, "not in SentinelOne's listing any more")
        elif isinstance(found, str):
            yield CountFailure(customer.external_id, found)
        else:
            for sku, quantity in sorted(found.items()):
                yield LicenseCount(customer.external_id, sku, quantity)


def _sites(client: SentinelOneClient, config: dict) -> tuple[list[VendorCustomer], Counted]:
    customers: list[VendorCustomer] = []
    counted: Counted = {}
    for site in client.sites():
        site_id = entity_id(site, "site")
        if is_deleted(site) or (site.get("isDefault") is True and not config["include_default_sites"]):
            continue
        if site_id in counted:
            raise VendorDataError(f"SentinelOne listed site {site_id} twice")
        customers.append(VendorCustomer(external_id=site_id, name=_site_name(site, site_id),
                                        status=status_of(site, "siteType"), extra=_site_extra(site)))
        quantities, problem = site_quantities(site, bill_trials=config["bill_trials"])
        counted[site_id] = problem or quantities
    return customers, counted


def _accounts(client: SentinelOneClient, config: dict) -> tuple[list[VendorCustomer], Counted]:
    customers: list[VendorCustomer] = []
    counted: Counted = {}
    for account in client.accounts():
        account_id = entity_id(account, "account")
        if is_deleted(account):
            continue
        if account_id in counted:
            raise VendorDataError(f"SentinelOne listed account {account_id} twice")
        name = account.get("name")
        if not isinstance(name, str) or not name.strip():
            raise VendorDataError(f"account {account_id} has no name")
        customers.append(VendorCustomer(external_id=account_id, name=name.strip(),
                                        status=status_of(account, "accountType")))
        counted[account_id] = {}
    # counts come from the sites only (adding the account's own totals too would count twice)
    totals: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for site in client.sites():
        entity_id(site, "site")
        account_id = str(site.get("accountId") or "")
        if is_deleted(site) or account_id not in counted or isinstance(counted[account_id], str):
            continue
        quantities, problem = site_quantities(site, bill_trials=config["bill_trials"])
        if problem:
            counted[account_id] = f"site {site.get('name')!r}: {problem}"
            continue
        for sku, quantity in quantities.items():
            totals[account_id][sku] += quantity
    for account_id, found in counted.items():
        if not isinstance(found, str):
            counted[account_id] = dict(totals.get(account_id, {}))
    return customers, counted


def _site_name(site: dict, site_id: str) -> str:
    name = site.get("name")
    if not isinstance(name, str) or not name.strip():
        raise VendorDataError(f"site {site_id} has no name")
    if site.get("isDefault") is True and site.get("accountName"):
        # every account has a "Default site": name it after its account so the rows can be told apart
        return f"{str(site['accountName']).strip()} / {name.strip()}"
    return name.strip()


def _site_extra(site: dict) -> dict:
    extra = {}
    for key, label in (("accountName", "account"), ("accountId", "account_id"), ("externalId", "external_id")):
        value = site.get(key)
        if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip():
            extra[label] = str(value).strip()
    if site.get("unlimitedLicenses") is True:
        extra["unlimited"] = True
    return extra


def _counted_for_run(config: dict, session: VendorSession) -> Counted:
    remembered = session.run_context(COUNTED, dict).get(_key(config))
    if remembered is not None:
        return remembered
    log.debug("no listing remembered for this session: listing again")
    client = SentinelOneClient(config, session)
    return (_accounts(client, config) if config["customer_level"] == "account" else _sites(client, config))[1]


def _key(config: dict) -> tuple:
    return (config["base_url"], config["api_token"], config["customer_level"])
