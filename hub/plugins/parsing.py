"""Reading fields of a vendor's JSON answer so that a field gone wrong is a ``VendorDataError``, never a
raw ``KeyError``/``TypeError``/``InvalidOperation`` (a plugin bug) nor a silently wrong value.
The kit's ``spoiled_answers_never_crash_or_lie`` check tries exactly that."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from .errors import VendorDataError


def required_field(item: Any, name: str, kind: type | tuple[type, ...], where: str) -> Any:
    """``item[name]``, which must be a ``kind`` (a non-empty one for text); else VendorDataError.

    ``True`` is an ``int`` to Python but never a count or an id: a bool passes only when ``kind``
    names ``bool``.
    """
    kinds = kind if isinstance(kind, tuple) else (kind,)
    value = item.get(name) if isinstance(item, dict) else None
    if isinstance(value, bool) and bool not in kinds:
        value = None
    if not isinstance(value, kinds) or (isinstance(value, str) and not value.strip()):
        raise VendorDataError(f"{where}: {name!r} is {value!r:.60} in {str(item)[:120]}")
    return value


def quantity_of(value: Any, where: str) -> Decimal:
    """A count from the vendor (a number or a numeric string) as a finite Decimal >= 0; else VendorDataError."""
    number = None
    if isinstance(value, (int, float, str)) and not isinstance(value, bool):
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            number = None
    if number is None or not number.is_finite() or number < 0:
        raise VendorDataError(f"{where}: quantity {value!r:.60} is not a count")
    return number
