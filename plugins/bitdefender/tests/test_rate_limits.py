"""Client-side rate limiting: never over GravityZone's per-key limits, even with concurrent calls.

Time is a fake clock: the session's limiter "sleeps" by moving it, and each mocked call records the
moment its thread sent it in that time.
"""

import math

from hub_bitdefender import plugin

KEY_BUDGET, LICENSING_BUDGET, COMPANIES_BUDGET = 10, 5, 5


def tightest_span(times, budget):
    """The shortest time that holds ``budget + 1`` calls: under the limit means at least one second."""
    times = sorted(times)
    return min((times[i + budget] - times[i] for i in range(len(times) - budget)), default=math.inf)


def wide_tree(gz, bd, customers):
    ok = lambda result: bd.Reply(body={"jsonrpc": "2.0", "id": 1, "result": result})  # noqa: E731
    listing = [{"id": f"{n:024x}", "name": f"Customer {n}"} for n in range(1, customers + 1)]
    gz.on("network", "getCompaniesList", {"filters": bd.partners}, ok([]))
    gz.on("network", "getCompaniesList", {"filters": bd.customer_type}, ok(listing))
    gz.on("network", "getCompaniesList", {"filters": bd.trials}, ok([]))
    gz.on("companies", "getCompanyDetails", None, "company_details_contoso.json")
    gz.on("licensing", "getMonthlyUsagePerProductType", None, "usage_contoso.json")


def run(config, session):
    customers = list(plugin.hub_list_customers(config, session))
    results = list(plugin.hub_fetch_license_counts(config, session, customers))
    return customers, results


def test_declared_limits_are_the_documented_ones():
    info = plugin.hub_vendor_info()
    assert info.requests_per_second == KEY_BUDGET
    assert info.rate_limits == {"licensing": LICENSING_BUDGET, "companies": COMPANIES_BUDGET}


def test_concurrent_sync_stays_under_every_limit(gz, bd, config, session):
    wide_tree(gz, bd, customers=60)

    customers, _ = run(config, session)

    assert len(customers) == 60 and session.max_concurrency > 1
    every = [c.at for c in gz.calls]
    licensing = [c.at for c in gz.calls if c.service == "licensing"]
    details = [c.at for c in gz.calls if c.method == "getCompanyDetails"]
    assert len(every) == 3 + 60 + 60
    assert tightest_span(every, KEY_BUDGET) >= 1.0 - 1e-9
    assert tightest_span(licensing, LICENSING_BUDGET) >= 1.0 - 1e-9
    assert tightest_span(details, COMPANIES_BUDGET) >= 1.0 - 1e-9
    gaps = [b - a for a, b in zip(sorted(every), sorted(every)[1:])]
    assert min(gaps) >= 0.5 / KEY_BUDGET - 1e-9  # a steady stream, never a burst


def test_the_check_catches_a_session_over_the_licensing_limit(gz, bd, config, session, new_session):
    # counts on their own (nothing read ahead) with a laxer named budget: the key's 10 a second all
    # go to licensing calls, twice what GravityZone allows them
    wide_tree(gz, bd, customers=30)
    customers, _ = run(config, session)
    counted_from = len(gz.calls)

    with new_session(rate_limits={"licensing": 50, "companies": 50}) as lax:
        list(plugin.hub_fetch_license_counts(config, lax, customers))

    lax_calls = gz.calls[counted_from:]
    assert len(lax_calls) == 30 and all(c.service == "licensing" for c in lax_calls)
    assert tightest_span([c.at for c in lax_calls], LICENSING_BUDGET) < 1.0
    assert tightest_span([c.at for c in lax_calls], KEY_BUDGET) >= 1.0 - 1e-9  # the key limit still held


def test_usage_is_read_while_listing_so_both_budgets_are_used_at_once(gz, bd, config, session):
    wide_tree(gz, bd, customers=40)

    run(config, session)

    licensing = sorted(c.at for c in gz.calls if c.service == "licensing")
    details = sorted(c.at for c in gz.calls if c.method == "getCompanyDetails")
    # the two kinds of per-customer call interleave instead of running as two phases
    assert licensing[0] < details[-1] and details[0] < licensing[-1]
