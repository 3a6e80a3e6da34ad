"""A recurring invoice's next invoice over the API (hub.billing.preview, as the panel's preview page)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.web.billing_fixtures import build_billing
from tests.web.conftest import sync_fake


@pytest.fixture
def world(mapped_world, fake_vendor, users):
    return {**mapped_world, **build_billing(fake_vendor, mapped_world)}


def test_preview_against_the_last_invoice_with_the_held_change(api, world):
    url = f"/api/v1/recurring-invoices/{world['recurring_id']}/preview"
    answer = api.as_role("viewer").get(url)
    assert answer.status_code == 200, answer.json
    body = answer.json
    assert body["last_invoice_id"] == world["invoice_id"] and Decimal(body["total"]) == Decimal("200")
    assert Decimal(body["previous_total"]) == Decimal("200")
    seats = next(line for line in body["lines"] if line["recurring_line_id"] == world["line_id"])
    assert seats["status"] == "unchanged" and seats["pending_change_id"] == world["change_id"]
    assert seats["quantity_state"] == "held" and Decimal(seats["quantity"]) == Decimal("5")
    assert [(c["external_id"], c["unit"]) for c in seats["contributions"]] == [("c-1", "license")]
    assert any("waiting for approval" in w for w in body["warnings"])


def test_a_changed_count_and_another_run_date(api, world, fake_vendor):
    fake_vendor.add("c-1", "Contoso Ltd", seats=9)
    sync_fake()
    url = f"/api/v1/recurring-invoices/{world['recurring_id']}/preview"
    seats = next(line for line in api.get(url).json["lines"] if line["recurring_line_id"] == world["line_id"])
    assert seats["status"] == "changed" and Decimal(seats["quantity_delta"]) == Decimal("4")
    assert Decimal(seats["amount_delta"]) == Decimal("40")
    moved = api.get(url + "?run_date=2031-03-15").json
    assert moved["run_date"] == "2031-03-15" and moved["period_start"] <= "2031-03-15" <= moved["period_end"]
    bad = api.get(url + "?run_date=tomorrow")
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "run_date"
    assert api.get("/api/v1/recurring-invoices/999999/preview").status_code == 404
