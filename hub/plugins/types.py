"""Small typed records that plugins return to the hub. Frozen: the hub never mutates them."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable, Mapping

from marshmallow import Schema


class CustomerStatus(str, enum.Enum):
    """The vendor's own view of a customer (not the hub's map status)."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    TRIAL = "trial"


@dataclass(frozen=True)
class DocumentedLimits:
    """The request budgets the *vendor* documents, as data: what a benchmark's floor and the kit's
    checks measure against. The plugin's own pacing (``VendorInfo.requests_per_second`` and
    ``rate_limits``) may be stricter, never looser."""

    #: requests per second per API key
    requests_per_second: float | None = None
    #: named budgets, keyed like ``VendorInfo.rate_limits`` (a request's ``rate_key``)
    rate_limits: Mapping[str, float] = field(default_factory=dict)
    #: where the vendor says so (a documentation page)
    source: str = ""
    #: the window the vendor counts in: ``requests_per_second x window_seconds`` requests in any sliding
    #: window of that many seconds (Huntress: 60 a minute is ``requests_per_second=1, window_seconds=60``)
    window_seconds: float = 1.0


@dataclass(frozen=True)
class VendorInfo:
    """Describes a vendor plugin. ``slug`` must equal the entry-point name."""

    slug: str
    display_name: str
    version: str
    description: str
    #: marshmallow schema class; mark secret fields with ``metadata={"secret": True}``
    config_schema: type[Schema]
    docs_url: str | None = None
    #: the request budget per API key the plugin keeps to; the core's HTTP session paces under it
    requests_per_second: float | None = None
    #: stricter named budgets for some calls (e.g. ``{"licensing": 5}``); pass ``rate_key=`` per request
    rate_limits: Mapping[str, float] = field(default_factory=dict)
    #: what the vendor documents (None: it documents no limit); the pacing above may be stricter
    documented_limits: DocumentedLimits | None = None
    #: calls a plugin may run at once for per-customer fan-out
    max_concurrency: int = 4
    #: an admin may add several integrations of this plugin, each standing for its own vendor
    #: (a CSV import per vendor without an API); each gets its own slug and display name
    instances: bool = False

    @property
    def secret_fields(self) -> frozenset[str]:
        schema = self.config_schema()
        return frozenset(name for name, f in schema.fields.items() if f.metadata.get("secret"))


@dataclass(frozen=True)
class ConnectionCheck:
    """Result of ``hub_test_connection``: ``ok`` plus something a human can read."""

    ok: bool
    message: str
    account_name: str | None = None


@dataclass(frozen=True)
class VendorCustomer:
    """One customer as the vendor lists it. ``external_id`` is unique and stable per vendor."""

    external_id: str
    name: str
    status: CustomerStatus = CustomerStatus.ACTIVE
    #: small, non-secret facts worth keeping (domain, vendor path, ...)
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LicenseCount:
    """How many of one SKU one customer uses now. ``quantity`` is a non-negative Decimal.

    ``extra`` holds small non-secret facts about the count, JSON-able (say the billing terms of the
    subscriptions summed into it). The panel shows them; a change of them alone is stored, not billed.
    """

    customer_external_id: str
    sku: str
    quantity: Decimal
    extra: Mapping[str, Any] = field(default_factory=dict, compare=True, hash=False)

    def __post_init__(self) -> None:
        if not isinstance(self.quantity, Decimal):
            object.__setattr__(self, "quantity", Decimal(str(self.quantity)))
        if self.quantity < 0:
            raise ValueError(f"negative quantity {self.quantity} for {self.customer_external_id}/{self.sku}")


@dataclass(frozen=True)
class CountFailure:
    """Counts for one customer could not be read (say its tenant answered 404).

    The hub records it on that customer, keeps its last counts and applies the others.
    """

    customer_external_id: str
    message: str


@dataclass(frozen=True)
class SkuMapping:
    """The plugin's suggestion for one SKU. ``billable=False`` marks flags and informational rows."""

    sku: str
    name: str
    unit: str = "license"
    billable: bool = True
    #: a suggested product code for the catalog (the admin confirms or changes it)
    suggested_product_code: str | None = None


@dataclass(frozen=True)
class DemoSimulator:
    """A local fake of the vendor's API for demo mode and tests.

    ``make_app(customers)`` returns a WSGI app seeded with about that many customers;
    ``config_for(base_url)`` returns a configuration dict that points the plugin at it.
    """

    make_app: Callable[[int], Callable]
    config_for: Callable[[str], dict]
    #: for a plugin with ``instances``: the name of the vendor the demo adds ("Datto via CSV")
    instance_name: str | None = None
