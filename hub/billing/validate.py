"""Small input checks shared by the billing services; each raises BillingError naming the field."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from hub import inputs
from hub.billing.errors import BillingError
from hub.inputs import MAX_INT, shown, whole_number
from hub.extensions import db


def text(value: Any, field: str, *, max_len: int, required: bool = True) -> str | None:
    value = "" if value is None else str(value).strip()
    if not value:
        if required:
            raise BillingError(f"{field} is required", field)
        return None
    if len(value) > max_len:
        raise BillingError(f"{field} has at most {max_len} characters", field)
    return value


def integer(value: Any, field: str, *, minimum: int | None = 0, maximum: int | None = None,
            optional: bool = False) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if optional:
            return None
        raise BillingError(f"{field} is required", field)
    if isinstance(value, (bool, float)):
        raise BillingError(f"{field} must be a whole number", field)
    number = whole_number(value)  # None also when beyond what an integer column holds
    if number is None:
        raise BillingError(f"{field} must be a whole number up to {MAX_INT}, not {shown(value)}", field)
    if minimum is not None and number < minimum:
        raise BillingError(f"{field} must be at least {minimum}", field)
    if maximum is not None and number > maximum:
        raise BillingError(f"{field} must be at most {maximum}", field)
    return number


def day(value: Any, field: str) -> date:
    try:
        return inputs.day(value)
    except ValueError as err:
        raise BillingError(f"{field} {err}, not {shown(value)}", field) from None


def choice(value: Any, field: str, enum_cls) -> str:
    try:
        return enum_cls(value).value
    except ValueError:
        allowed = ", ".join(e.value for e in enum_cls)
        raise BillingError(f"{field} must be one of {allowed}, not {shown(value)}", field) from None


def currency(value: Any, field: str = "currency") -> str:
    """A three-letter ISO 4217 style code, upper-cased ("usd" -> "USD")."""
    code = str(value or "").strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise BillingError(f"{field} must be a three-letter code such as USD, not {value!r}", field)
    return code


def boolean(value: Any, field: str) -> bool:
    if isinstance(value, bool):
        return value
    text_value = str(value).strip().lower()
    if text_value in {"1", "true", "yes", "on"}:
        return True
    if text_value in {"0", "false", "no", "off", ""}:
        return False
    raise BillingError(f"{field} must be true or false, not {shown(value)}", field)


def existing(model, value: Any, field: str):
    """The row of ``model`` with id ``value``, or a BillingError naming ``field``."""
    row = db.session.get(model, integer(value, field, minimum=1))
    if row is None:
        raise BillingError(f"{field}: no {model.__name__} with id {value}", field)
    return row
