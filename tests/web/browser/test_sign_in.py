"""Sign-in and roles in the browser."""

import pytest

from tests.web.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def test_sign_in_shows_the_user_and_role_and_sign_out(page):
    page.goto("/admin/audit/")
    assert "/login" in page.url  # every page needs sign-in
    page.fill("#email", "billing@example.com")
    page.fill("#password", "wrong password")
    page.click("button[type=submit]")
    assert page.locator(".flash-error").inner_text() == "Wrong e-mail or password."
    sign_in(page, "billing")
    assert page.locator(".whoami .user").inner_text() == "billing@example.com"
    assert page.locator(".whoami .role").inner_text().lower() == "billing"
    assert page.locator("nav.sidebar a", has_text="Customer Mapping").count() == 1
    page.click("text=Sign out")
    page.wait_for_url("**/login")
    page.goto("/")
    assert "/login" in page.url


def test_roles_decide_what_the_pages_offer(page, fake_integration):
    sign_in(page, "viewer")
    page.goto("/admin/apps/")
    assert page.locator(".app", has_text="Fake fake").count() == 1
    assert page.locator("a.button", has_text="Configure").count() == 0
    assert page.locator("button", has_text="Sync now").count() == 0
    page.goto("/admin/apps/fake/configure")
    assert page.locator("h1").inner_text() == "403 Not allowed"
    page.goto("/organizations/")
    assert page.locator("text=New Organization").count() == 0
    page.click("text=Sign out")
    sign_in(page, "admin")
    page.goto("/admin/apps/")
    assert page.locator("a.button", has_text="Configure").count() == 1
    assert page.locator("button", has_text="Sync now").count() == 1
