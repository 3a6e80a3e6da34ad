"""Pax8 products as SKUs: the product id is the SKU; its name comes from ``/products/{id}``.

Product ids are global (the same for every partner), so the names read in a run are kept for the
process and ``hub_map_skus`` (which gets no session) names SKUs from them. A product the run could
not read is still described, by its id, so it reaches the admin instead of vanishing.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

from hub.plugins import SkuMapping

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@dataclass(frozen=True)
class Product:
    name: str
    vendor: str | None
    pax8_sku: str | None


_known: dict[str, Product] = {}
_lock = threading.Lock()


def remember_product(product_id: str, body: Any) -> None:
    if not isinstance(body, dict) or not isinstance(body.get("name"), str) or not body["name"].strip():
        return
    vendor = body.get("vendorName") if isinstance(body.get("vendorName"), str) else None
    sku = body.get("sku") if isinstance(body.get("sku"), str) and body["sku"].strip() else None
    with _lock:
        _known[product_id.lower()] = Product(body["name"].strip(), vendor, sku)


def map_skus(skus: Iterable[str]) -> Iterator[SkuMapping]:
    for sku in skus:
        if not _UUID.match(sku):
            continue
        product = _known.get(sku)
        if product is None:
            yield SkuMapping(sku=sku, name=f"Pax8 product {sku}", unit="license")
            continue
        name = f"{product.name} ({product.vendor})" if product.vendor else product.name
        yield SkuMapping(sku=sku, name=name, unit="license", suggested_product_code=product.pax8_sku)
