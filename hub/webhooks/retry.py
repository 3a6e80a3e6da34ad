"""When a failed delivery is tried again: the retry schedule, with jitter.

``HUB_WEBHOOK_RETRY_SCHEDULE`` lists the waits in seconds before each retry, comma separated. The
default is the Standard Webhooks recommendation: immediately, then after 5 seconds, 5 minutes,
30 minutes, 2 hours, 5 hours, 10 hours and 10 hours (27.6 hours in all). Tests shorten it.
"""

from __future__ import annotations

import random
from datetime import timedelta

DEFAULT_SCHEDULE = "5,300,1800,7200,18000,36000,36000"
#: each wait is stretched or shrunk by up to this share, so endpoints that failed together do not
#: all retry at the same moment
JITTER = 0.1


def parse_schedule(raw) -> tuple[int, ...]:
    """Waits in seconds from ``"5,300,..."`` (or a list). Raises ValueError naming the setting."""
    items = raw.split(",") if isinstance(raw, str) else list(raw)
    try:
        waits = tuple(int(str(i).strip()) for i in items if str(i).strip() != "")
    except ValueError:
        raise ValueError(f"HUB_WEBHOOK_RETRY_SCHEDULE={raw!r}: use whole seconds, comma separated") from None
    if any(w < 0 for w in waits):
        raise ValueError(f"HUB_WEBHOOK_RETRY_SCHEDULE={raw!r}: waits cannot be negative")
    return waits


def next_wait(schedule: tuple[int, ...], attempts_made: int, rng=random) -> timedelta | None:
    """The wait before the next attempt after ``attempts_made`` attempts failed; None when none is left."""
    if attempts_made > len(schedule):
        return None
    base = schedule[attempts_made - 1]
    return timedelta(seconds=base * (1 + rng.uniform(-JITTER, JITTER)))
