"""The session's rate limits hold *at the vendor*, proven rather than hoped for with a margin.

A request arrives at the vendor somewhere between the moment the session lets it go and the moment
its answer is back. The limiter lets request ``i + limit`` go no sooner than a window after request
``i``'s answer: then no sliding window at the vendor can hold one request too many, however long a
request took to get there. These tests give requests slow ways in (the vendor's arrival late in the
request) and slow ways out, which a fixed margin of 0.1 s could not cover.
"""

from __future__ import annotations

import threading
import time
import urllib.parse

import responses

from hub.plugins import VendorSession
from hub.plugins.simulator import arrivals_over, most_in_window
from hub.testing import serve

URL = "https://api.vendor.example/v1/usage"


class TimedClock:
    """A fake clock that a request's answer moves forward by its latency; sleeping moves it too."""

    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_a_request_waits_a_window_after_the_answer_of_the_one_a_limit_before_it():
    clock = TimedClock()
    latencies = iter([0.3, 0.0, 0.25, 0.05, 0.0, 0.3, 0.1, 0.0, 0.2, 0.3, 0.0, 0.15, 0.0, 0.3, 0.05, 0.0] * 2)
    requests_seen: list[tuple[float, float]] = []  # (let go, answer back) on the fake clock

    def answer(request):
        started = clock.now
        clock.now += next(latencies)
        requests_seen.append((started, clock.now))
        return 200, {}, "{}"

    with responses.RequestsMock() as api, \
            VendorSession(requests_per_second=4, sleep=clock.sleep, clock=clock.clock) as session:
        api.add_callback(responses.GET, URL, callback=answer)
        for _ in range(30):
            session.get(URL)

    limit, window = 4, 1.0
    assert all(requests_seen[i + limit][0] >= requests_seen[i][1] + window
               for i in range(len(requests_seen) - limit)), requests_seen
    # the worst the vendor could see: every slow request arriving as late as it possibly could
    latest = [done if done - started > 0.1 else started for started, done in requests_seen]
    assert arrivals_over(latest, limit, window) == 0



class SlowVendor:
    """A WSGI vendor that takes ``before`` seconds for a request to reach it (the time it is counted
    at) and ``after`` seconds to answer, both read from the query string; it records each arrival."""

    def __init__(self) -> None:
        self.arrivals: dict[str, list[float]] = {"key": [], "licensing": []}
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
        time.sleep(float(query["before"][0]))
        arrived = time.monotonic()  # the session's clock: the same process
        with self._lock:
            self.arrivals["key"].append(arrived)
            if environ["PATH_INFO"].endswith("/licensing"):
                self.arrivals["licensing"].append(arrived)
        time.sleep(float(query["after"][0]))
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b"{}"]


def test_no_sliding_second_at_a_slow_vendor_holds_too_many_with_threads_and_a_busy_cpu(busy_cpu):
    """10 requests a second per key and 5 licensing, four threads, a CPU kept busy, and requests that
    take up to 0.2 s to reach the vendor and up to 0.08 s more to be answered: the vendor never counts
    more than the limits in any sliding second (a fixed 0.1 s margin let 11 in)."""
    vendor = SlowVendor()
    with serve(vendor, name="slow-vendor") as served, \
            VendorSession(requests_per_second=10, rate_limits={"licensing": 5}, max_concurrency=4) as session:

        def call(n: int) -> int:
            path = "/licensing" if n % 2 else "/details"
            before = 0.2 if n % 3 == 0 else 0.0
            after = (0.0, 0.03, 0.08)[n % 3 - 1]
            rate_key = "licensing" if n % 2 else None
            return session.get(f"{served.base_url}{path}", params={"before": before, "after": after},
                               rate_key=rate_key).status_code

        assert set(session.map_concurrent(call, range(44))) == {200}

    assert len(vendor.arrivals["key"]) == 44 and len(vendor.arrivals["licensing"]) == 22
    peaks = {name: most_in_window(times) for name, times in vendor.arrivals.items()}
    assert peaks["key"] <= 10 and peaks["licensing"] <= 5, f"most arrivals in one sliding second: {peaks}"
    assert arrivals_over(vendor.arrivals["key"], 10) == 0 and arrivals_over(vendor.arrivals["licensing"], 5) == 0
