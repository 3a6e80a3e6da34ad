"""Per-token request limits (``HUB_API_RATE_LIMIT``, default ``600/minute``).

A fixed window per token, beginning at the token's first request after the last window ended.
On PostgreSQL (production: several gunicorn workers, maybe several hosts) the window is one row that
every worker updates with a single atomic upsert, so the limit is the setting, not the setting times the
number of workers. That count commits on its own connection without waiting for the disk
(``synchronous_commit off``: a crash may forget a few counts, nothing else), before the request does its
work. On the embedded SQLite default, served by one process, the window is kept in memory: a SQLite
commit waits for the disk (about 30 ms here), which would cost more than the request itself.
Answers carry the ``RateLimit-Policy`` and ``RateLimit`` headers of the IETF draft
(draft-ietf-httpapi-ratelimit-headers).
"""

from __future__ import annotations

import math
import re
import threading
import time
from dataclasses import dataclass
from typing import Callable

from flask import Flask
from sqlalchemy import bindparam, case
from sqlalchemy.dialects import postgresql

from hub.config import ConfigError
from hub.extensions import db
from hub.models import ApiRateWindow

DEFAULT = "600/minute"
UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


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
    """The window in this process's memory (the embedded SQLite default)."""

    #: token windows kept at most; a flood of tokens cannot exhaust memory
    max_keys = 100_000

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
            used += 1
            if key not in self._windows and len(self._windows) >= self.max_keys:
                self._windows.clear()
            self._windows[key] = (start, used)
        return self.decision(now, start, used)

    def decision(self, now: float, start: float, used: int) -> Decision:
        reset = max(1, math.ceil(start + self.window - now))
        return Decision(used <= self.limit, self.limit, max(0, self.limit - used), reset, self.window)


class SharedRateLimiter(RateLimiter):
    """The window in the ``api_rate_windows`` table, shared by every worker (PostgreSQL)."""

    def __init__(self, limit: int, window: int, clock: Callable[[], float] = time.time) -> None:
        super().__init__(limit, window, clock)
        table = ApiRateWindow.__table__
        upsert = postgresql.insert(table).values(token_id=bindparam("key"), window_start=bindparam("now"), used=1)
        # Right-hand sides read the row as it was: a window that has ended starts again at now.
        ended = upsert.excluded.window_start - table.c.window_start >= window
        self._statement = upsert.on_conflict_do_update(
            index_elements=[table.c.token_id],
            set_={"used": case((ended, 1), else_=table.c.used + 1),
                  "window_start": case((ended, upsert.excluded.window_start), else_=table.c.window_start)},
        ).returning(table.c.window_start, table.c.used)

    def hit(self, key: int) -> Decision:
        now = self.clock()
        with db.engine.begin() as connection:
            connection.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
            start, used = connection.execute(self._statement, {"key": key, "now": now}).one()
        return self.decision(now, float(start), int(used))


def rate_limiter(app: Flask) -> RateLimiter:
    limiter = app.extensions.get("hub.api_limiter")
    if limiter is None:
        kind = SharedRateLimiter if db.engine.dialect.name == "postgresql" else RateLimiter
        limiter = app.extensions["hub.api_limiter"] = kind(*parse_limit(app.config.get("HUB_API_RATE_LIMIT",
                                                                                         DEFAULT)))
    return limiter
