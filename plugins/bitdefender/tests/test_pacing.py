"""Pacing on the real clock: counted at the vendor's side, no one-second window ever holds more
requests than GravityZone documents (10 per key, 5 licensing), even with the CPU kept busy.

The simulator records when each request arrives and counts every sliding one-second window, as a
vendor enforcing its limit to the letter would. A thread spinning on the CPU beside it makes threads
wake late, which is what made the old limiter's requests bunch. Bounded: about 5 seconds.
"""

from __future__ import annotations

from hub.plugins import VendorSession
from hub.testing import serve
from hub_bitdefender import plugin, simulator
from hub_bitdefender.sim_limits import LIMITS

CUSTOMERS = 24  # 24 details + 24 usage calls + the listing: about 5 s at the documented limits



def test_no_sliding_second_at_the_vendor_holds_more_than_the_documented_limit(busy_cpu):
    info = plugin.hub_vendor_info()
    app = simulator.make_app(CUSTOMERS, enforce_rate_limits=False)  # count every arrival, refuse none
    with serve(app, name="bitdefender-pacing") as served, \
            VendorSession(requests_per_second=info.requests_per_second, rate_limits=dict(info.rate_limits),
                          max_concurrency=info.max_concurrency) as session:
        config = info.config_schema().load(simulator.config_for(served.base_url))
        customers = list(plugin.hub_list_customers(config, session))
        list(plugin.hub_fetch_license_counts(config, session, customers))

    assert len(customers) == app.listed_customer_count()
    assert len(app.limits.arrivals["licensing"]) >= CUSTOMERS
    peaks = app.limits.peak_per_second
    assert all(peaks[name] <= LIMITS[name] for name in LIMITS), f"most arrivals in one second: {peaks}"
    assert app.limits.over_limit == 0
