"""The usage report's cost and margin over the API: the same figures as the service, as decimal text."""

from __future__ import annotations

import pytest

from hub.billing.usage_report import usage_report
from tests.web.billing_fixtures import build_billing


@pytest.fixture
def world(mapped_world, fake_vendor, users):
    return {**mapped_world, **build_billing(fake_vendor, mapped_world)}


def _text(value):
    """As the API sends a decimal: text, never a float."""
    return None if value is None else format(value, "f")


def test_rows_and_totals_carry_cost_and_margin(api, world):
    answer = api.get("/api/v1/reports/usage")
    assert answer.status_code == 200
    report = usage_report()
    rows = {(r["customer"], r["sku"]): r for r in answer.json["rows"]}
    assert len(rows) == len(report.rows)
    for row in report.rows:
        got = rows[(row.customer, row.sku)]
        assert [got[k] for k in ("monthly_unit_cost", "billed_value", "monthly_cost", "margin")] == [
            _text(row.monthly_unit_cost), _text(row.billed_value), _text(row.monthly_cost), _text(row.margin)]
    totals, expected = answer.json["totals"], report.totals
    assert expected.cost, "the world has priced, costed rows"
    for name in ("billed_value", "cost", "margin"):
        assert totals[name] == {c: _text(v) for c, v in getattr(expected, name).items()}, name
