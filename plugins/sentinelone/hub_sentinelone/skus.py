"""What each SentinelOne SKU is: the site's suite, or an add-on bundle, per agent.

``sentinelone_<suite>`` (``core``, ``control``, ``complete``, ``commercial``, ``enterprise``, ...) and
``sentinelone_addon_<bundle>``; with trials not billed, ``..._trial`` is the same, non-billable.
Any SKU of this plugin is described from its own name, so a new suite or bundle reaches the admin
named instead of unnamed; SKUs of other plugins are left alone.
"""

from __future__ import annotations

from typing import Iterable, Iterator

from hub.plugins import SkuMapping

from .sites import ADDON_PREFIX, SKU_PREFIX, TRIAL_SUFFIX

UNIT = "agent"


def mapping_for(sku: str) -> SkuMapping | None:
    if not sku.startswith(SKU_PREFIX):
        return None
    trial = sku.endswith(TRIAL_SUFFIX)
    core = sku[: -len(TRIAL_SUFFIX)] if trial else sku
    if core.startswith(ADDON_PREFIX):
        part = core[len(ADDON_PREFIX):]
        name, code = f"SentinelOne add-on {_title(part)}", f"S1-ADDON-{_code(part)}"
    else:
        part = core[len(SKU_PREFIX):]
        name, code = f"SentinelOne Singularity {_title(part)}", f"S1-{_code(part)}"
    if not part:
        return None
    if trial:
        return SkuMapping(sku=sku, name=f"{name} (trial)", unit=UNIT, billable=False,
                          suggested_product_code=code + "-TRIAL")
    return SkuMapping(sku=sku, name=name, unit=UNIT, billable=True, suggested_product_code=code)


def map_skus(skus: Iterable[str]) -> Iterator[SkuMapping]:
    for sku in skus:
        mapping = mapping_for(sku)
        if mapping is not None:
            yield mapping


def _title(part: str) -> str:
    return " ".join(word.capitalize() for word in part.split("_"))


def _code(part: str) -> str:
    return part.upper().replace("_", "-")
