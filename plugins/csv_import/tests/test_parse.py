"""The file format: encodings, delimiters, quoting, and every bad row named by its line."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hub.plugins import CustomerStatus, VendorDataError
from hub_csv_import.parse import CsvFileError, parse

HEADER = "customer_id,customer_name,sku,quantity\n"


def problems(data: bytes) -> list[tuple[int, str]]:
    with pytest.raises(CsvFileError) as caught:
        parse(data)
    assert isinstance(caught.value, VendorDataError)  # the hub treats it as bad vendor data: nothing applies
    return caught.value.problems


def test_plain_utf8_with_a_customer_on_several_lines():
    parsed = parse((HEADER + "C1,Ærøskøbing Æbler ApS,backup,12\nC1,,m365,3.5\n").encode())
    assert parsed.customers == {"C1": ("Ærøskøbing Æbler ApS", CustomerStatus.ACTIVE)}
    assert parsed.counts == {("C1", "backup"): Decimal(12), ("C1", "m365"): Decimal("3.5")}


def test_excel_utf8_with_bom_semicolons_and_decimal_commas():
    data = "\ufeffCustomer ID;Customer Name;SKU;Quantity;Unit\r\nC1;Acme, Inc;backup;1,5;GB\r\n".encode("utf-8")
    parsed = parse(data)
    assert parsed.customers["C1"][0] == "Acme, Inc"
    assert parsed.counts[("C1", "backup")] == Decimal("1.5") and parsed.units["backup"] == "GB"


def test_quoted_commas_and_newlines_inside_a_name():
    parsed = parse((HEADER + 'C1,"Smith, Jones\nand Partners",backup,2\n').encode())
    assert parsed.customers["C1"][0] == "Smith, Jones\nand Partners"


def test_tab_separated():
    parsed = parse(b"customer_id\tcustomer_name\tsku\tquantity\nC1\tAcme\tx\t4\n")
    assert parsed.counts[("C1", "x")] == 4


def test_other_encodings_are_refused_with_how_to_fix_it():
    (line, text), = problems((HEADER + "C1,Café,x,1\n").encode("latin-1"))
    assert "not UTF-8" in text and "CSV UTF-8" in text


def test_duplicate_rows_name_both_lines():
    found = problems((HEADER + "C1,A,x,1\nC2,B,x,1\nC1,A,x,2\n").encode())
    assert found == [(4, "sku 'x' of customer 'C1' is also on line 2")]


@pytest.mark.parametrize("quantity, fragment", [("-3", "is negative"), ("abc", "not a number"),
                                                ("1e5", "not a number"), ("1.23456", "not a number"),
                                                ("", "is empty"), ("NaN", "not a number"),
                                                ("1000000000000", "too large")])
def test_bad_quantities_are_refused_with_their_line(quantity, fragment):
    (line, text), = problems((HEADER + f"C1,A,x,{quantity}\n").encode())
    assert line == 2 and fragment in text


def test_every_problem_is_listed_at_once():
    data = (HEADER + "C1,A,x,-1\n,B,x,1\nC3,,x,1\nC4,D,,5\nC5,E,x,1\n").encode()
    assert [line for line, _ in problems(data)] == [2, 3, 4, 5]


def test_a_line_cut_short_is_refused():
    (line, text), = problems((HEADER + "C1,A,x,1\nC2,Ab").encode())
    assert line == 3 and "fewer than the header" in text


def test_a_header_without_the_required_columns_names_them():
    (line, text), = problems(b"id;name;count\n1;A;2\n")
    assert line == 1 and "customer_id, customer_name, sku and quantity" in text


def test_a_customer_with_two_names_is_refused():
    assert problems((HEADER + "C1,A,x,1\nC1,B,y,1\n").encode())[0][0] == 3


def test_status_and_customers_without_counts():
    parsed = parse(b"customer_id,customer_name,sku,quantity,status\nC1,A,,,suspended\nC2,B,x,1,TRIAL\n")
    assert parsed.customers == {"C1": ("A", CustomerStatus.SUSPENDED), "C2": ("B", CustomerStatus.TRIAL)}
    assert (2, "status 'gone' is not active, suspended or trial") in problems(
        b"customer_id,customer_name,sku,quantity,status\nC1,A,x,1,gone\n")


def test_formula_looking_values_are_data_not_formulas():
    parsed = parse((HEADER + 'C1,"=HYPERLINK(""http://x"",""y"")",+cmd,1\n').encode())
    assert parsed.customers["C1"][0] == '=HYPERLINK("http://x","y")'  # kept as text; exports guard it


def test_long_values_are_cut_in_messages():
    (line, text), = problems((HEADER + "C1,A,x," + "9" * 5000 + "\n").encode())
    assert len(text) < 200
