"""What the sync hooks do: list the customers, then count them.

Each customer costs two calls with different budgets: ``getCompanyDetails`` (suspension) and the
monthly usage (licensing, 5 req/s). Run one after the other, the listing would finish before the
first usage call and the key's 10 req/s would sit half idle during both phases. So the listing
reads each customer's usage alongside its details, and keeps it for ``fetch_counts`` of the same
run (``session.run_context``: the hub gives each run its own session). Anything not read that way is
fetched then.
"""

from __future__ import annotations

from typing import Iterator

from hub.plugins import CountFailure, CustomerStatus, LicenseCount, VendorCustomer, VendorSession

from . import companies, usage
from .client import GravityZone

#: run_context key: {company id: (month, usage)} read during the listing of this run
READ_AHEAD = "hub_bitdefender.read_ahead"


def _store(session: VendorSession) -> dict:
    return session.run_context(READ_AHEAD, dict)


def list_customers(config: dict, session: VendorSession) -> Iterator[VendorCustomer]:
    gz = GravityZone(config, session)
    tree = companies.walk(gz, config.get("root_company_id"))
    month = usage.target_month(config["target_month"])
    store = _store(session)

    def read(company: companies.Company):
        suspended = companies.is_suspended(gz, company.id)
        return company, suspended, usage.read_usage(gz, company.id, config["usage_method"], month)

    for company, suspended, counted in session.map_concurrent(read, tree):
        store[company.id] = (month, counted)
        yield VendorCustomer(external_id=company.id, name=company.name, status=_status(company, suspended),
                             extra=_extra(company))


def fetch_counts(config: dict, session: VendorSession,
                 customers: list[VendorCustomer]) -> Iterator[LicenseCount | CountFailure]:
    gz = GravityZone(config, session)
    month = usage.target_month(config["target_month"])
    store = _store(session)
    missing = [c.external_id for c in customers
               if c.external_id not in store or store[c.external_id][0] != month]
    fresh = session.map_concurrent(lambda cid: usage.read_usage(gz, cid, config["usage_method"], month), missing)
    for customer in customers:
        cid = customer.external_id
        held = store.pop(cid, None)
        counted = held[1] if held is not None and held[0] == month else next(fresh)
        if isinstance(counted, CountFailure):
            yield counted
            continue
        for sku, quantity in sorted(counted.items()):
            if quantity:  # the hub reads a SKU left out as 0
                yield LicenseCount(cid, sku, quantity)


def _status(company: companies.Company, suspended: bool | None) -> CustomerStatus:
    if suspended:
        return CustomerStatus.SUSPENDED
    return CustomerStatus.TRIAL if company.trial else CustomerStatus.ACTIVE


def _extra(company: companies.Company) -> dict:
    return {"reseller": " / ".join(company.resellers)} if company.resellers else {}
