"""The public API for vendor and destination plugin authors. Import from here, and from nothing else in ``hub``.

    from hub.plugins import hookimpl, VendorInfo, VendorCustomer, LicenseCount, VendorAuthError

Register your module under the ``hub`` entry-point group::

    [project.entry-points.hub]
    acme = "hub_acme.plugin"
"""

import pluggy

from .errors import (
    PluginLoadError,
    VendorAuthError,
    VendorConfigError,
    VendorDataError,
    VendorError,
    VendorUnavailableError,
    check_listing_total,
)
from .parsing import quantity_of, required_field
from .http import VendorSession, dumps_exact, json_or_data_error, parse_retry_after, raise_for_vendor_status
from .destination_types import (
    CreditNoteToPush,
    CustomerToPush,
    DestinationAccount,
    DestinationAuth,
    DestinationInfo,
    ExternalRecord,
    InvoiceToPush,
    LineToPush,
    OAuthSettings,
    PaymentStatus,
    ProductToPush,
    PushRejected,
    PushResult,
)
from .types import (
    ConnectionCheck,
    CountFailure,
    CustomerStatus,
    DemoSimulator,
    DocumentedLimits,
    LicenseCount,
    SkuMapping,
    VendorCustomer,
    VendorInfo,
)

#: the entry-point group and pluggy project name
PROJECT = "hub"
hookimpl = pluggy.HookimplMarker(PROJECT)

__all__ = [
    "PROJECT",
    "hookimpl",
    "ConnectionCheck",
    "CountFailure",
    "CustomerStatus",
    "DemoSimulator",
    "DocumentedLimits",
    "LicenseCount",
    "SkuMapping",
    "VendorCustomer",
    "VendorInfo",
    "VendorSession",
    "VendorError",
    "VendorAuthError",
    "VendorUnavailableError",
    "VendorConfigError",
    "VendorDataError",
    "PluginLoadError",
    "raise_for_vendor_status",
    # destinations (see destination_hookspecs)
    "CreditNoteToPush",
    "CustomerToPush",
    "DestinationAccount",
    "DestinationAuth",
    "DestinationInfo",
    "ExternalRecord",
    "InvoiceToPush",
    "LineToPush",
    "OAuthSettings",
    "PaymentStatus",
    "ProductToPush",
    "PushRejected",
    "PushResult",
    "json_or_data_error",
    "dumps_exact",
    "parse_retry_after",
    "check_listing_total",
    "required_field",
    "quantity_of",
]
