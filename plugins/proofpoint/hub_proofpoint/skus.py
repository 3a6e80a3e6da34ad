"""What each Proofpoint Essentials SKU is: data, not branches.

A SKU is ``proofpoint_essentials_<licensing_package>``; with ``bill_trials`` off, seats of orgs on
trial arrive as ``..._trial`` and are suggested as non-billable. Packages not in the table are left
out of the suggestions, so the admin sees them as unmapped instead of guessed.
"""

from __future__ import annotations

from typing import Iterable, Iterator

from hub.plugins import SkuMapping

from .orgs import SKU_PREFIX, TRIAL_SUFFIX

UNIT = "user"

#: licensing_package (normalised) -> display name
PACKAGES = {
    "beginner": "Proofpoint Essentials Beginner",
    "beginner_plus": "Proofpoint Essentials Beginner Plus",
    "business": "Proofpoint Essentials Business",
    "advanced": "Proofpoint Essentials Advanced",
    "professional": "Proofpoint Essentials Professional",
    "professional_plus": "Proofpoint Essentials Professional Plus",
}


def mapping_for(sku: str) -> SkuMapping | None:
    if not sku.startswith(SKU_PREFIX):
        return None
    package = sku[len(SKU_PREFIX):]
    trial = package.endswith(TRIAL_SUFFIX) and package[: -len(TRIAL_SUFFIX)] in PACKAGES
    if trial:
        package = package[: -len(TRIAL_SUFFIX)]
    name = PACKAGES.get(package)
    if name is None:
        return None
    code = "PPE-" + package.upper().replace("_", "-")
    if trial:
        return SkuMapping(sku=sku, name=f"{name} (trial)", unit=UNIT, billable=False,
                          suggested_product_code=code + "-TRIAL")
    return SkuMapping(sku=sku, name=name, unit=UNIT, billable=True, suggested_product_code=code)


def map_skus(skus: Iterable[str]) -> Iterator[SkuMapping]:
    for sku in skus:
        mapping = mapping_for(sku)
        if mapping is not None:
            yield mapping
