"""Forms that help (issue 13), at 1366 and 390 px: a form with three bad fields shows three errors at once,
each next to its field in plain words, and nothing on the page scrolls sideways."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.web.browser.conftest import screenshot, sign_in
from tests.web.browser.test_billing_browser import billing_ids  # noqa: F401  (the fixture)
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
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, f"form-three-errors-{page.width_name}")
