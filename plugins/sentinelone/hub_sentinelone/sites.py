"""Reading one site object: its id, status, and the SKUs and quantity it bills. Pure functions."""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache
from typing import Any

from hub.plugins import CustomerStatus, VendorDataError

SKU_PREFIX = "sentinelone_"
ADDON_PREFIX = "sentinelone_addon_"
TRIAL_SUFFIX = "_trial"

_ID = re.compile(r"^[0-9]{1,20}$")


def entity_id(obj: dict, what: str) -> str:
    """SentinelOne ids are int64 strings; one sent as a JSON number is kept exactly (never a float)."""
    raw = obj.get("id")
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = str(raw)
    if not isinstance(raw, str) or not _ID.match(raw):
        raise VendorDataError(f"a {what} has no usable id (id = {raw!r}); nothing applied")
    return raw


def is_deleted(obj: dict) -> bool:
    return str(obj.get("state") or "").lower() == "deleted"


def status_of(obj: dict, type_field: str) -> CustomerStatus:
    """``expired`` is suspended; otherwise a ``Trial`` site (or account) is a trial."""
    if str(obj.get("state") or "").lower() == "expired":
        return CustomerStatus.SUSPENDED
    if str(obj.get(type_field) or "").lower() == "trial":
        return CustomerStatus.TRIAL
    return CustomerStatus.ACTIVE


@lru_cache(maxsize=1024)
def normalise(name: str) -> str:
    """A SKU part from a suite or bundle name; the same few names recur on every site, so kept."""
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")


def site_quantities(site: dict, *, bill_trials: bool) -> tuple[dict[str, Decimal], str | None]:
    """The SKUs a site bills and their quantity, or a reason it cannot be counted.

    The quantity is ``activeLicenses`` (agents consuming a license), also for unlimited sites, whose
    ``totalLicenses`` means nothing. The site's suite (``sku``, legacy ``suite``) is one SKU and every
    other license bundle of the site is an add-on SKU with the same quantity: each agent carries it.
    """
    active = _count(site.get("activeLicenses"))
    if active is None:
        return {}, f"SentinelOne sent activeLicenses = {site.get('activeLicenses')!r}, not a count"
    suite = site.get("sku") or site.get("suite")
    bundles = _bundle_names(site.get("licenses"))
    if not isinstance(suite, str) or not normalise(suite):
        if not bundles:
            return {}, "the site names no SKU (sku, suite) and no license bundle"
        suite, bundles = bundles[0], bundles[1:]
    main = normalise(suite)
    trial = not bill_trials and str(site.get("siteType") or "").lower() == "trial"
    suffix = TRIAL_SUFFIX if trial else ""
    quantities = {f"{SKU_PREFIX}{main}{suffix}": active}
    for bundle in bundles:
        if normalise(bundle) != main:
            quantities[f"{ADDON_PREFIX}{normalise(bundle)}{suffix}"] = active
    return quantities, None


def _count(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value >= 0:
        return Decimal(value)
    if isinstance(value, str) and value.isdigit():
        return Decimal(value)
    return None


def _bundle_names(licenses: Any) -> list[str]:
    bundles = licenses.get("bundles") if isinstance(licenses, dict) else None
    names = []
    for bundle in bundles if isinstance(bundles, list) else []:
        if isinstance(bundle, dict):
            name = bundle.get("name") or bundle.get("displayName")
            if isinstance(name, str) and normalise(name) and name not in names:
                names.append(name)
    return names
