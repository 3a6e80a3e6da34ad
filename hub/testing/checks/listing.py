"""Checks against a healthy simulator: connection, customers, counts and SKUs."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from hub.plugins import ConnectionCheck, LicenseCount, SkuMapping, VendorConfigError
from hub.testing.checks.base import check
from hub.testing.checks.calls import call, healthy_counts, healthy_listing
from hub.testing.harness import PluginHarness, fail

#: a SKU no vendor has: hub_map_skus must cope with SKUs it does not know
UNKNOWN_SKU = "zz-conformance-unknown-sku"


@check("test_connection_ok")
def test_connection_ok(h: PluginHarness) -> None:
    """The simulator's settings load with the schema and hub_test_connection answers ok=True."""
    raw = h.raw_config()
    try:
        config = h.handle.load_config(raw)
    except VendorConfigError as err:
        fail(f"the settings from DemoSimulator.config_for do not load with config_schema: {err}")
    result = call(h, "hub_test_connection", config)
    if result.error is not None:
        fail(f"hub_test_connection against a healthy simulator {result.describe()}")
    check_ = result.value
    if not isinstance(check_, ConnectionCheck):
        fail(f"hub_test_connection returned {type(check_).__name__}, not hub.plugins.ConnectionCheck")
    if not check_.ok:
        fail(f"hub_test_connection returned ok=False against a healthy simulator: {check_.message}")
    if not (check_.message or "").strip():
        fail("hub_test_connection returned an empty message; say what was checked (the admin reads it)")


@check("customers_unique_stable_ids")
def customers_unique_stable_ids(h: PluginHarness) -> None:
    """Two listings give the same set of non-empty, unique external ids."""
    config = h.loaded_config()
    first, second = healthy_listing(h, config=config), healthy_listing(h, config=config)
    problems = []
    for label, listing in (("first", first), ("second", second)):
        bad = [c for c in listing if not isinstance(c.external_id, str) or not c.external_id.strip()]
        if bad:
            problems.append(f"{label} listing: {len(bad)} customer(s) without a string external_id, "
                            f"e.g. {bad[0]!r}")
        twice = sorted(i for i, n in Counter(c.external_id for c in listing).items() if n > 1)
        if twice:
            problems.append(f"{label} listing: id(s) listed more than once: {', '.join(map(str, twice[:5]))}")
    a, b = {c.external_id for c in first}, {c.external_id for c in second}
    if a != b:
        problems.append(f"ids changed between two listings of the same data: {len(a - b)} only in the first "
                        f"(e.g. {sorted(a - b)[:3]}), {len(b - a)} only in the second (e.g. {sorted(b - a)[:3]}). "
                        "external_id must be the vendor's stable id, not a position or a random value")
    if problems:
        fail("customer ids are not unique and stable:\n  " + "\n  ".join(problems))


@check("customers_paginate_all_pages")
def customers_paginate_all_pages(h: PluginHarness) -> None:
    """Against a simulator big enough for several pages, every customer it lists is read once."""
    served = h.simulator(h.config.paging_customers)
    expected = h.expected_customers(served)
    listing = healthy_listing(h, served)
    ids = [c.external_id for c in listing]
    if len(ids) != len(set(ids)):
        fail(f"{len(ids) - len(set(ids))} customer(s) were listed twice: a page was read more than once")
    if len(ids) != expected:
        fail(f"listed {len(ids)} customers, but the simulator (seeded with {h.config.paging_customers}) lists "
             f"{expected}: {'pages are missed' if len(ids) < expected else 'customers are invented'}; read "
             "every page until the vendor says there are no more")


@check("counts_reference_listed_customers")
def counts_reference_listed_customers(h: PluginHarness) -> None:
    """Counts name only customers passed in ``customers``, once per SKU; a subset gets only its own."""
    config = h.loaded_config()
    customers = healthy_listing(h, config=config)
    results = healthy_counts(h, config, customers)
    counts = [r for r in results if isinstance(r, LicenseCount)]
    if not counts:
        fail(f"hub_fetch_license_counts yielded no LicenseCount for {len(customers)} customers; seed the "
             "simulator with usage so the counts can be checked")
    problems = []
    listed = {c.external_id for c in customers}
    strangers = sorted({r.customer_external_id for r in results} - listed)
    if strangers:
        problems.append(f"counts for {len(strangers)} customer(s) that were not listed, e.g. {strangers[:3]}")
    twice = sorted(k for k, n in Counter((c.customer_external_id, c.sku) for c in counts).items() if n > 1)
    if twice:
        problems.append(f"SKU counted more than once for a customer: {twice[:3]}")
    if len(customers) > 1:
        subset = customers[: len(customers) // 2]
        wanted = {c.external_id for c in subset}
        extra = sorted({r.customer_external_id for r in healthy_counts(h, config, subset)} - wanted)
        if extra:
            problems.append(f"asked for {len(subset)} customers, got counts for {len(extra)} others too, "
                            f"e.g. {extra[:3]}: count only the customers passed in `customers`")
    if problems:
        fail("counts do not match the listed customers:\n  " + "\n  ".join(problems))


@check("counts_nonnegative")
def counts_nonnegative(h: PluginHarness) -> None:
    """Every quantity is a finite Decimal >= 0 and every SKU a non-empty string."""
    config = h.loaded_config()
    customers = healthy_listing(h, config=config)
    result = call(h, "hub_fetch_license_counts", config, customers)
    if isinstance(result.error, ValueError) and "negative" in str(result.error):
        fail(f"a count was negative ({result.error}); quantities are >= 0: yield 0 or leave the SKU out")
    if result.error is not None:
        fail(f"hub_fetch_license_counts failed against a healthy simulator: {result.describe()}")
    problems = []
    for item in result.value:
        if not isinstance(item, LicenseCount):
            continue
        q = item.quantity
        if not isinstance(q, Decimal) or not q.is_finite() or q < 0:
            problems.append(f"{item.customer_external_id}/{item.sku}: quantity {q!r}")
        if not isinstance(item.sku, str) or not item.sku.strip():
            problems.append(f"{item.customer_external_id}: SKU {item.sku!r} is not a non-empty string")
    if problems:
        fail("counts are not non-negative quantities of named SKUs:\n  " + "\n  ".join(problems[:10]))


@check("every_sku_mapped_or_explicitly_unmapped")
def every_sku_mapped_or_explicitly_unmapped(h: PluginHarness) -> None:
    """hub_map_skus describes every SKU the simulator reports (billable or explicitly not), once, and
    copes with a SKU it does not know."""
    config = h.loaded_config()
    counts = [r for r in healthy_counts(h, config, healthy_listing(h, config=config)) if isinstance(r, LicenseCount)]
    skus = sorted({c.sku for c in counts})
    if not skus:
        fail("the simulator reported no SKUs to map; seed it with usage")
    if "hub_map_skus" not in h.registry.hooks_of(h.name):
        fail("hub_map_skus is not implemented, so every SKU reaches the admin unnamed. Implement it "
             "(billable=False for SKUs that are not billed) or skip this check with a reason")
    try:
        mappings = list(h.handle.map_skus(config, skus + [UNKNOWN_SKU]))
    except Exception as err:
        fail(f"hub_map_skus raised {type(err).__name__}: {err} (a SKU it does not know must not break it)")
    problems = []
    wrong = [m for m in mappings if not isinstance(m, SkuMapping)]
    if wrong:
        fail(f"hub_map_skus returned {type(wrong[0]).__name__}, not hub.plugins.SkuMapping")
    asked = set(skus) | {UNKNOWN_SKU}
    invented = sorted({m.sku for m in mappings} - asked)
    if invented:
        problems.append(f"described SKUs nobody asked about: {invented[:5]}")
    twice = sorted(s for s, n in Counter(m.sku for m in mappings).items() if n > 1)
    if twice:
        problems.append(f"described more than once: {twice[:5]}")
    unnamed = sorted(m.sku for m in mappings if not (m.name or "").strip() or not (m.unit or "").strip())
    if unnamed:
        problems.append(f"no name or unit: {unnamed[:5]}")
    missing = sorted(set(skus) - {m.sku for m in mappings})
    if missing:
        problems.append(f"SKUs the plugin's own simulator reports but hub_map_skus does not describe: "
                        f"{missing[:10]} (return them, with billable=False if they are not billed)")
    if problems:
        fail("hub_map_skus does not account for every SKU:\n  " + "\n  ".join(problems))
