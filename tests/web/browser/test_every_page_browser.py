"""Every page of the panel opens in the browser without a script error or a Content-Security-Policy
violation (an inline script or style would be one), and is screenshotted for review."""

import re

import pytest

from hub.extensions import db
from hub.models import SyncRun
from tests.web.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser

SKIP_PREFIXES = ("/api/", "/static/", "/login", "/logout", "/healthz")
#: pages the fake vendor has none of (it imports no files): test_new_vendors_browser.py opens them; the
#: vendor console exists only in demo mode: test_vendor_console_browser.py opens it
NOT_FOR_THE_FAKE_VENDOR = {"appcenter.import_file", "vendor_console.index"}


def page_urls(app, ids: dict) -> list[str]:
    urls = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.rule.startswith(SKIP_PREFIXES) or rule.endpoint in NOT_FOR_THE_FAKE_VENDOR:
            continue
        if not set(rule.arguments) <= set(ids):
            continue  # pages about one object this test has no id for
        if rule.endpoint.startswith("destinations.") and rule.arguments:
            continue  # "slug" names a vendor here; destination pages: test_destinations_browser.py
        urls.append(rule.build({arg: ids[arg] for arg in rule.arguments})[1])
    return urls


def test_every_page_loads_cleanly(app, page, mapped_world):
    with app.app_context():
        run_id = db.session.execute(db.select(SyncRun.id)).scalars().first()
        db.session.remove()
    ids = {"slug": "fake", "organization_id": mapped_world["orgs"]["Contoso"].id, "run_id": run_id}
    console_errors = []
    page.on("console", lambda message: console_errors.append(message.text) if message.type == "error" else None)
    sign_in(page, "admin")
    urls = page_urls(app, ids)
    assert "/admin/mapping/" in urls and "/admin/apps/fake/configure" in urls
    for url in urls:
        probe = page.request.get(url)  # downloads (CSV, JSON) are checked, not opened
        assert probe.status == 200, (url, probe.status)
        if not probe.headers.get("content-type", "").startswith("text/html"):
            continue
        response = page.goto(url)
        assert response.status == 200, (url, response.status)
        assert page.locator("h1").count() == 1, url
        screenshot(page, "page" + re.sub(r"[^a-z0-9]+", "-", url.lower()).rstrip("-"))
        assert not console_errors, (url, console_errors)
