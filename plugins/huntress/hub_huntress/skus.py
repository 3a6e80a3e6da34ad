"""What each Huntress SKU is and which organization field counts it: data, not branches.

Huntress bills per product; the organization object carries one count per product. The Microsoft
365 user count (``microsoft_365_users_count``) is what Huntress *sees* in the tenant, not what it
bills, so it is never a SKU: Managed ITDR is billed by ``billable_identity_count``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator

from hub.plugins import SkuMapping

SIEM_SKU = "huntress_siem_sources"


@dataclass(frozen=True)
class Product:
    sku: str
    field: str
    name: str
    unit: str
    code: str
    billable: bool = True
    #: a null or absent field counts 0 (optional add-on products); otherwise it is a count failure
    optional: bool = False


COUNTED = (
    Product("huntress_edr", "agents_count", "Huntress Managed EDR", "agent", "HUNTRESS-EDR"),
    Product("huntress_itdr", "billable_identity_count", "Huntress Managed ITDR", "identity", "HUNTRESS-ITDR"),
    Product("huntress_sat", "sat_learner_count", "Huntress Managed SAT", "learner", "HUNTRESS-SAT",
            optional=True),
    # SIEM is billed by data volume, not by source: the count is shown, not suggested for billing
    Product(SIEM_SKU, "logs_sources_count", "Huntress Managed SIEM log sources", "source", "HUNTRESS-SIEM",
            billable=False, optional=True),
)
_BY_SKU = {p.sku: p for p in COUNTED}


def map_skus(skus: Iterable[str]) -> Iterator[SkuMapping]:
    for sku in skus:
        product = _BY_SKU.get(sku)
        if product is not None:
            yield SkuMapping(sku=sku, name=product.name, unit=product.unit, billable=product.billable,
                             suggested_product_code=product.code)
