"""What each GravityZone monthly usage counter is: the SKU catalogue the plugin suggests.

The SKU key is the counter name exactly as ``getMonthlyUsage*`` returns it (the misspelled
``aLaCarteMonhtlyUsage`` is folded into ``aLaCarteMonthlyUsage`` before it gets here).
Counters not in this table stay *unmapped* in the hub, for the admin to name.
"""

from __future__ import annotations

import re
from typing import Iterable, NamedTuple

from hub.plugins import SkuMapping


class Sku(NamedTuple):
    name: str
    unit: str
    billable: bool = True


SKUS: dict[str, Sku] = {
    "endpointMonthlyUsage": Sku("Endpoint Security", "endpoint"),
    "aLaCarteMonthlyUsage": Sku("Endpoint Security (a la carte)", "endpoint"),
    "mspSecureMonthlyUsage": Sku("Security for MSP: Secure bundle", "endpoint"),
    "mspSecurePlusMonthlyUsage": Sku("Security for MSP: Secure Plus bundle", "endpoint"),
    "mspSecureExtraMonthlyUsage": Sku("Security for MSP: Secure Extra bundle", "endpoint"),
    "emailSecurityMonthlyUsage": Sku("Email Security", "mailbox"),
    "mobileSecurityMonthlyUsage": Sku("Mobile Security", "device"),
    "exchangeMonthlyUsage": Sku("Security for Exchange", "mailbox"),
    "encryptionMonthlyUsage": Sku("Full Disk Encryption", "endpoint"),
    "atsMonthlyUsage": Sku("Advanced Threat Security", "endpoint"),
    "edrMonthlyUsage": Sku("EDR", "endpoint"),
    "mdrFoundationsMonthlyUsage": Sku("MDR Foundations", "endpoint"),
    "mdrResponseMonthlyUsage": Sku("MDR", "endpoint"),
    "patchManagementMonthlyUsage": Sku("Patch Management", "endpoint"),
    "containerProtectionMonthlyUsage": Sku("Container Protection", "node"),
    "integrityMonitoringUsage": Sku("Integrity Monitoring", "endpoint"),
    "integrityMonitoring90DaysUsage": Sku("Integrity Monitoring, 90-day retention", "endpoint"),
    "integrityMonitoring180DaysUsage": Sku("Integrity Monitoring, 180-day retention", "endpoint"),
    "integrityMonitoring1YearUsage": Sku("Integrity Monitoring, 1-year retention", "endpoint"),
    "sveVsMonthlyUsage": Sku("Security for Virtualized Environments: virtual servers", "server"),
    "sveVdiMonthlyUsage": Sku("Security for Virtualized Environments: VDI", "hour"),
    "complianceMonthlyUsage": Sku("Compliance Manager", "endpoint"),
    "phasrMonthlyUsage": Sku("PHASR (attack surface reduction)", "endpoint"),
}

#: the XDR sensor family grows; ``xdrFooSensorsMonthlyUsage`` -> "XDR Foo sensors"
_XDR_SENSORS = re.compile(r"^xdr([A-Z][A-Za-z]*)SensorsMonthlyUsage$")


def describe(sku: str) -> SkuMapping | None:
    known = SKUS.get(sku)
    if known is not None:
        return SkuMapping(sku=sku, name=known.name, unit=known.unit, billable=known.billable,
                          suggested_product_code=product_code(sku))
    match = _XDR_SENSORS.match(sku)
    if match:
        words = re.sub(r"(?<!^)([A-Z])", r" \1", match.group(1))
        return SkuMapping(sku=sku, name=f"XDR {words} sensors", unit="sensor",
                          suggested_product_code=product_code(sku))
    return None


def describe_all(skus: Iterable[str]) -> list[SkuMapping]:
    return [mapping for mapping in map(describe, skus) if mapping is not None]


def product_code(sku: str) -> str:
    """``edrMonthlyUsage`` -> ``BD-EDR``; ``integrityMonitoring90DaysUsage`` -> ``BD-INTEGRITY-MONITORING-90DAYS``."""
    stem = re.sub(r"(Monthly)?Usage$", "", sku)
    words = re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+[A-Za-z]*", stem)
    return "BD-" + "-".join(w.upper() for w in words)
