"""The API reference page renders the OpenAPI document with the vendored Swagger UI, under the strict CSP
(no CDN, no inline script): no script error, no CSP violation, every resource listed."""

import pytest

from tests.web.browser.conftest import screenshot

pytestmark = pytest.mark.browser


def test_api_reference_renders_locally(page, live_server):
    console_errors, outside = [], []
    page.on("console", lambda message: console_errors.append(message.text) if message.type == "error" else None)
    page.on("request", lambda request: outside.append(request.url)
            if not request.url.startswith((live_server.url, "data:")) else None)
    response = page.goto("/api/v1/docs")
    assert response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    # the first request for the document builds it (hub/api/spec.py): seconds on a loaded machine
    page.wait_for_selector(".swagger-ui .info .title", timeout=30_000)
    assert "MSP Billing Hub API" in page.inner_text(".swagger-ui .info .title")
    tags = page.locator(".opblock-tag").all_inner_texts()
    for resource in ("Organizations", "Vendor customers", "Mappings", "Integrations", "Recurring invoices",
                     "Invoices", "Pending changes", "API tokens"):
        assert any(t.startswith(resource) for t in tags), (resource, tags)
    # every tag starts folded; opening one shows its operations (all of them rendered, not only the first tags')
    page.locator(".opblock-tag", has_text="Webhooks").first.click()
    page.locator(".opblock-summary-path", has_text="/api/v1/webhooks/event-types").first.wait_for(timeout=10_000)
    screenshot(page, "api-reference")
    assert not console_errors, console_errors
    assert not outside, outside
