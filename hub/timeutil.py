"""One clock for the whole hub: naive UTC datetimes, the same on SQLite and PostgreSQL."""

from datetime import datetime, timezone


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)
