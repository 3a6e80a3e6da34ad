"""Per-token request limits (``HUB_API_RATE_LIMIT``, default ``600/minute``), counted in the database.

A fixed window per token, beginning at the token's first request after the last window ended. The
window is one row that every web worker updates with a single atomic upsert, so with several gunicorn
workers (or several hosts on one PostgreSQL) the limit is the setting, not the setting times the number
of workers. The count is committed on its own connection, before the request does its work: a request
that fails later still counted. Answers carry the ``RateLimit-Policy`` and ``RateLimit`` headers of the
IETF draft (draft-ietf-httpapi-ratelimit-headers).
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from typing import Callable

from flask import Flask
from sqlalchemy import case
from sqlalchemy.dialects import postgresql, sqlite

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
    def __init__(self, limit: int, window: int, clock: Callable[[], float] = time.time) -> None:
        self.limit, self.window, self.clock = limit, window, clock

    def hit(self, key: int) -> Decision:
        """Count one request of token ``key``, in the window all workers share."""
        now = self.clock()
        start, used = self._count(key, now)
        reset = max(1, math.ceil(start + self.window - now))
        return Decision(used <= self.limit, self.limit, max(0, self.limit - used), reset, self.window)

    def _count(self, key: int, now: float) -> tuple[float, int]:
        table = ApiRateWindow.__table__
        with db.engine.begin() as connection:
            insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[connection.dialect.name]
            statement = insert(table).values(token_id=key, window_start=now, used=1)
            # The old row's values on the right-hand side: a window that has ended starts again at now.
            ended = statement.excluded.window_start - table.c.window_start >= self.window
            statement = statement.on_conflict_do_update(
                index_elements=[table.c.token_id],
                set_={"used": case((ended, 1), else_=table.c.used + 1),
                      "window_start": case((ended, statement.excluded.window_start), else_=table.c.window_start)},
            ).returning(table.c.window_start, table.c.used)
            start, used = connection.execute(statement).one()
        return float(start), int(used)


def rate_limiter(app: Flask) -> RateLimiter:
    limiter = app.extensions.get("hub.api_limiter")
    if limiter is None:
        limiter = app.extensions["hub.api_limiter"] = RateLimiter(*parse_limit(app.config.get("HUB_API_RATE_LIMIT",
                                                                                              DEFAULT)))
    return limiter
