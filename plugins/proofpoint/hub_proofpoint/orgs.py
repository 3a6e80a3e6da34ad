"""Raw Proofpoint org objects -> ``Org`` records, tolerant where the API is unsure, strict where it matters.

Strict: every org must carry an ``eid`` (the stable id) and a name or primary domain; anything else
is a broken listing (VendorDataError), never a customer silently dropped.
Tolerant: the list envelope (``orgs``, a bare array or ``data``), flags as bools, "1"/"true" strings,
numbers as strings. Count fields that cannot be read make a per-org ``count_problem`` instead of
failing the whole run (the hub keeps that customer's last counts).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from hub.plugins import VendorDataError

#: org ``type`` values that resell to organizations of their own: their child orgs are walked
PARTNER_TYPES = frozenset({"channel", "strategic_partner", "oem_partner"})
#: envelope keys a listing may come in (the documented one first)
ENVELOPE_KEYS = ("orgs", "data")
SKU_PREFIX = "proofpoint_essentials_"
TRIAL_SUFFIX = "_trial"


@dataclass(frozen=True)
class Org:
    eid: str
    name: str
    primary_domain: str | None
    type: str
    is_active: bool
    is_on_trial: bool | None
    package: str | None
    active_users: int | None
    user_licenses: int | None
    #: the primary domain of the partner whose listing held this org
    parent_domain: str

    @property
    def is_partner(self) -> bool:
        return self.type in PARTNER_TYPES


def org_list(payload: Any, where: str) -> list[dict]:
    """The list of org objects in a listing body, whatever envelope it came in."""
    items = payload
    if isinstance(payload, dict):
        items = next((payload[k] for k in ENVELOPE_KEYS if isinstance(payload.get(k), list)), None)
        if items is None:
            raise VendorDataError(f"{where}: the answer holds no list of orgs "
                                  f"(keys: {', '.join(sorted(map(str, payload))) or 'none'})")
    if not isinstance(items, list):
        raise VendorDataError(f"{where}: expected a list of orgs, got {type(payload).__name__}")
    for n, item in enumerate(items):
        if not isinstance(item, dict):
            raise VendorDataError(f"{where}: org #{n + 1} is a {type(item).__name__}, not an object")
    return items


def parse_org(raw: dict, parent_domain: str, where: str) -> Org:
    domain = _text(raw.get("primary_domain"))
    name = _text(raw.get("name")) or domain
    label = name or f"org #{raw.get('eid', '?')}"
    eid = raw.get("eid")
    if isinstance(eid, bool) or eid is None or _text(eid) is None:
        raise VendorDataError(f"{where}: org {label!r} has no eid (the stable id the hub keys customers on)")
    if not isinstance(eid, (int, float)) and not str(eid).strip().isdigit():
        raise VendorDataError(f"{where}: org {label!r} has eid {eid!r:.40}, not a numeric entity id")
    if name is None:
        raise VendorDataError(f"{where}: org eid {eid} has neither a name nor a primary_domain")
    if isinstance(eid, float) and eid.is_integer():
        eid = int(eid)  # 1183412.0 is the same entity as 1183412
    return Org(
        eid=_text(eid),
        name=name,
        primary_domain=domain.lower() if domain else None,
        type=_org_type(raw.get("type"), label, where),
        is_active=_flag(raw.get("is_active"), default=True),
        is_on_trial=_flag(raw.get("is_on_trial"), default=None),  # unreadable: the SKU is unknown
        package=_package(raw),
        active_users=_count(raw.get("active_users")),
        user_licenses=_count(raw.get("user_licenses")),
        parent_domain=parent_domain,
    )


def _org_type(value: Any, label: str, where: str) -> str:
    """The org's type, which tells a sub-partner (walked) from a customer: never guessed."""
    if not isinstance(value, str) or not value.strip():
        raise VendorDataError(f"{where}: org {label!r} has type {value!r:.40}, so it cannot be told whether it "
                              "is a customer or a sub-partner")
    return value.strip().lower()


def count_of(org: Org, quantity_source: str) -> tuple[int | None, str | None]:
    """(quantity, None) or (None, why it cannot be counted) for the configured quantity source."""
    value = getattr(org, quantity_source)
    if org.package is None:
        return None, f"org {org.name!r} (eid {org.eid}) has no licensing_package"
    if org.is_on_trial is None:  # trial seats go under their own SKU: without the flag the SKU is a guess
        return None, f"org {org.name!r} (eid {org.eid}) has no readable is_on_trial"
    if value is None:
        return None, f"org {org.name!r} (eid {org.eid}) has no usable {quantity_source}"
    return value, None


def sku_for(org: Org, bill_trials: bool) -> str:
    sku = SKU_PREFIX + (org.package or "unknown")
    return sku + TRIAL_SUFFIX if org.is_on_trial and not bill_trials else sku


def _package(raw: dict) -> str | None:
    value = raw.get("licensing_package")
    text = value.strip() if isinstance(value, str) else None  # a number is no package name
    if not text:
        return None
    key = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    # Beginner Plus is sold as its own package but reported as beginner + a flag (UNSURE, see README)
    if key == "beginner":
        plus = _flag(raw.get("is_beginner_plus"), default=None) if "is_beginner_plus" in raw else False
        if plus is None:
            return None  # sent but unreadable: which package it is cannot be told
        key = "beginner_plus" if plus else key
    return key or None


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    text = str(value).strip()
    return text or None


def _flag(value: Any, *, default: bool | None) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "1", "yes"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("false", "0", "no"):
        return False
    return default


def _count(value: Any) -> int | None:
    """A non-negative whole number, or None when absent or unusable."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    if not number.is_finite() or number < 0 or number != number.to_integral_value():
        return None
    return int(number)
