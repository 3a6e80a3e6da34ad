"""The Webhooks page in the browser: register (secret shown once), the delivery log with an attempt,
rotate after its question, all without a script error or a CSP violation."""

import pytest

from hub.extensions import db
from hub.webhooks.outbox import emit
from hub.webhooks.worker import deliver_due
from tests.conftest import make_test_config
from tests.web.browser.conftest import screenshot, sign_in
from tests.webhooks.receiver import Receiver

pytestmark = pytest.mark.browser


@pytest.fixture
def app_config(tmp_path, database_url):
    return make_test_config(tmp_path, database_url, WTF_CSRF_ENABLED=True, HUB_WEBHOOKS_ALLOW_PRIVATE=True,
                            HUB_WEBHOOK_RETRY_SCHEDULE="3600")


def test_register_read_the_log_and_rotate(app, page):
    console_errors = []
    page.on("console", lambda message: console_errors.append(message.text) if message.type == "error" else None)
    with Receiver(fail_first=1) as receiver:
        sign_in(page, "admin")
        page.click("nav.sidebar >> text=Webhooks")
        page.click("text=Add endpoint")
        page.fill("#url", receiver.url)
        page.check("input[value='invoice.voided']")
        page.click("button:has-text('Add endpoint')")
        receiver.secret = page.locator("#signing-secret").inner_text()
        assert receiver.secret.startswith("whsec_")
        page.click("text=Done")
        assert receiver.secret not in page.content()
        with app.app_context():
            emit("invoice.voided", {"invoice_id": 1})
            db.session.commit()
            deliver_due()
        page.reload()
        log = page.locator("#webhook-deliveries tbody tr")
        assert log.count() == 1 and "HTTP 500" in log.inner_text() and "pending" in log.inner_text()
        screenshot(page, "webhooks-endpoint-detail")
        page.click("button:has-text('Rotate secret')")  # the page fixture dismisses the question: nothing happens
        assert page.dialogs == ["Make a new signing secret? The old one keeps signing for 24 hours."]
        assert page.locator("#signing-secret").count() == 0
        page.locator("form:has(button:has-text('Rotate secret'))").evaluate("form => form.submit()")  # "OK"
        assert page.locator("#signing-secret").inner_text() != receiver.secret
        page.dialogs.clear()
    assert not console_errors, console_errors
