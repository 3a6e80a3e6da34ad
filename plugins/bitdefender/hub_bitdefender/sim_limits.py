"""GravityZone's per-key rate limits as the simulator applies them (docs 77211-394430).

Token buckets like nginx's ``limit_req`` with a burst: 10 requests/s per API key with a burst of
10, and 5/s (burst 5) more for the licensing usage methods.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Callable

#: (rate per second, burst) per bucket; "key" holds every call of one API key
LIMITS = {"key": (10.0, 10.0), "licensing": (5.0, 5.0)}


class RateLimits:
    """Token buckets per (API key, bucket), on the app's clock; also records what it saw.

    ``over_limit`` counts the calls that exceeded a limit. With ``enforce`` (the default) they are
    refused with 429; without, they are only counted: for clients whose sessions do not really wait
    (the hub's conformance kit), which a real-time limit would refuse for that reason alone.
    """

    def __init__(self, clock: Callable[[], float], enforce: bool = True) -> None:
        self.clock = clock
        self.enforce = enforce
        self._buckets: dict[tuple[str, str], list[float]] = {}
        self._recent: dict[str, deque] = {name: deque() for name in LIMITS}
        #: the most calls seen within one second (a window open at its start), per bucket
        self.peak_per_second: dict[str, int] = {name: 0 for name in LIMITS}
        self.over_limit = 0
        self._lock = threading.Lock()

    def admit(self, key: str, buckets: list[str]) -> float | None:
        """None when the call may go on, else the seconds until it could."""
        with self._lock:
            now = self.clock()
            states = []
            for name in buckets:
                rate, burst = LIMITS[name]
                tokens, last = self._buckets.get((key, name), [burst, now])
                tokens = min(burst, tokens + (now - last) * rate)
                states.append((name, rate, tokens))
            short = [(1 - tokens) / rate for _, rate, tokens in states if tokens < 1]
            if short:
                self.over_limit += 1
                for name, _, tokens in states:
                    self._buckets[(key, name)] = [tokens, now]
                if self.enforce:
                    return max(short)
                states = [(name, rate, tokens + 1) for name, rate, tokens in states]  # let it through, free
            for name, _, tokens in states:
                self._buckets[(key, name)] = [tokens - 1, now]
                recent = self._recent[name]
                recent.append(now)
                while recent and recent[0] <= now - 1.0:
                    recent.popleft()
                self.peak_per_second[name] = max(self.peak_per_second[name], len(recent))
            return None
