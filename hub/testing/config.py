"""``SuiteConfig``: what a plugin may tune in its conformance suite (sizes, skipped checks)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping


@dataclass(frozen=True)
class SuiteConfig:
    """Options of :func:`hub.testing.conformance_suite`.

    ``skip`` maps a check name to the reason it does not apply, e.g.
    ``SuiteConfig(skip={"every_sku_mapped_or_explicitly_unmapped": "the vendor has one SKU"})``.
    The reason is shown in the test report; a name that is not a check is an error.
    """

    #: customers seeded into the simulator for most checks (keep it small: faster)
    customers: int = 12
    #: customers seeded for ``customers_paginate_all_pages``: enough for several of the vendor's pages
    paging_customers: int = 150
    #: check name -> reason to skip it
    skip: Mapping[str, str] = field(default_factory=dict)
    #: how many customers the simulator app lists; default: the app's ``listed_customer_count()``
    expected_customers: Callable[[Any], int] | None = None
    #: settings merged over ``DemoSimulator.config_for(base_url)``
    extra_config: Mapping[str, Any] = field(default_factory=dict)
    #: the ``Retry-After`` (seconds) the rate-limit fault sends; both one under and one over the
    #: session's cap are tried
    retry_after: int = 7
    #: answers the shape-fuzzing check spoils, one per listing-and-count run (each run takes about as
    #: long as one listing and count of ``customers``), and the seed that picks them
    fuzz_runs: int = 40
    fuzz_seed: int = 1
    #: SQLAlchemy URL of a server to create a throwaway database on; default ``HUB_TEST_DATABASE_URL``
    #: if set, else a temporary SQLite file
    database_url: str | None = None
