"""The partner's company tree: partners (resellers) are walked, customers collected.

``getCompaniesList`` has no paging and lists direct children only, without any status, so the
walk asks each partner three times (sub-partners, customers, trial customers) and suspension
comes from ``getCompanyDetails`` per customer.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass
from typing import Any

from hub.plugins import VendorConfigError, VendorDataError

from .client import GravityZone, InvalidParams

log = logging.getLogger("hub_bitdefender")

PARTNER, CUSTOMER = 0, 1
TRIAL_LICENSE = 1


@dataclass(frozen=True)
class Company:
    id: str
    name: str
    parent_id: str | None
    #: names of the sub-partners between the key's company and this one (empty: a direct customer)
    resellers: tuple[str, ...] = ()
    trial: bool = False


def walk(gz: GravityZone, root_id: str | None) -> list[Company]:
    """Every customer company below ``root_id`` (None: the key's own company), breadth first."""
    customers: list[Company] = []
    seen: set[str] = {root_id} if root_id else set()
    queue: deque[tuple[str | None, tuple[str, ...]]] = deque([(root_id, ())])
    refused_trials: list[str] = []
    while queue:
        parent_id, resellers = queue.popleft()
        try:
            partners = children(gz, parent_id, {"companyType": PARTNER})
            listed = children(gz, parent_id, {"companyType": CUSTOMER})
        except InvalidParams as err:
            if parent_id == root_id:
                raise _bad_root(err, root_id) from None
            # partners with sub-companies cannot be deleted, so one that vanished mid-walk had none
            log.debug("partner %s disappeared during the walk (%s): no children", parent_id, err.message)
            continue
        trials = _trial_ids(gz, parent_id, refused_trials)
        for company in listed:
            if company["id"] not in seen:
                seen.add(company["id"])
                customers.append(Company(company["id"], company["name"], parent_id, resellers,
                                         trial=company["id"] in trials))
        for partner in partners:
            if partner["id"] not in seen:
                seen.add(partner["id"])
                queue.append((partner["id"], resellers + (partner["name"],)))
    if refused_trials:  # once per run, not per partner: the admin needs to know trials are not flagged
        log.warning("GravityZone refused the licenseType filter for %d partner(s) (%s); their customers are "
                    "not flagged as trial", len(refused_trials), refused_trials[0])
    return customers


def children(gz: GravityZone, parent_id: str | None, filters: dict) -> list[dict[str, str]]:
    """Direct children of one company as ``[{"id", "name"}]``, checked."""
    params: dict[str, Any] = {"filters": filters}
    if parent_id:
        params["parentId"] = parent_id
    result = gz.call("network", "getCompaniesList", params)
    if not isinstance(result, list):
        raise VendorDataError(f"network/getCompaniesList answered {type(result).__name__}, not a list "
                              f"(parent {parent_id or 'of the API key'})")
    checked = []
    for item in result:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not item["id"]:
            raise VendorDataError(f"network/getCompaniesList listed a company without an id: {item!r:.120}")
        name = item.get("name")
        checked.append({"id": item["id"], "name": name.strip() if isinstance(name, str) and name.strip()
                        else f"Company {item['id']}"})
    return checked


def _trial_ids(gz: GravityZone, parent_id: str | None, refused: list[str]) -> set[str]:
    """Customers on a trial license, from the listing's own ``licenseType`` filter (one call per partner)."""
    try:
        return {c["id"] for c in children(gz, parent_id, {"companyType": CUSTOMER, "licenseType": TRIAL_LICENSE})}
    except InvalidParams as err:  # the filter is documented, but a refusal must not cost us the listing
        log.debug("trial customers of %s could not be listed: %s", parent_id or "the key's company", err.message)
        refused.append(err.message)
        return set()


def is_suspended(gz: GravityZone, company_id: str) -> bool | None:
    """``getCompanyDetails.isSuspended``; None when GravityZone no longer knows the company."""
    try:
        details = gz.call("companies", "getCompanyDetails", {"companyId": company_id})
    except InvalidParams as err:  # deleted since the listing: its usage call will fail too, and be recorded
        log.debug("details of company %s could not be read: %s", company_id, err.message)
        return None
    if not isinstance(details, dict):
        raise VendorDataError(f"companies/getCompanyDetails answered {type(details).__name__} for {company_id}")
    return details.get("isSuspended") is True


def _bad_root(err: InvalidParams, root_id: str | None) -> Exception:
    if root_id:
        return VendorConfigError(f"root_company_id: GravityZone cannot list companies under {root_id} "
                                 f"(is it a partner company you manage?): {err.message}", field="root_company_id")
    return VendorDataError(f"the API key's own company cannot be listed: {err.message}")
