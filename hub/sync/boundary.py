"""Where plugin records enter the core: every vendor string made storable, the same on every database.

A vendor may send a NUL byte, a terminal escape or a 5,000-character name. PostgreSQL refuses the
first and the last (SQLite keeps them), so one such customer used to stop the whole vendor's sync.
Here each string loses its control characters and is bounded to its column:

- names, SKU names, units, product codes: cut with an ellipsis; a customer's cut name keeps its full
  (cleaned) text in ``extra["full_name"]``;
- ids (customer external ids, SKUs) must stay unique and stable, so one that needed cleaning or
  cutting becomes its cleaned prefix plus a hash of the original (``extra["full_external_id"]`` keeps
  the cleaned whole);
- ``extra`` holds cleaned JSON, each string and the whole bounded.

The plugin still receives its own records (``hub_fetch_license_counts`` gets the customers it listed);
only what is stored is normalised, and normalising is idempotent, so an unchanged vendor writes nothing.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from decimal import Decimal
from typing import Any

from hub.models import VendorCustomer as CustomerRow
from hub.models import VendorSku as SkuRow
from hub.plaintext import bounded, clean
from hub.plugins import SkuMapping, VendorCustomer, VendorDataError

NAME_LENGTH = CustomerRow.__table__.c.name.type.length
EXTERNAL_ID_LENGTH = CustomerRow.__table__.c.external_id.type.length
SKU_LENGTH = SkuRow.__table__.c.sku.type.length
SKU_NAME_LENGTH = SkuRow.__table__.c.name.type.length
UNIT_LENGTH = SkuRow.__table__.c.unit.type.length
PRODUCT_CODE_LENGTH = SkuRow.__table__.c.suggested_product_code.type.length
#: a vendor message stored on a run or a customer
MESSAGE_LENGTH = 2000
#: one string inside ``extra``, and the whole of ``extra`` as JSON
EXTRA_STRING_LENGTH = 1000
EXTRA_JSON_LENGTH = 16000
FULL_TEXT_LENGTH = 4000


def storable_id(value: str, limit: int) -> str:
    """``value`` when it is clean and fits; else its cleaned prefix and a hash of the whole original."""
    cleaned = clean(value)
    if cleaned == value and len(value) <= limit:
        return value
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{cleaned[:limit - 17]}~{digest}"


def storable_message(message: str) -> str:
    return bounded(clean(message, keep_newlines=True), MESSAGE_LENGTH)


def storable_customer(customer: VendorCustomer) -> VendorCustomer:
    """The customer as it is stored. Fast when nothing needs doing (the common case)."""
    external_id = storable_id(customer.external_id, EXTERNAL_ID_LENGTH)
    full_name = clean(customer.name)
    name = bounded(full_name, NAME_LENGTH)
    extra = customer.extra if _storable_as_is(customer.extra) else storable_extra(customer.extra or {})
    if name != full_name or external_id != customer.external_id:
        extra = dict(extra)
    if name != full_name:
        extra["full_name"] = bounded(full_name, FULL_TEXT_LENGTH)
    if external_id != customer.external_id:
        extra["full_external_id"] = bounded(clean(customer.external_id), FULL_TEXT_LENGTH)
    if (external_id, name) == (customer.external_id, customer.name) and extra == customer.extra:
        return customer
    return replace(customer, external_id=external_id, name=name, extra=extra)


_SCALARS = (int, float, bool, type(None))


def _storable_as_is(extra) -> bool:
    """A flat dict of short clean strings and JSON scalars (the common case, checked fast)."""
    if type(extra) is not dict:
        return False
    for key, value in extra.items():
        if type(key) is not str or clean(key) is not key or len(key) > 200:
            return False
        if type(value) is str:
            if len(value) > EXTRA_STRING_LENGTH or clean(value) is not value:
                return False
        elif type(value) not in _SCALARS or value != value:  # NaN is no JSON
            return False
    return len(extra) < 10 or len(json.dumps(extra)) <= EXTRA_JSON_LENGTH


def storable_extra(extra) -> dict:
    """``extra`` as the JSON that is stored and read back: strings cleaned and bounded, the whole bounded
    (keys past the budget are dropped, and ``_truncated`` says so)."""
    plain = json.loads(json.dumps(dict(extra), default=str))  # what the database will give back
    cleaned = {clean(k)[:200]: _clean_json(v) for k, v in plain.items()}
    if len(json.dumps(cleaned)) <= EXTRA_JSON_LENGTH:
        return cleaned
    kept: dict[str, Any] = {"_truncated": True}
    size = len(json.dumps(kept))
    for key, value in cleaned.items():
        size += len(json.dumps({key: value})) + 2
        if size > EXTRA_JSON_LENGTH:
            break
        kept[key] = value
    return kept


def _clean_json(value):
    if isinstance(value, str):
        return bounded(clean(value, keep_newlines=True), EXTRA_STRING_LENGTH)
    if isinstance(value, list):
        return [_clean_json(v) for v in value]
    if isinstance(value, dict):
        return {clean(k)[:200]: _clean_json(v) for k, v in value.items()}
    if isinstance(value, float) and value != value or value in (float("inf"), float("-inf")):
        return str(value)  # PostgreSQL's json refuses NaN and Infinity
    return value


def storable_snapshot(customers: list[VendorCustomer], counts: dict[tuple[str, str], Decimal],
                      failures: dict[str, str], count_extras: dict[tuple[str, str], Any] | None = None):
    """(customers, counts, failures, count extras) keyed by the ids that are stored, the extras cleaned
    like a customer's. Two ids that become one are a contract breach, like any duplicate id."""
    stored_id: dict[str, str] = {}
    taken: set[str] = set()
    result = []
    for customer in customers:
        storable = storable_customer(customer)
        if storable.external_id in taken:
            raise VendorDataError(f"customer id {customer.external_id!r} was listed twice")
        taken.add(storable.external_id)
        stored_id[customer.external_id] = storable.external_id
        result.append(storable)
    sku_ids = {sku: storable_id(sku, SKU_LENGTH) for sku in {sku for _, sku in counts}}
    if all(k == v for k, v in stored_id.items()) and all(k == v for k, v in sku_ids.items()):
        stored_counts = counts  # every id stored as the vendor sent it (the common case)
    else:
        stored_counts = _rekeyed(counts, stored_id, sku_ids)
    stored_failures = {stored_id[e]: storable_message(m) for e, m in failures.items() if e in stored_id}
    stored_extras = {}
    for (external_id, sku), extra in (count_extras or {}).items():
        stored_extras[(stored_id[external_id], sku_ids[sku])] = (
            extra if _storable_as_is(extra) else storable_extra(extra))
    return result, stored_counts, stored_failures, stored_extras


def _rekeyed(counts: dict, stored_id: dict[str, str], sku_ids: dict[str, str]) -> dict:
    stored_counts = {}
    for (external_id, sku), quantity in counts.items():
        key = (stored_id[external_id], sku_ids[sku])
        if key in stored_counts:
            raise VendorDataError(f"SKU {sku!r} was counted twice for customer {external_id!r}")
        stored_counts[key] = quantity
    return stored_counts


def storable_sku_mapping(mapping: SkuMapping) -> SkuMapping:
    """A plugin's SKU suggestion bounded to the SKU table's columns."""
    code = mapping.suggested_product_code
    return replace(
        mapping,
        name=bounded(clean(str(mapping.name)), SKU_NAME_LENGTH),
        unit=bounded(clean(str(mapping.unit)), UNIT_LENGTH),
        suggested_product_code=None if code is None else bounded(clean(str(code)), PRODUCT_CODE_LENGTH),
    )
