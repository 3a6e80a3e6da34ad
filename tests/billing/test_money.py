"""Money: Decimal only, half-up to cents per line; unit prices from override, markup or product."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from hub.billing.errors import BillingError
from hub.billing.money import (
    billed_quantity,
    fmt_money,
    fmt_price,
    fmt_quantity,
    line_amount,
    parse_decimal,
    unit_price,
)


@pytest.mark.parametrize("quantity, price, amount", [
    ("3", "0.335", "1.01"),       # 1.005 -> half-up to 1.01 (banker's rounding would give 1.00)
    ("1", "0.125", "0.13"),       # 0.125 -> 0.13
    ("1", "0.0049", "0.00"),
    ("1", "0.005", "0.01"),
    ("7", "1.4285", "10.00"),     # 9.9995 -> 10.00
    ("2.5", "3.3333", "8.33"),    # 8.33325
    ("10", "0", "0.00"),
    ("0", "99.99", "0.00"),
    ("1000000", "0.0001", "100.00"),
    ("12345.6789", "1.2345", "15240.74"),  # 15240.73860... -> .74
])
def test_line_amount_rounds_half_up_to_cents(quantity, price, amount):
    result = line_amount(D(quantity), D(price))
    assert result == D(amount) and str(result) == amount


@pytest.mark.parametrize("price, cost, override, markup, expected", [
    ("10", "6", None, None, "10.0000"),         # product price
    ("10", "6", "8.5", None, "8.5000"),         # override wins
    ("10", "6", None, "25", "7.5000"),          # cost + 25 %
    ("10", "6", None, "0", "6.0000"),           # markup 0 = at cost
    ("10", "1.99", None, "33.33", "2.6533"),    # 2.653267 -> 4 places, half-up
    ("10", "0.015", None, "50", "0.0225"),
    ("0", "6", "0", None, "0.0000"),            # an override of 0 is a price (free), not "no override"
])
def test_unit_price(price, cost, override, markup, expected):
    result = unit_price(D(price), D(cost), None if override is None else D(override),
                        None if markup is None else D(markup))
    assert str(result) == expected


@pytest.mark.parametrize("counted, minimum, do_not_bill, expected", [
    ("7", None, False, "7"),
    ("7", "10", False, "10"),   # the minimum applies
    ("12", "10", False, "12"),
    ("0", "5", False, "5"),
    ("12", "10", True, "0"),    # do not bill wins over everything
    ("0", None, False, "0"),
])
def test_billed_quantity(counted, minimum, do_not_bill, expected):
    assert billed_quantity(D(counted), None if minimum is None else D(minimum), do_not_bill) == D(expected)


@pytest.mark.parametrize("value, message", [
    (1.5, "not float"),
    ("abc", "enter a number like 12.50"),
    ("1.23456", "at most 4 decimal places"),
    ("-1", "enter 0 or more"),
    ("NaN", "not 'NaN'"),
    ("", "required"),
    (None, "required"),
    ("1e12", "less than"),
])
def test_parse_decimal_rejects_bad_input_naming_the_field(value, message):
    with pytest.raises(BillingError) as info:
        parse_decimal(value, "unit_price")
    assert info.value.field == "unit_price"
    assert message in str(info.value)


def test_parse_decimal_accepts_text_int_and_decimal():
    assert parse_decimal(" 12.50 ", "x") == D("12.50")
    assert parse_decimal(3, "x") == D(3)
    assert parse_decimal(D("0.0001"), "x") == D("0.0001")
    assert parse_decimal("", "x", optional=True) is None


@pytest.mark.parametrize("fn, value, expected", [
    (fmt_quantity, D("5.0000"), "5"), (fmt_quantity, D("2.5000"), "2.5"), (fmt_quantity, D("1E+1"), "10"),
    (fmt_money, D("12.5"), "12.50"), (fmt_money, D("0"), "0.00"), (fmt_money, None, None),
    (fmt_price, D("2.5000"), "2.50"), (fmt_price, D("0.1250"), "0.125"), (fmt_price, D("10"), "10.00"),
])
def test_formats(fn, value, expected):
    assert fn(value) == expected


@pytest.mark.parametrize("text", ["1E+100", "-1e50", "9" * 40])
def test_parse_decimal_names_the_field_for_numbers_too_large_to_round(text):
    """Found by Schemathesis through the API: quantizing 1E+100 to 4 places raised InvalidOperation (a 500)."""
    with pytest.raises(BillingError) as caught:
        parse_decimal(text, "unit_price", minimum=None)
    assert caught.value.field == "unit_price"
