"""required_field and quantity_of: a field gone wrong is a VendorDataError naming it."""

from decimal import Decimal

import pytest

from hub.plugins import VendorDataError, quantity_of, required_field


def test_a_present_field_of_the_right_kind_is_returned():
    assert required_field({"id": "c-1", "n": 3, "on": False}, "id", str, "GET /x") == "c-1"
    assert required_field({"n": 3}, "n", (int, float), "GET /x") == 3
    assert required_field({"on": False}, "on", bool, "GET /x") is False


@pytest.mark.parametrize("item", [{}, {"id": None}, {"id": 7}, {"id": "  "}, {"id": True}, ["id"], None])
def test_a_missing_null_mistyped_or_empty_field_is_a_data_error(item):
    with pytest.raises(VendorDataError, match="GET /x: 'id' is"):
        required_field(item, "id", str, "GET /x")


def test_a_bool_is_never_a_number():
    with pytest.raises(VendorDataError):
        required_field({"n": True}, "n", int, "GET /x")


@pytest.mark.parametrize(("value", "expected"), [(3, Decimal(3)), ("4.5", Decimal("4.5")), (0.5, Decimal("0.5"))])
def test_quantities(value, expected):
    assert quantity_of(value, "GET /usage") == expected


@pytest.mark.parametrize("value", [None, True, "lots", "1.5e", -1, float("nan"), float("inf"), [1], {"q": 1}])
def test_what_is_not_a_count_is_a_data_error(value):
    with pytest.raises(VendorDataError, match="GET /usage: quantity"):
        quantity_of(value, "GET /usage")
