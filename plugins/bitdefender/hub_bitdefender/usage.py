"""Monthly usage counters per customer: every numeric counter is a SKU.

``getMonthlyUsagePerProductType`` (default) returns one entry per product type, each carrying the
whole counter set, so counters are summed across entries. ``getMonthlyUsage`` covers Endpoint
Security only. Either way ``aLaCarteMonhtlyUsage`` (the docs' spelling) counts as
``aLaCarteMonthlyUsage`` and ``minimumUsage`` (the contracted minimum) is not a counter.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any, Union

from hub.plugins import CountFailure

from .client import GravityZone, InvalidParams

#: spellings GravityZone uses for a counter -> the SKU key we store
ALIASES = {"aLaCarteMonhtlyUsage": "aLaCarteMonthlyUsage"}
#: numeric keys in usage entries that are not seat counters
NOT_COUNTERS = frozenset({"productType", "minimumUsage"})

METHODS = {"per_product_type": "getMonthlyUsagePerProductType", "endpoint_only": "getMonthlyUsage"}

Counters = dict[str, Decimal]
CustomerUsage = Union[Counters, CountFailure]


class BadUsage(ValueError):
    """A usage answer that parsed as JSON but cannot be counted."""


def target_month(policy: str, today: date | None = None) -> str:
    """``"mm/yyyy"`` of the running month (``current``) or the last closed one (``previous``), in UTC."""
    today = today or datetime.now(timezone.utc).date()
    year, month = today.year, today.month
    if policy == "previous":
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return f"{month:02d}/{year}"


def read_usage(gz: GravityZone, company_id: str, usage_method: str, month: str) -> CustomerUsage:
    """One customer's counters, or a CountFailure when GravityZone cannot count that customer."""
    method = METHODS[usage_method]
    try:
        result = gz.call("licensing", method, {"companyId": company_id, "targetMonth": month})
    except InvalidParams as err:  # deleted since the listing, or an id the licensing API refuses
        return CountFailure(company_id, f"GravityZone could not count this company: {err.message}")
    try:
        return parse_counters(result, per_product_type=usage_method == "per_product_type")
    except BadUsage as err:
        return CountFailure(company_id, f"licensing/{method}: {err}")


def parse_counters(result: Any, *, per_product_type: bool) -> Counters:
    if per_product_type and isinstance(result, dict) and "usages" in result:
        entries = result["usages"]
        if not isinstance(entries, list):
            raise BadUsage(f"'usages' is {type(entries).__name__}, not a list")
    else:  # getMonthlyUsage, or a per-product answer that came flat
        entries = [result]
    totals: Counters = {}
    for entry in entries:
        if not isinstance(entry, dict):
            raise BadUsage(f"a usage entry is {type(entry).__name__}, not an object")
        for sku, quantity in entry_counters(entry).items():
            totals[sku] = totals.get(sku, Decimal(0)) + quantity
    return totals


def entry_counters(entry: dict) -> Counters:
    """The counters of one usage entry (any numeric key), misspellings folded."""
    counters: Counters = {}
    for key, value in entry.items():
        if key in NOT_COUNTERS:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            if key.endswith("Usage"):  # a counter GravityZone sent that cannot be read: never a silent 0
                raise BadUsage(f"counter {key} is {value!r:.40}")
            continue
        if (isinstance(value, float) and not math.isfinite(value)) or value < 0:
            raise BadUsage(f"counter {key} is {value!r}")
        sku = ALIASES.get(key, key)
        if sku != key and sku in entry:
            continue  # both spellings in one entry: the right one wins
        counters[sku] = Decimal(str(value))
    return counters
