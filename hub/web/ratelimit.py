"""Sign-in attempt limits, kept in memory per process.

Failed attempts are counted per (account, client address) and per client address alone (a looser
limit that slows password spraying across accounts). Memory is enough for one hub process; with
several worker processes each keeps its own counts, so the effective limit is multiplied by the
number of workers (documented in the report and README).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from typing import Callable

#: the per-address limit is this many times the per-account limit
ADDRESS_FACTOR = 5
#: keys kept at most; the oldest are dropped first so a flood cannot exhaust memory
MAX_KEYS = 50_000


class LoginRateLimiter:
    def __init__(self, limit: int, window_seconds: float = 15 * 60,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = int(limit)
        self.window = float(window_seconds)
        self.clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def keys(email: str, address: str | None) -> tuple[str, str]:
        address = address or "-"
        return f"acct:{(email or '').strip().lower()}|{address}", f"addr:{address}"

    def retry_after(self, email: str, address: str | None) -> float | None:
        """Seconds until another attempt is allowed, or None when one is allowed now."""
        account_key, address_key = self.keys(email, address)
        with self._lock:
            waits = [self._wait(account_key, self.limit), self._wait(address_key, self.limit * ADDRESS_FACTOR)]
        waits = [w for w in waits if w is not None]
        return max(waits) if waits else None

    def failed(self, email: str, address: str | None) -> None:
        now = self.clock()
        with self._lock:
            for key in self.keys(email, address):
                self._failures.setdefault(key, deque()).append(now)
                self._failures.move_to_end(key)
            while len(self._failures) > MAX_KEYS:
                self._failures.popitem(last=False)

    def succeeded(self, email: str, address: str | None) -> None:
        account_key, _ = self.keys(email, address)
        with self._lock:
            self._failures.pop(account_key, None)

    def _wait(self, key: str, limit: int) -> float | None:
        attempts = self._failures.get(key)
        if not attempts:
            return None
        now = self.clock()
        while attempts and attempts[0] <= now - self.window:
            attempts.popleft()
        if not attempts:
            del self._failures[key]
            return None
        if len(attempts) < limit:
            return None
        return attempts[-limit] + self.window - now
