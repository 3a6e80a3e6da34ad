"""The counting basis and proration over the API: same services as the panel, errors naming the field."""

from __future__ import annotations

import pytest

from tests.web.billing_fixtures import build_billing


@pytest.fixture
def world(mapped_world, fake_vendor, users):
    return {**mapped_world, **build_billing(fake_vendor, mapped_world)}


def test_a_line_takes_a_basis_and_refuses_an_unknown_one(api, world):
    url = f"/api/v1/recurring-lines/{world['line_id']}"
    read = api.get(url)
    assert read.status_code == 200 and read.json["basis"] == "at_issue"
    changed = api.patch(url, json={"basis": "peak"}, headers={"If-Match": read.headers["ETag"]})
    assert changed.status_code == 200, changed.json
    assert changed.json["basis"] == "peak"
    bad = api.patch(url, json={"basis": "weekly"}, headers={"If-Match": changed.headers["ETag"]})
    assert bad.status_code == 422 and "basis" in str(bad.json)
    preview = api.get(f"/api/v1/recurring-invoices/{world['recurring_id']}/preview").json
    seats = next(line for line in preview["lines"] if line["recurring_line_id"] == world["line_id"])
    assert seats["basis"] == "peak" and seats["basis_detail"]["basis"] == "peak"


def test_a_standard_line_has_no_period_basis(api, world):
    url = f"/api/v1/recurring-invoices/{world['recurring_id']}/lines"
    answer = api.post(url, json={"kind": "standard", "product_id": world["support_id"], "quantity": "1",
                                 "basis": "average"})
    assert answer.status_code == 422, answer.json
    assert "basis" in str(answer.json)


def test_proration_only_in_advance(api, world):
    url = f"/api/v1/recurring-invoices/{world['recurring_id']}"
    read = api.get(url)
    assert read.json["proration"] == "off"
    on = api.patch(url, json={"proration": "increases"}, headers={"If-Match": read.headers["ETag"]})
    assert on.status_code == 200 and on.json["proration"] == "increases"
    bad = api.patch(url, json={"period_mode": "in_arrears"}, headers={"If-Match": on.headers["ETag"]})
    assert bad.status_code == 422 and "proration" in str(bad.json)
