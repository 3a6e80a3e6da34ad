"""Checks that a misbehaving vendor (via the simulator's Faults) reaches the hub as the right error."""

from __future__ import annotations

import pytest
import requests

from hub.plugins import ConnectionCheck, VendorAuthError, VendorDataError, VendorError, VendorUnavailableError
from hub.testing.checks.base import check
from hub.testing.checks.calls import HOOKS, Outcome, call, healthy_listing
from hub.testing.harness import PluginHarness, fail

#: the session's default cap on honoured Retry-After (VendorSession.max_retry_wait) is 65 s
OVER_CAP_RETRY_AFTER = 300


def _all_hooks(h: PluginHarness, config: dict, customers: list, **session_options) -> dict[str, Outcome]:
    return {hook: call(h, hook, config, customers, **session_options) for hook in HOOKS}


def _report(title: str, problems: list[str]) -> None:
    if problems:
        fail(title + ":\n  " + "\n  ".join(problems))


@check("auth_error_maps_to_VendorAuthError")
def auth_error_maps_to_VendorAuthError(h: PluginHarness) -> None:
    """With every credential refused, each hook raises VendorAuthError (test_connection may instead
    answer ok=False); counts raise too, rather than a CountFailure per customer."""
    config = h.loaded_config()
    customers = healthy_listing(h, config=config)
    with h.faults(auth=True):
        outcomes = _all_hooks(h, config, customers)
    problems = []
    for hook, result in outcomes.items():
        refused = isinstance(result.value, ConnectionCheck) and not result.value.ok
        if isinstance(result.error, VendorAuthError) or (hook == "hub_test_connection" and refused):
            continue
        problems.append(f"{hook} {result.describe()}; expected VendorAuthError"
                        + (" (the whole vendor refused us: raise, don't yield a CountFailure per customer)"
                           if hook == "hub_fetch_license_counts" and result.error is None else ""))
    _report("refused credentials do not map to VendorAuthError", problems)


@check("transient_maps_to_VendorUnavailableError")
def transient_maps_to_VendorUnavailableError(h: PluginHarness) -> None:
    """HTTP 500/503, 429 with Retry-After (under and over the session's cap) and timeouts raise
    VendorUnavailableError from every hook, carrying the vendor's retry_after."""
    config = h.loaded_config()
    customers = healthy_listing(h, config=config)
    wait = h.config.retry_after
    scenarios = [
        ("HTTP 503", {"unavailable": 503}, None),
        ("HTTP 500", {"unavailable": 500}, None),
        (f"HTTP 429 with Retry-After: {wait}", {"rate_limit_retry_after": wait}, wait),
        (f"HTTP 429 with Retry-After: {OVER_CAP_RETRY_AFTER}", {"rate_limit_retry_after": OVER_CAP_RETRY_AFTER},
         OVER_CAP_RETRY_AFTER),
    ]
    problems = []
    for label, knobs, retry_after in scenarios:
        with h.faults(**knobs):
            outcomes = _all_hooks(h, config, customers)
        for hook, result in outcomes.items():
            if not isinstance(result.error, VendorUnavailableError):
                problems.append(f"{label}: {hook} {result.describe()}; expected VendorUnavailableError")
            elif retry_after is not None and (result.error.retry_after is None
                                              or abs(result.error.retry_after - retry_after) > 1):
                problems.append(f"{label}: {hook} raised VendorUnavailableError with retry_after="
                                f"{result.error.retry_after!r}, expected {retry_after} (use raise_for_vendor_status"
                                " or pass retry_after=parse_retry_after(...))")
    # a vendor that answers too slowly: the session's timeout fires (shortened here to keep tests fast)
    with h.faults(latency=0.3):
        slow = call(h, "hub_list_customers", config, timeout=0.05, max_retries=1)
    if slow.error is None:
        problems.append("timeout: hub_list_customers returned although every answer took 0.3 s and the session's "
                        "timeout was 0.05 s: send every request through the session the hub gives you (it "
                        "applies the timeout), and don't pass a longer timeout= of your own")
    elif not isinstance(slow.error, VendorUnavailableError):
        # nothing sent through the session, or a raw requests timeout (the session turns its own into
        # VendorUnavailableError): the request went around the session, and "don't catch it" would mislead
        bypassed = slow.sent == 0 or isinstance(slow.error, requests.Timeout)
        problems.append(f"timeout: hub_list_customers {slow.describe()}; expected VendorUnavailableError "
                        + ("(the request went around the session the hook was given, whose timeout error is "
                           "VendorUnavailableError: send every request with `session`, never requests.get() "
                           "or a session of your own)" if bypassed
                           else "(let the session's timeout error through, don't catch it)"))
    _report("transient failures do not map to VendorUnavailableError", problems)


@check("malformed_maps_to_VendorDataError")
def malformed_maps_to_VendorDataError(h: PluginHarness) -> None:
    """A customer listing whose body is not valid JSON raises VendorDataError."""
    config = h.loaded_config()
    with h.faults(malformed=True):
        result = call(h, "hub_list_customers", config)
    if not isinstance(result.error, VendorDataError):
        fail(f"with a malformed listing body, hub_list_customers {result.describe()}; expected VendorDataError "
             "(use hub.plugins.json_or_data_error)")


@check("listing_cut_short_is_an_error")
def listing_cut_short_is_an_error(h: PluginHarness) -> None:
    """When the listing breaks after its first page, hub_list_customers raises a VendorError
    (VendorDataError or VendorUnavailableError), never returns the partial listing."""
    served = h.simulator(h.config.paging_customers)
    config = h.loaded_config(served)
    full = h.expected_customers(served)  # the simulator's word, not what this plugin manages to list
    with h.faults(served, cut_listing=True):
        result = call(h, "hub_list_customers", config)
    if result.error is None:
        fail(f"with the listing cut after its first page, hub_list_customers returned {len(result.value)} of "
             f"the {full} customers the simulator holds without raising: the hub would detach the rest. Raise "
             "VendorDataError when a page that should come does not")
    if not isinstance(result.error, (VendorDataError, VendorUnavailableError)):
        kind = "a VendorError of the wrong kind" if isinstance(result.error, VendorError) else "a plugin bug"
        fail(f"with the listing cut short, hub_list_customers {result.describe()} ({kind}); expected "
             "VendorDataError or VendorUnavailableError")


@check("listing_short_of_its_total_is_an_error")
def listing_short_of_its_total_is_an_error(h: PluginHarness) -> None:
    """When the vendor's answer reports totals (a ``total``, a page count) and the listing holds fewer
    customers than they say, hub_list_customers raises VendorDataError (``check_listing_total``).

    Skipped when the simulator's app does not set ``reports_listing_totals``: an API that reports no
    totals gives the plugin nothing to tell a short listing from a whole one.
    """
    served = h.simulator(h.config.paging_customers)
    if not getattr(served.app, "reports_listing_totals", False):
        pytest.skip("the simulator does not set reports_listing_totals: the vendor's API reports no listing "
                    "totals to cross-check, so a listing cut short is left to the hub's mass-detach guard")
    config = h.loaded_config(served)
    full = h.expected_customers(served)
    with h.faults(served, short_listing=True):
        result = call(h, "hub_list_customers", config)
    if isinstance(result.error, VendorDataError):
        return
    if result.error is not None:
        fail(f"with a listing one customer short of its reported total, hub_list_customers {result.describe()}; "
             "expected VendorDataError")
    if len(result.value) < full:
        fail(f"with a listing one customer short of the total it reports, hub_list_customers returned "
             f"{len(result.value)} of the {full} customers the simulator holds without raising: the hub would "
             "detach the missing one. Compare what you listed with the vendor's total "
             "(hub.plugins.check_listing_total) and raise VendorDataError when they differ")
    fail(f"the simulator sets reports_listing_totals but did not leave a customer out with "
         f"Faults.short_listing: the plugin listed all {full}; make the simulator honour the knob")
