"""Customers and counts from one reading of the file per run.

``list_customers`` reads and parses the source and keeps the result for the session of that run;
``license_counts`` and ``hub_map_skus`` (for the units the file gave) read it from there. The hub
makes a session per run, so a count never comes from an earlier file.
"""

from __future__ import annotations

import threading
import weakref
from typing import Iterable, Iterator

from hub.plugins import CountFailure, LicenseCount, VendorCustomer, VendorSession

from .parse import ParsedFile, parse
from .source import read_source

_runs: "weakref.WeakKeyDictionary[VendorSession, tuple[tuple, ParsedFile]]" = weakref.WeakKeyDictionary()
#: SKU -> unit from the files read lately (hub_map_skus has no session to look it up by)
_units: dict[str, str] = {}
_units_lock = threading.Lock()


def read(config: dict, session: VendorSession) -> ParsedFile:
    key = (config["source"], config["default_unit"])
    remembered = _runs.get(session)
    if remembered is not None and remembered[0] == key:
        return remembered[1]
    _, data = read_source(config, session)
    parsed = parse(data, default_unit=config["default_unit"])
    _runs[session] = (key, parsed)
    with _units_lock:
        _units.update(parsed.units)
    return parsed


def list_customers(config: dict, session: VendorSession) -> Iterator[VendorCustomer]:
    for external_id, (name, status) in read(config, session).customers.items():
        yield VendorCustomer(external_id=external_id, name=name, status=status)


def license_counts(config: dict, session: VendorSession,
                   customers: Iterable[VendorCustomer]) -> Iterator[LicenseCount | CountFailure]:
    parsed = read(config, session)
    by_customer: dict[str, list[tuple[str, object]]] = {}
    for (external_id, sku), quantity in parsed.counts.items():
        by_customer.setdefault(external_id, []).append((sku, quantity))
    for customer in customers:
        if customer.external_id not in parsed.customers:
            yield CountFailure(customer.external_id, "not in the file any more")
            continue
        for sku, quantity in by_customer.get(customer.external_id, ()):
            yield LicenseCount(customer.external_id, sku, quantity)


def unit_of(sku: str, default: str) -> str:
    with _units_lock:
        return _units.get(sku, default)
