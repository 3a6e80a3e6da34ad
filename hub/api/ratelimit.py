"""Per-token request limits (``HUB_API_RATE_LIMIT``, default ``600/minute``), counted per process.

A fixed window per token, kept in memory: nothing is written per request. With several web worker
processes each keeps its own counts, so the effective limit is the setting times the number of
workers (the same trade-off as the sign-in limiter; documented in docs/api.md). Answers carry the
``RateLimit-Policy`` and ``RateLimit`` headers of the IETF draft (draft-ietf-httpapi-ratelimit-headers).
"""

from __future__ import annotations

import math
import re
import threading
import time
from dataclasses import dataclass
from typing import Callable

from flask import Flask

from hub.config import ConfigError

DEFAULT = "600/minute"
UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
#: token windows kept at most; a flood of tokens cannot exhaust memory
MAX_KEYS = 100_000


def parse_limit(text: str) -> tuple[int, int]:
    """``"600/minute"`` -> (600, 60)."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(second|minute|hour|day)s?\s*", str(text or ""))
    if not match or int(match.group(1)) < 1:
        raise ConfigError(f"HUB_API_RATE_LIMIT={text!r} is not like '600/minute' (per second, minute, hour or day)")
    return int(match.group(1)), UNITS[match.group(2)]


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    #: seconds until the window resets
    reset: int
    window: int

    def headers(self) -> dict[str, str]:
        return {"RateLimit-Policy": f'"token";q={self.limit};w={self.window}',
                "RateLimit": f'"token";r={self.remaining};t={self.reset}'}


class RateLimiter:
    def __init__(self, limit: int, window: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self._windows: dict[int, tuple[float, int]] = {}
        self._lock = threading.Lock()

    def hit(self, key: int) -> Decision:
        now = self.clock()
        with self._lock:
            start, used = self._windows.get(key, (now, 0))
            if now - start >= self.window:
                start, used = now, 0
            allowed = used < self.limit
            if allowed:
                used += 1
            if key not in self._windows and len(self._windows) >= MAX_KEYS:
                self._windows.clear()
            self._windows[key] = (start, used)
        reset = max(1, math.ceil(start + self.window - now))
        return Decision(allowed, self.limit, self.limit - used, reset, self.window)


def rate_limiter(app: Flask) -> RateLimiter:
    limiter = app.extensions.get("hub.api_limiter")
    if limiter is None:
        limiter = app.extensions["hub.api_limiter"] = RateLimiter(*parse_limit(app.config.get("HUB_API_RATE_LIMIT",
                                                                                              DEFAULT)))
    return limiter
