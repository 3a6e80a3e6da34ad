"""Field types the API shares: decimals as exact text (money and quantities are never floats)."""

from __future__ import annotations

from decimal import Decimal

import marshmallow as ma


class DecimalText(ma.fields.Field):
    """A decimal number: sent back as text ("12.50"); accepted as text or a JSON number, and handed to the
    billing services as text, which check places and range exactly as for the panel's forms."""

    def __init__(self, **kwargs) -> None:
        metadata = {"type": ["string", "number"] if not kwargs.get("dump_only") else "string",
                    "format": "decimal", **kwargs.pop("metadata", {})}
        if kwargs.get("allow_none") and isinstance(metadata["type"], list):
            metadata["type"] = [*metadata["type"], "null"]
        elif kwargs.get("allow_none"):
            metadata["type"] = ["string", "null"]
        super().__init__(metadata=metadata, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return format(Decimal(value), "f")

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise ma.ValidationError("Not a decimal number.")
        return str(value)
