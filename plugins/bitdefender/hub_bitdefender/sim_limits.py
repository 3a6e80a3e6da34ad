"""GravityZone's per-key rate limits as the simulator applies them (docs 77211-394430).

Counted strictly, on a sliding window: no one-second window may hold more than 10 requests of one API
key, nor more than 5 of its licensing usage methods. Every arrival is recorded, so a test or the
benchmark can ask for the most arrivals any one-second window held (``peak_per_second``), which is
what a vendor enforcing its limit to the letter would see; a token bucket with a burst lets a client
place 11 requests inside one second and still count it as compliant.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Callable

from hub.plugins.simulator import most_in_window

#: requests allowed in any one-second window, per bucket; "key" holds every call of one API key
LIMITS = {"key": 10, "licensing": 5}
WINDOW = 1.0


class RateLimits:
    """Sliding one-second windows per (API key, bucket), on the app's clock; also records what it saw.

    ``over_limit`` counts the calls that found their window full. With ``enforce`` (the default) they
    are refused with 429; without, they are only counted: for clients whose sessions do not really
    wait (the hub's conformance kit), which a real-time limit would refuse for that reason alone.
    """

    def __init__(self, clock: Callable[[], float], enforce: bool = True) -> None:
        self.clock = clock
        self.enforce = enforce
        self._admitted: dict[tuple[str, str], deque] = {}
        #: arrival times of every call (refused ones too), per bucket, in arrival order
        self.arrivals: dict[str, list[float]] = {name: [] for name in LIMITS}
        self.over_limit = 0
        self._lock = threading.Lock()

    @property
    def peak_per_second(self) -> dict[str, int]:
        """The most arrivals any one-second window held, per bucket."""
        with self._lock:
            return {name: most_in_window(times) for name, times in self.arrivals.items()}

    def admit(self, key: str, buckets: list[str], now: float | None = None) -> float | None:
        """None when the call may go on, else the seconds until it could."""
        with self._lock:
            now = self.clock() if now is None else now
            waits = []
            for name in buckets:
                self.arrivals[name].append(now)
                window = self._admitted.setdefault((key, name), deque())
                while window and window[0] <= now - WINDOW:
                    window.popleft()
                if len(window) >= LIMITS[name]:
                    waits.append(window[-LIMITS[name]] + WINDOW - now)
            if waits:
                self.over_limit += 1
                if self.enforce:
                    return max(waits)
            for name in buckets:  # refused calls take no place: the vendor did not serve them
                self._admitted[(key, name)].append(now)
            return None

