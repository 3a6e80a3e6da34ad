"""Field types the API shares: decimals as exact text (money and quantities are never floats)."""

from __future__ import annotations

from datetime import timezone
from decimal import Decimal

import marshmallow as ma
from werkzeug.routing import IntegerConverter

#: ids fit a 32-bit signed integer on every database; larger ones name nothing (and would overflow SQLite)
MAX_ID = 2**31 - 1


def Id(**kwargs) -> ma.fields.Integer:  # noqa: N802  (a field factory, named like the fields)
    """A row id in a body or query: 1 to MAX_ID."""
    return ma.fields.Integer(validate=ma.validate.Range(1, MAX_ID), **kwargs)


class IdConverter(IntegerConverter):
    """``<id:name>`` in API routes: a row id, 1 to MAX_ID (others are 404 before any query)."""

    def __init__(self, url_map, *args, **kwargs) -> None:
        super().__init__(url_map, min=1, max=MAX_ID)


def id_parameter_schema(_converter) -> dict:
    return {"type": "integer", "minimum": 1, "maximum": MAX_ID}


class DecimalText(ma.fields.Field):
    """A decimal number: sent back as text ("12.50"); accepted as text or a JSON number, and handed to the
    billing services as text, which check places and range exactly as for the panel's forms."""

    def __init__(self, **kwargs) -> None:
        metadata = {"type": ["string", "number"] if not kwargs.get("dump_only") else "string",
                    "format": "decimal", **kwargs.pop("metadata", {})}  # apispec adds "null" for allow_none
        super().__init__(metadata=metadata, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return format(Decimal(value), "f")

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise ma.ValidationError("Not a decimal number.")
        return str(value)


class UtcDateTime(ma.fields.DateTime):
    """The hub keeps naive UTC datetimes; the API writes them as RFC 3339 with their offset (``+00:00``)."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return super()._serialize(value, attr, obj, **kwargs)
