"""The probe's inputs that gave a 500 (issue 9, defect 4), each now a 4xx that names the field and changes nothing.

The route fuzz test (``test_fuzz_routes.py``) walks every route; these pin the documented cases and
the shared parsers they go through (``hub.inputs``, ``hub.billing.money.parse_decimal``).
"""

from __future__ import annotations

from datetime import date

import pytest

from hub import inputs
from hub.billing.errors import BillingError
from hub.billing.money import parse_decimal
from hub.extensions import db
from hub.models import AuditEvent, RecurringLine, VendorCustomer
from tests.web.billing_fixtures import billing_world  # noqa: F401  (fixture)

HUGE = "99999999999999999999"  # above 2**63
FORTY_DIGITS = "1" * 40


def test_whole_number_keeps_to_what_a_column_holds():
    assert inputs.whole_number("42") == 42
    assert inputs.whole_number(str(inputs.MAX_INT)) == inputs.MAX_INT
    for bad in (HUGE, str(inputs.MAX_INT + 1), "1e3", "4.0", "", "x", "١٢", True, 1.0, None, [1]):
        assert inputs.whole_number(bad) is None, bad
    assert inputs.whole_number("0", minimum=1) is None


def test_day_keeps_to_dates_billing_arithmetic_can_take():
    assert inputs.day("2026-02-28") == date(2026, 2, 28)
    for bad in ("9999-12-31", "0001-01-01"):
        with pytest.raises(inputs.DayOutOfRange):
            inputs.day(bad)
    for bad in ("0000-00-00", "2026-02-30", "yesterday"):
        with pytest.raises(ValueError):
            inputs.day(bad)


@pytest.mark.parametrize("value", [FORTY_DIGITS, FORTY_DIGITS + ".5", "1e999", "-" + FORTY_DIGITS])
def test_parse_decimal_refuses_huge_numbers_with_the_field(value):
    with pytest.raises(BillingError) as err:
        parse_decimal(value, "quantity", maximum=None, minimum=None)
    assert err.value.field == "quantity"


def _audit_rows() -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(AuditEvent))


@pytest.mark.parametrize("path", [f"/organizations/{HUGE}", f"/admin/sync-runs/{HUGE}",
                                  f"/billing/invoices/{HUGE}.json", f"/billing/recurring/{HUGE}"])
def test_ids_above_the_column_range_in_paths_are_404(client, auth, billing_world, path):
    auth.login("admin")
    assert client.get(path).status_code == 404


def test_ids_above_the_column_range_in_queries_are_unknown_filters(client, auth, billing_world):
    """An id no row can have names nothing: a 400 that says which filter (issue 8: unknown filter
    values are errors), never a 500."""
    auth.login("admin")
    for path in ("/billing/invoices", "/billing/recurring", "/billing/reports/usage", "/billing/pending"):
        response = client.get(path, query_string={"organization_id": HUGE})
        assert response.status_code == 400 and b"organization_id" in response.data, path


def test_map_body_that_is_not_an_object_or_has_a_huge_id_is_a_400(client, auth, billing_world):
    auth.login("admin")
    customer = billing_world["customers"]["c-2"]
    before = _audit_rows()
    for body, field in (([1, 2], "body"), ({"organization_id": int(HUGE)}, "organization_id"),
                        ({"organization_id": HUGE}, "organization_id")):
        response = client.post(f"/api/mapping/customers/{customer.id}/map", json=body)
        assert response.status_code == 400, body
        assert response.get_json()["field"] == field
    accept = client.post("/api/mapping/suggestions/accept",
                         json={"pairs": [{"customer_id": int(HUGE), "organization_id": 1}]})
    assert accept.status_code == 400 and accept.get_json()["failed"][0]["field"] == "pairs[0]"
    assert db.session.get(VendorCustomer, customer.id).organization_id is None
    assert _audit_rows() == before


def test_forty_digit_quantity_and_huge_product_id_name_the_field(client, auth, billing_world):
    auth.login("admin")
    url = f"/billing/recurring/{billing_world['recurring_id']}/lines/new"
    lines = db.session.scalar(db.select(db.func.count()).select_from(RecurringLine))
    for field, value in (("quantity", FORTY_DIGITS), ("product_id", HUGE), ("unit_price_override", "1e999")):
        form = {"kind": "standard", "product_id": str(billing_world["support_id"]), "quantity": "1", field: value}
        response = client.post(url, data=form)
        assert response.status_code == 400, field
        assert f'id="{field}-error"' in response.get_data(as_text=True), field
    assert db.session.scalar(db.select(db.func.count()).select_from(RecurringLine)) == lines


def test_audit_dates_out_of_range_are_a_400_naming_the_field(client, auth, billing_world):
    auth.login("admin")
    response = client.get("/admin/audit/", query_string={"to": "9999-12-31"})
    assert response.status_code == 400
    assert 'id="to-error">Enter a date between 1900-01-01 and 2999-12-31.<' in response.get_data(as_text=True)


def test_nul_characters_are_refused_before_any_view(client, auth, billing_world):
    auth.login("admin")
    assert client.get("/organizations/", query_string={"q": "a\x00b"}).status_code == 400
    assert client.post("/organizations/new", data={"name": "a\x00b"}).status_code == 400
    response = client.post(f"/api/mapping/customers/{billing_world['customers']['c-2'].id}/map",
                           json={"organization_id": "1\x00"})
    assert response.status_code == 400 and "NUL" in response.get_json()["error"]
