"""``hub benchmark SLUG``: one plugin against its own simulator, timed against the floor the vendor's
documented limits set (``VendorInfo.documented_limits``), with no hub database in the way.

The simulator is served on loopback with ``Faults.latency`` added to every request; the plugin runs
its three sync hooks on a session like the hub's (its own pacing, real sleeping). Every arrival is
recorded at the server with the budget its request was sent under, so the most requests any sliding
one-second window held, and how many went over a documented limit, are counted where the vendor
would count them.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Callable

from hub.plugins import VendorError, VendorSession
from hub.plugins.simulator import arrivals_over, most_in_window
from hub.testing.server import serve

#: the header that carries a request's rate_key from the session to the recorder (never to a vendor)
BUDGET_HEADER = "X-Hub-Benchmark-Budget"
ALL = "requests"


class _BudgetLabelledSession(VendorSession):
    def request(self, method, url, *args, rate_key: str | None = None, **kwargs):  # type: ignore[override]
        kwargs["headers"] = {**(kwargs.get("headers") or {}), BUDGET_HEADER: rate_key or ""}
        return super().request(method, url, *args, rate_key=rate_key, **kwargs)


class ArrivalRecorder:
    """WSGI middleware noting when each request arrived, with ``label(environ)`` (default: the path)."""

    def __init__(self, app, label: Callable[[dict], str] = lambda environ: environ.get("PATH_INFO", "")) -> None:
        self.app, self.label = app, label
        self.arrivals: list[tuple[float, str]] = []
        #: (arrival, answer made) of each request: the time the vendor itself spent on it, added latency included
        self.answering: list[tuple[float, float]] = []
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        arrived = time.perf_counter()
        with self._lock:
            self.arrivals.append((arrived, self.label(environ)))
        answer = self.app(environ, start_response)
        with self._lock:
            self.answering.append((arrived, time.perf_counter()))
        return answer


def busy_time(intervals: list[tuple[float, float]]) -> float:
    """How long at least one of ``intervals`` was under way (overlaps counted once): the time the vendor
    spent answering, which no plugin can finish its requests in less than."""
    total, reach = 0.0, float("-inf")
    for start, end in sorted(intervals):
        if end > reach:
            total += end - max(start, reach)
            reach = end
    return total


@dataclass
class BenchmarkResult:
    slug: str
    customers: int
    counts: int
    wall: float
    floor: float
    floor_reason: str
    requests: int
    #: per budget (ALL, then each documented named one): most arrivals in any 1 s, arrivals over its limit
    peaks: dict[str, int] = field(default_factory=dict)
    over: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    #: seconds of the sliding window the peaks and overs were counted in
    window: float = 1.0

    @property
    def ratio(self) -> float:
        return self.wall / self.floor if self.floor else float("inf")


def run_benchmark(handle, customers: int = 500, latency: float = 0.02) -> BenchmarkResult:
    """Time one listing and count of ``customers`` against the plugin's simulator."""
    demo = handle.demo_simulator()
    if demo is None:
        raise ValueError(f"{handle.slug}: the plugin ships no simulator (hub_demo_simulator returned None)")
    app = demo.make_app(customers)
    app.faults.latency = latency
    recorder = ArrivalRecorder(app, label=lambda environ: environ.get("HTTP_X_HUB_BENCHMARK_BUDGET", ""))
    listed, counts, error = [], [], None
    with serve(recorder, name=f"{handle.slug}-benchmark") as served:
        config = handle.load_config(demo.config_for(served.base_url))
        began = time.perf_counter()
        with handle.make_session(config, session_class=_BudgetLabelledSession) as session:
            try:
                handle.test_connection(config, session)
                listed = list(handle.list_customers(config, session))
                counts = list(handle.fetch_license_counts(config, session, listed))
            except VendorError as err:
                error = f"{type(err).__name__}: {err.message}"
        wall = time.perf_counter() - began
    floor, reason = floor_of(handle.info.documented_limits, recorder.arrivals, latency)
    result = BenchmarkResult(handle.slug, len(listed), len(counts), wall, floor, reason, len(recorder.arrivals),
                             error=error)
    window = window_of(handle.info.documented_limits)
    for budget, limit, times in _budgets(handle.info.documented_limits, recorder.arrivals):
        result.peaks[budget] = most_in_window(times, window)
        if limit:
            result.over[budget] = arrivals_over(times, limit * window, window)
    result.window = window
    return result


def window_of(documented) -> float:
    """The sliding window the vendor counts in (1 s unless it documents a longer one)."""
    return float(getattr(documented, "window_seconds", 1.0) or 1.0) if documented else 1.0


def floor_of(documented, arrivals: list[tuple[float, str]], latency: float) -> tuple[float, str]:
    """The least time the vendor's documented limits allow for these requests, and why."""
    if documented is None or not documented.requests_per_second:
        return (len(arrivals) * latency,
                f"the vendor documents no rate limit: {len(arrivals)} requests one after another "
                f"x {latency * 1000:g} ms latency")
    parts = [(len(times) / limit, f"{len(times)} {budget} / {limit:g} per s")
             for budget, limit, times in _budgets(documented, arrivals) if limit]
    floor, why = max(parts)
    return floor, f"documented limit ({documented.source or 'VendorInfo.documented_limits'}): {why}"


def _budgets(documented, arrivals):
    yield ALL, documented.requests_per_second if documented else None, [t for t, _ in arrivals]
    for key, rate in dict(documented.rate_limits if documented else {}).items():
        yield f"{key} requests", rate, [t for t, budget in arrivals if budget == key]


def report(result: BenchmarkResult, latency: float) -> list[str]:
    lines = [f"{result.slug}: {result.customers} customers, {result.counts} counts, {result.requests} requests, "
             f"{latency * 1000:g} ms added per request" + (f"; stopped by {result.error}" if result.error else ""),
             f"wall time {result.wall:.2f} s; floor {result.floor:.2f} s ({result.floor_reason})",
             f"ratio {result.ratio:.2f} x the floor"]
    for budget, peak in result.peaks.items():
        over = result.over.get(budget)
        lines.append(f"{budget}: at most {peak} in any {result.window:g} s"
                     + (f", {over} over the documented limit" if over is not None else ""))
    return lines
