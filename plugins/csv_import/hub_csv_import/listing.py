"""Customers and counts from one reading of the file per run, and one parse per file.

``list_customers`` reads the source and keeps what it parsed for the session of that run;
``license_counts`` and ``hub_map_skus`` (for the units the file gave) read it from there. The hub
makes a session per run, so a count never comes from an earlier file.

The source is read again by every run, but bytes already parsed lately are not parsed again: an
upload is previewed, its settings are tested when it is applied, then it is synced, three readings
of one file. The parse is kept by a hash of the bytes, so a file that changed in any way is always
parsed anew, and what applies is exactly what the bytes read say.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import Iterable, Iterator

from hub.plugins import CountFailure, LicenseCount, VendorCustomer, VendorSession

from .parse import ParsedFile, parse
from .source import read_source

#: the run-context key of the file this run read: {(source, default unit): what it parsed to}
READ = "csv_import.parsed"
#: SKU -> unit from the files read lately (hub_map_skus has no session to look it up by)
_units: dict[str, str] = {}
_units_lock = threading.Lock()
#: (sha-256 of the bytes, default unit) -> what they parsed to, the latest few. Shared: never changed.
_parsed: "OrderedDict[tuple[str, str], ParsedFile]" = OrderedDict()
_parsed_lock = threading.Lock()
#: files whose parse is kept (a preview and its apply need one; another integration's import may interleave)
KEEP_PARSED = 2


def read(config: dict, session: VendorSession) -> ParsedFile:
    key = (config["source"], config["default_unit"])
    remembered = session.run_context(READ, dict).get(key)
    if remembered is not None:
        return remembered
    _, data = read_source(config, session)
    parsed = parsed_once(data, config["default_unit"])
    session.run_context(READ, dict)[key] = parsed
    with _units_lock:
        _units.update(parsed.units)
    return parsed


def parsed_once(data: bytes, default_unit: str) -> ParsedFile:
    """``parse(data)``, from the kept parses when the same bytes were parsed lately. A file with
    problems is not kept: its ``CsvFileError`` is raised again by parsing it again."""
    key = (hashlib.sha256(data).hexdigest(), default_unit)
    with _parsed_lock:
        kept = _parsed.get(key)
        if kept is not None:
            _parsed.move_to_end(key)
            return kept
    parsed = parse(data, default_unit=default_unit)
    with _parsed_lock:
        _parsed[key] = parsed
        while len(_parsed) > KEEP_PARSED:
            _parsed.popitem(last=False)
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
