"""Money and quantity arithmetic: Decimal only, amounts rounded half-up to cents per line."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from hub.billing.errors import BillingError
from hub.inputs import shown

CENT = Decimal("0.01")
#: unit prices, costs and quantities keep four decimals (the columns' scale)
FOUR = Decimal("0.0001")
ZERO = Decimal("0")
HUNDRED = Decimal("100")


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def four(value: Decimal) -> Decimal:
    return value.quantize(FOUR, rounding=ROUND_HALF_UP)


def line_amount(quantity: Decimal, unit_price: Decimal) -> Decimal:
    """What one invoice line costs: quantity times unit price, rounded half-up to cents."""
    return cents(Decimal(quantity) * Decimal(unit_price))


def unit_price(product_price: Decimal, product_cost: Decimal, override: Decimal | None,
               markup_pct: Decimal | None) -> Decimal:
    """A line's unit price: the override, else the cost plus the markup, else the product's price."""
    if override is not None:
        return four(Decimal(override))
    if markup_pct is not None:
        return four(Decimal(product_cost) * (HUNDRED + Decimal(markup_pct)) / HUNDRED)
    return four(Decimal(product_price))


def billed_quantity(counted: Decimal, minimum: Decimal | None, do_not_bill: bool) -> Decimal:
    """The quantity an invoice bills for a line: at least the minimum, nothing when "do not bill" is on."""
    if do_not_bill:
        return ZERO
    counted = Decimal(counted)
    return max(counted, Decimal(minimum)) if minimum is not None else counted


def parse_decimal(value: Any, field: str, *, places: int = 4, minimum: Decimal | None = ZERO,
                  maximum: Decimal | None = Decimal(10) ** 10, optional: bool = False) -> Decimal | None:
    """A Decimal from form or API input (str, int or Decimal; never float), or a BillingError naming ``field``."""
    from hub.billing.validate import label  # validate reads the database; money stays importable alone

    if value is None or (isinstance(value, str) and not value.strip()):
        if optional:
            return None
        raise BillingError(f"{label(field)} is required", field)
    if isinstance(value, float) or isinstance(value, bool):
        raise BillingError(f"{label(field)}: enter a number as text (like 12.50), not {type(value).__name__}", field)
    try:
        number = Decimal(value.strip() if isinstance(value, str) else value)
    except (InvalidOperation, TypeError, ValueError):
        raise BillingError(f"{label(field)}: enter a number like 12.50, not {shown(value)}", field) from None
    if not number.is_finite():
        raise BillingError(f"{label(field)}: enter a number like 12.50, not {shown(value)}", field)
    if number.adjusted() >= 20:  # beyond any bound, and too many digits to round at 4 places (InvalidOperation)
        raise BillingError(f"{label(field)}: that number is too large", field)
    # the range before the places: quantize cannot hold a 40-digit number (InvalidOperation)
    if minimum is not None and number < minimum:
        raise BillingError(f"{label(field)}: enter {minimum} or more", field)
    if maximum is not None and number >= maximum:
        raise BillingError(f"{label(field)}: enter less than {maximum}", field)
    try:
        exact = number == number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise BillingError(f"{label(field)}: that number has too many digits", field) from None
    if not exact:
        raise BillingError(f"{label(field)}: at most {places} decimal places", field)
    return number


def fmt_quantity(value: Decimal | None) -> str | None:
    """A quantity for people and files: "5", "2.5" (no exponent, no trailing zeros)."""
    if value is None:
        return None
    normal = Decimal(value).normalize()
    return format(normal.quantize(Decimal(1)) if normal == normal.to_integral_value() else normal, "f")


def fmt_money(value: Decimal | None) -> str | None:
    """An amount: always two decimals ("12.50")."""
    return None if value is None else format(cents(Decimal(value)), "f")


def fmt_price(value: Decimal | None) -> str | None:
    """A unit price: two decimals, or up to four when it has them ("2.50", "0.125")."""
    if value is None:
        return None
    value = Decimal(value)
    return fmt_money(value) if value == cents(value) else format(four(value).normalize(), "f")
