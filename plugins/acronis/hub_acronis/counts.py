"""License counts from ``GET /tenants/usages``, read in batches of at most 100 tenants.

Which failures stop the run and which cost one customer its counts:

- whole vendor (raised): credentials refused (401 after a fresh token, 403), vendor unreachable
  (429/5xx after the session's retries, timeouts). Later batches would fail the same way.
- per customer (CountFailure, the hub keeps its last counts): a batch refused with Acronis' own
  404 ("tenant not found", e.g. deleted since the listing) is split in halves until the missing
  tenants are isolated; a tenant absent from the answer or with an unreadable usage row.
- per batch (CountFailure for its customers): other 4xx answers and malformed batch bodies. If
  *every* batch fails that way the API itself is broken for us, and the run fails instead.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Iterator

from hub.plugins import CountFailure, LicenseCount, VendorCustomer, VendorDataError, VendorError, VendorSession

from .client import AcronisClient, TenantBatchError
from .skus import CONVERSIONS, NOT_BILLED_TYPES

#: tenants per /tenants/usages call; the API documents no maximum, ``uuids`` on /tenants allows 100
BATCH_SIZE = 100


@dataclass
class BatchResult:
    results: list[LicenseCount | CountFailure] = field(default_factory=list)
    #: set when the whole batch was refused for a reason that is not "a tenant is gone"
    refused: str | None = None


def fetch_counts(client: AcronisClient, session: VendorSession,
                 customers: list[VendorCustomer]) -> Iterator[LicenseCount | CountFailure]:
    ids = [c.external_id for c in customers]
    batches = [ids[i:i + BATCH_SIZE] for i in range(0, len(ids), BATCH_SIZE)]
    stop = threading.Event()

    def read(batch: list[str]) -> BatchResult:
        # batches are queued up front; once one hit a whole-vendor error the rest need not call Acronis
        if stop.is_set():
            return BatchResult()
        try:
            return read_batch(client, batch)
        except VendorError:
            stop.set()
            raise

    refusals: list[str] = []
    for result in session.map_concurrent(read, batches):
        if result.refused:
            refusals.append(result.refused)
        yield from result.results
    if batches and len(refusals) == len(batches):
        raise VendorDataError(f"no usage batch could be read ({len(batches)} tried): {refusals[0]}")


def read_batch(client: AcronisClient, ids: list[str]) -> BatchResult:
    try:
        items = client.usages(ids)
    except TenantBatchError as err:
        if err.tenant_scoped and len(ids) > 1:
            middle = len(ids) // 2
            left, right = read_batch(client, ids[:middle]), read_batch(client, ids[middle:])
            refused = left.refused if left.refused and right.refused else None
            return BatchResult(left.results + right.results, refused)
        message = f"usage not readable: {err.message}"
        return BatchResult([CountFailure(i, message) for i in ids], None if err.tenant_scoped else err.message)
    except VendorDataError as err:  # malformed JSON for this batch
        return BatchResult([CountFailure(i, f"usage not readable: {err.message}") for i in ids], err.message)
    try:
        by_tenant = _usages_by_tenant(items)
    except ValueError as err:
        message = f"GET /tenants/usages returned an unreadable batch: {err}"
        return BatchResult([CountFailure(i, message) for i in ids], message)
    results: list[LicenseCount | CountFailure] = []
    for tenant_id in ids:
        usages = by_tenant.get(tenant_id)
        if usages is None:
            results.append(CountFailure(tenant_id, "Acronis returned no usage for this tenant"))
            continue
        try:
            results.extend(tenant_counts(tenant_id, usages))
        except ValueError as err:
            results.append(CountFailure(tenant_id, f"unreadable usage: {err}"))
    return BatchResult(results)


def _usages_by_tenant(items: list) -> dict[str, list]:
    by_tenant: dict[str, list] = {}
    for entry in items:
        if not isinstance(entry, dict) or not entry.get("tenant"):
            raise ValueError("an entry has no tenant")
        usages = entry.get("usages")
        if not isinstance(usages, list):
            raise ValueError(f"tenant {entry['tenant']} has no usages list")
        by_tenant[str(entry["tenant"])] = usages
    return by_tenant


def tenant_counts(tenant_id: str, usages: list) -> list[LicenseCount]:
    """One tenant's usage rows as counts: features skipped, rows of one SKU summed, units converted.

    Rows share a SKU when one offering item is used on several storages (one row per ``infra_id``).
    Zero quantities are left out (the hub reads a missing SKU as 0).
    """
    totals: dict[str, Decimal] = defaultdict(Decimal)
    units: dict[str, str] = {}
    for row in usages:
        if not isinstance(row, dict):
            raise ValueError("a usage row is not an object")
        if row.get("type") in NOT_BILLED_TYPES:
            continue
        sku = row.get("name") or row.get("usage_name")
        if not sku or not isinstance(sku, str):
            raise ValueError("a usage row has no name")
        unit = row.get("measurement_unit")
        if not isinstance(unit, str) or not unit.strip():  # bytes read as a count would bill absurd numbers
            raise ValueError(f"{sku} has no measurement_unit")
        if units.setdefault(sku, unit) != unit:
            raise ValueError(f"{sku} is reported in both {units[sku]} and {unit}")
        totals[sku] += _number(sku, row.get("value"))  # a null value is no count: never read it as 0
    counts = []
    for sku, total in totals.items():
        conversion = CONVERSIONS.get(units[sku], CONVERSIONS["quantity"])
        quantity = conversion.apply(total)
        if quantity == 0:
            continue
        if conversion.quantum is None and quantity == quantity.to_integral_value():
            quantity = quantity.quantize(Decimal(1))
        counts.append(LicenseCount(tenant_id, sku, quantity))
    return counts


def _number(sku: str, raw: object) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        raise ValueError(f"{sku} has a value that is not a number: {raw!r}")
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        raise ValueError(f"{sku} has a value that is not a number: {raw!r}") from None
    if not value.is_finite() or value < 0:
        raise ValueError(f"{sku} has an impossible value: {raw!r}")
    return value
