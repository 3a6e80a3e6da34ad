"""Untrusted text (query strings, forms, JSON bodies, URL paths) to ids and dates, within the limits the
database and the date arithmetic can take.

One place for those limits, shared by the panel, the API and the services, so hostile input gets a
4xx naming the field instead of an ``OverflowError`` deep inside SQL or date arithmetic.
(Decimals: ``hub.billing.money.parse_decimal``.)
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from werkzeug.routing import IntegerConverter

#: the largest value an id or other integer column holds (PostgreSQL BIGINT; SQLite INTEGER alike)
MAX_INT = 2**63 - 1
#: dates the hub accepts: far enough for any billing period, and room for period arithmetic
MIN_DAY, MAX_DAY = date(1900, 1, 1), date(2999, 12, 31)


def shown(value: Any, limit: int = 60) -> str:
    """A bad value for an error message: quoted, and short even when the input was 20,000 characters."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def whole_number(value: Any, *, minimum: int = -MAX_INT, maximum: int = MAX_INT) -> int | None:
    """``value`` (text or int; never bool or float) as an int within bounds, or None when it is not one."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        return None
    if isinstance(value, str):
        text = value.strip()
        digits = text[1:] if text[:1] in "+-" else text
        if not digits.isascii() or not digits.isdigit() or len(digits) > 19:
            return None
        value = int(text)
    return value if minimum <= value <= maximum else None


class DayOutOfRange(ValueError):
    """A real date, but outside MIN_DAY..MAX_DAY."""


def day(value: Any) -> date:
    """An ISO date (``YYYY-MM-DD``) between MIN_DAY and MAX_DAY, or ValueError saying what is accepted."""
    if isinstance(value, date):
        parsed = value
    else:
        try:
            parsed = date.fromisoformat(str(value).strip())
        except ValueError:
            raise ValueError("must be a date (YYYY-MM-DD)") from None
    if not MIN_DAY <= parsed <= MAX_DAY:
        raise DayOutOfRange(f"must be a date between {MIN_DAY} and {MAX_DAY}")
    return parsed


#: what RFC 3986 allows in a URL, less the quote (which ends an HTML attribute): no markup, no spaces
_URL_CHARACTERS = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&()*+,;=%]+")


def http_url(value: str) -> str:
    """An absolute http(s) URL with a host and nothing that could be markup, or ValueError saying why."""
    text = value.strip()
    if not _URL_CHARACTERS.fullmatch(text):
        raise ValueError("is not a URL: it may contain only URL characters (no spaces, quotes or < >)")
    try:
        parts = urlsplit(text)
        host = parts.hostname
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number)
    except ValueError:
        raise ValueError("is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not host:
        raise ValueError("must be an http:// or https:// URL with a host name")
    return text


def contains_nul(value: Any) -> bool:
    """Whether text, or any text inside lists and dicts, has a NUL character (PostgreSQL refuses them)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(contains_nul(k) or contains_nul(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(contains_nul(v) for v in value)
    return False


class DatabaseIdConverter(IntegerConverter):
    """The ``<int:...>`` URL converter, matching only numbers an id column can hold: a bigger one is a 404."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = None,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits, min, MAX_INT if max is None else max, signed)


def check_each(checks: dict[str, Any], base: type[Exception]) -> dict[str, Any]:
    """Run every ``checks[field]()``; the results, or ONE error naming every field that failed, so a form
    learns of all its problems at once (not one per try).

    The checks raise ``base`` (or a subclass) made as ``cls(message, field)``. The error raised is the
    failures' own class when they share one (a lone duplicate stays a duplicate), else ``base``; its
    ``errors`` maps each field to its message, as ``hub.billing.validate.FieldErrors`` does."""
    results: dict[str, Any] = {}
    failed: dict[str, Exception] = {}
    for field, check in checks.items():
        try:
            results[field] = check()
        except base as err:
            failed.setdefault(getattr(err, "field", None) or field, err)
    if not failed:
        return results
    classes = {type(err) for err in failed.values()}
    cls = classes.pop() if len(classes) == 1 else base
    first = next(iter(failed))
    combined = cls("; ".join(str(err) for err in failed.values()), first)
    combined.errors = {field: str(err) for field, err in failed.items()}
    raise combined
