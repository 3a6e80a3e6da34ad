"""Forms that help (issue 13), at 1366 and 390 px: a form with several bad fields shows every error at once,
each next to its field in plain words (long values shortened), nothing on the page scrolls sideways, and
axe finds no serious or critical violation on the refused form."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.web.browser.conftest import assert_fits, screenshot, sign_in
from tests.web.browser.test_billing_browser import billing_ids  # noqa: F401  (the fixture)
from tests.web.browser.test_first_hour_browser import serious_violations
from tests.web.browser.test_mapping_details_browser import sized_page  # noqa: F401  (the fixture)

pytestmark = pytest.mark.browser


def test_three_bad_fields_show_three_errors_at_once(sized_page, billing_ids):
    page = sized_page
    sign_in(page, "billing")
    page.goto("/billing/recurring/new")
    page.select_option("#f-organization_id", "")
    page.fill("#f-next_run_date", "")
    page.fill("#f-due_days", "400")
    page.click("#recurring-form button[type=submit]")
    errors = page.locator("#recurring-form .field-error")
    expect(errors).to_have_count(3)
    expect(page.locator("#organization_id-error")).to_have_text("Organization: choose one")
    expect(page.locator("#next_run_date-error")).to_have_text("Next run date: enter a date like 2026-01-31")
    expect(page.locator("#due_days-error")).to_have_text("Payment due after (days): enter 365 or less")
    expect(page.locator("#form-error")).to_contain_text("Fix the fields marked below")
    for field in ("organization_id", "next_run_date", "due_days"):  # each error sits in its field's box
        assert page.locator(f'[data-field="{field}"] .field-error').count() == 1
        assert page.get_attribute(f"#f-{field}", "aria-invalid") == "true"
    assert_fits(page)
    screenshot(page, f"form-three-errors-{page.width_name}")


def _every_error_beside_its_field(page, form: str, expected: dict[str, str]) -> None:
    """One error per bad field, inside that field's box, in plain words; the form marks each field invalid."""
    expect(page.locator(f"{form} .field-error")).to_have_count(len(expected))
    for field, text in expected.items():
        expect(page.locator(f'{form} [data-field="{field}"] .field-error')).to_contain_text(text)
        assert page.get_attribute(f"#f-{field}", "aria-invalid") == "true"
    body = page.locator(form).inner_text()
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", body), body  # no raw field names such as unit_price


def test_the_product_form_shows_every_bad_field_at_once(sized_page, billing_ids):
    page = sized_page
    sign_in(page, "billing")
    page.goto("/billing/catalog/new")
    page.fill("#f-code", "")
    page.fill("#f-name", "")
    page.fill("#f-unit_price", "x" * 20_000)  # a pasted page of text: quoted shortened, the page stays narrow
    page.fill("#f-currency", "$1")  # the field takes 3 characters
    page.click("#product-form button[type=submit]")
    _every_error_beside_its_field(page, "#product-form", {
        "code": "Code is required", "name": "Name is required",
        "unit_price": "Unit price: enter a number like 12.50, not 'xxx", "currency": "Currency: enter a three-letter code"})
    assert len(page.locator('[data-field="unit_price"] .field-error').inner_text()) < 120
    expect(page.locator("#form-error")).to_contain_text("Fix the fields marked below")
    assert_fits(page)
    assert not serious_violations(page)
    screenshot(page, f"form-product-errors-{page.width_name}")


def test_the_tax_rate_form_shows_every_bad_field_at_once(sized_page, billing_ids):
    page = sized_page
    sign_in(page, "billing")
    page.goto("/billing/tax-rates")
    page.fill("#f-name", "")
    page.fill("#f-percent", "150")
    page.click("#tax-rate-form button[type=submit]")
    _every_error_beside_its_field(page, "#tax-rate-form",
                                  {"name": "Name is required", "percent": "Percent: enter 100 or less"})
    assert_fits(page)
    assert not serious_violations(page)
    screenshot(page, f"form-tax-rate-errors-{page.width_name}")


def test_the_hold_policy_form_shows_every_bad_field_at_once(sized_page, billing_ids):
    page = sized_page
    sign_in(page, "billing")
    page.goto("/billing/hold-policy/fake")
    page.fill("#f-hold_decrease_over_seats", "many")
    page.fill("#f-hold_decrease_over_pct", "250")
    page.click("#hold-policy-form button[type=submit]")
    _every_error_beside_its_field(page, "#hold-policy-form", {
        "hold_decrease_over_seats": "Hold decreases over (seats): enter a whole number",
        "hold_decrease_over_pct": "Hold decreases over (%): enter 100 or less"})
    assert not serious_violations(page)
