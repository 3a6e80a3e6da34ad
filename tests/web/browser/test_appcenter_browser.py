"""The App Center in the browser: set up the fake vendor, test the connection, save, sync now."""

import pytest

from hub import integrations
from hub.extensions import db
from hub.models import SyncRun
from tests.web.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser


def test_set_up_test_connection_save_and_sync_now(page, fake_vendor, app):
    fake_vendor.add("c-1", "Contoso", seats=4)
    fake_vendor.add("c-2", "Fabrikam", seats=2)
    sign_in(page, "admin")
    page.goto("/admin/apps/")
    card = page.locator(".app", has_text="Fake fake")
    assert card.locator(".badge").inner_text() == "Not configured"
    card.locator("a", has_text="Set up").click()
    page.wait_for_url("**/admin/apps/fake/configure")

    # a bad URL: the error appears next to its field, in place
    page.fill("#f-base_url", "not a url")
    page.fill("#f-api_key", "sekrit-key-123")
    page.click("#test-button")
    page.locator("#base_url-error").wait_for(state="visible")
    assert "URL" in page.locator("#base_url-error").inner_text()
    assert page.url.endswith("/configure")  # no navigation: the typed secret is still there
    assert page.input_value("#f-api_key") == "sekrit-key-123"

    page.fill("#f-base_url", "http://fake.example")
    page.click("#test-button")
    page.locator("#test-result").wait_for(state="visible")
    assert page.locator("#test-result").inner_text() == "Connection OK: ok (Fake MSP)"
    assert page.locator("#base_url-error").is_hidden()
    with app.app_context():
        assert integrations.get_integration("fake") is None  # testing saved nothing

    page.fill("#f-interval_minutes", "30")
    page.click("#save-button")
    page.wait_for_url("**/admin/apps/fake")
    assert "saved; connection OK: ok" in page.locator(".flash-success").inner_text()
    assert page.locator(".facts .badge").first.inner_text() == "Ready"
    assert "sekrit-key-123" not in page.content()

    page.click("button:has-text('Sync now')")
    # the run happens in a background thread; the page follows it and reloads when it ends
    page.locator("#runs .badge", has_text="succeeded").wait_for()
    assert page.locator("#runs tbody tr").count() == 1
    screenshot(page, "appcenter-integration")
    with app.app_context():
        run = db.session.execute(db.select(SyncRun)).scalar_one()
        assert run.customers_added == 2 and run.triggered_by == "admin@example.com"
        db.session.remove()

    # the schedule and disabling
    page.fill("#interval_minutes", "45")
    page.click("button:has-text('Save schedule')")
    assert "every 45 minutes" in page.locator(".flash-success").inner_text()
    page.click("button:has-text('Disable')")
    assert page.locator(".facts .badge").first.inner_text() == "Disabled"


def test_edit_keeps_the_secret_when_left_blank(page, fake_integration, app):
    sign_in(page, "admin")
    page.goto("/admin/apps/fake/configure")
    assert page.input_value("#f-api_key") == ""
    assert page.get_attribute("#f-api_key", "placeholder") == "stored — leave blank to keep"
    page.fill("#f-base_url", "http://changed.example")
    page.click("#save-button")
    page.wait_for_url("**/admin/apps/fake")
    with app.app_context():
        config = integrations.stored_config(integrations.get_integration("fake"))
        db.session.remove()
    assert config == {"base_url": "http://changed.example", "api_key": "sekrit-key-123"}
