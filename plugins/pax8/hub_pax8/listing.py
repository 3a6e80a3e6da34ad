"""Companies, their billable subscriptions summed per product, and the products' names.

One run reads ``/companies`` once and ``/subscriptions`` once (grouped by company, never a query
per company), and ``/products/{id}`` once for each product it saw. The run's client (and its
token) is kept in the run's context (``session.run_context``): the hub makes a session per run.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from decimal import Decimal
from typing import Iterable, Iterator

from hub.plugins import (
    CountFailure,
    CustomerStatus,
    LicenseCount,
    VendorCustomer,
    VendorDataError,
    VendorError,
    VendorSession,
)

from .client import Pax8Client
from .products import remember_product
from .schema import billable_statuses

log = logging.getLogger("hub_pax8")

_UUID = re.compile(r"^[0-9a-fA-F-]{8,64}$")
#: the run-context key of the run's clients: {config key: Pax8Client}
CLIENTS = "pax8.clients"


def client_for(config: dict, session: VendorSession) -> Pax8Client:
    """The run's client: one token for the whole run, whichever hook asks first."""
    key = (config["base_url"], config["auth_url"], config["client_id"])
    clients = session.run_context(CLIENTS, dict)
    client = clients.get(key)
    if client is None:
        client = clients[key] = Pax8Client(config, session)
    return client


def list_customers(config: dict, session: VendorSession) -> Iterator[VendorCustomer]:
    for company in client_for(config, session).paged("/companies"):
        status = str(company.get("status") or "")
        if status == "Deleted":
            continue  # gone: the hub detaches it after this complete listing
        name = company.get("name")
        if not isinstance(name, str) or not name.strip():
            raise VendorDataError(f"company {company['id']} has no name")
        extra = {"external_id": str(company["externalId"])} if company.get("externalId") else {}
        yield VendorCustomer(external_id=company["id"], name=name.strip(),
                             status=CustomerStatus.SUSPENDED if status == "Inactive" else CustomerStatus.ACTIVE,
                             extra=extra)


def license_counts(config: dict, session: VendorSession,
                   customers: Iterable[VendorCustomer]) -> Iterator[LicenseCount | CountFailure]:
    client = client_for(config, session)
    wanted = {c.external_id for c in customers}
    billable = billable_statuses(config)
    totals: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    terms: dict[tuple[str, str], dict[tuple[str, str, str], Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    failed: dict[str, str] = {}
    for sub in client.paged("/subscriptions"):
        company = sub.get("companyId")
        if company not in wanted or company in failed or sub.get("status") not in billable:
            continue
        product, quantity = sub.get("productId"), sub.get("quantity")
        if not isinstance(product, str) or not _UUID.match(product):
            failed[company] = f"subscription {sub['id']} names no product"
            continue
        amount = Decimal(quantity) if isinstance(quantity, (int, Decimal)) and not isinstance(quantity, bool) \
            else None
        if amount is None or not amount.is_finite() or amount < 0:
            failed[company] = f"subscription {sub['id']} has quantity {quantity!r}, not a count"
        else:
            # a Monthly and an Annual subscription to one product add up, never overwrite
            product = product.lower()
            totals[company][product] += amount
            terms[company, product][_term_of(sub)] += amount
    _name_products(client, {p for company, by in totals.items() for p in by if company not in failed})
    for external_id in sorted(wanted):
        if external_id in failed:
            yield CountFailure(external_id, failed[external_id])
            continue
        for product, quantity in sorted(totals.get(external_id, {}).items()):
            yield LicenseCount(external_id, product, quantity,
                               extra={"terms": describe_terms(terms[external_id, product])})


#: Pax8's billing terms in their documented order; any other term follows, alphabetically
_BILLING_TERMS = ("Monthly", "Annual", "2-Year", "3-Year", "One-Time", "Trial", "Activation")


def _term_of(sub: dict) -> tuple[str, str, str]:
    """(billing term, commitment term, commitment end date) of one subscription; '' where absent."""
    commitment = sub.get("commitmentTerm") if isinstance(sub.get("commitmentTerm"), dict) else {}
    return (str(sub.get("billingTerm") or "no billing term"), str(commitment.get("term") or ""),
            str(commitment.get("endDate") or "")[:10])


def describe_terms(quantities: dict[tuple[str, str, str], Decimal]) -> str:
    """The terms of the subscriptions summed into one count, e.g. ``12 Monthly + 5 Annual (1-Year, ends
    2026-01-01)``: the same subscriptions always give the same text, so a re-sync writes nothing."""
    def order(term: tuple[str, str, str]):
        billing = term[0]
        return (_BILLING_TERMS.index(billing) if billing in _BILLING_TERMS else len(_BILLING_TERMS), term)

    parts = []
    for (billing, commitment, end), quantity in sorted(quantities.items(), key=lambda item: order(item[0])):
        text = f"{quantity.normalize():f} {billing}"
        if commitment or end:
            text += " (" + ", ".join(filter(None, [commitment, f"ends {end}" if end else ""])) + ")"
        parts.append(text)
    return " + ".join(parts)


def _name_products(client: Pax8Client, product_ids: set[str]) -> None:
    """``GET /products/{id}`` once per product seen in this run, so hub_map_skus can name them."""
    def fetch(product_id: str) -> None:
        try:
            remember_product(product_id, client.get(f"/products/{product_id}"))
        except VendorError as err:  # a name is nice to have: never fail the counts over it
            log.debug("no name for Pax8 product %s: %s", product_id, err)

    for _ in client.session.map_concurrent(fetch, sorted(product_ids)):
        pass
