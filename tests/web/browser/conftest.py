"""Browser fixtures: Debian's Chromium driven by Playwright, against the real app served on loopback.

``chromium`` fails when the browser is missing and ``HUB_REQUIRE_BROWSER=1`` or ``CI`` is set (CI must
never skip these silently); elsewhere it skips with the reason. Playwright never downloads a browser
here: it launches /usr/bin/chromium (override with ``HUB_CHROMIUM``).
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from hub.extensions import db
from tests.conftest import make_test_config

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
#: screenshots land here (CI can keep them as artifacts)
SCREENSHOTS = Path(os.environ.get("HUB_SCREENSHOT_DIR", "test-results/screenshots"))


def _browser_required() -> bool:
    return os.environ.get("HUB_REQUIRE_BROWSER") == "1" or bool(os.environ.get("CI"))


def chromium_path() -> str | None:
    wanted = os.environ.get("HUB_CHROMIUM", "/usr/bin/chromium")
    return wanted if os.path.exists(wanted) else shutil.which("chromium")


def browser_or_stop() -> str:
    """The Chromium to drive; otherwise fail (CI, HUB_REQUIRE_BROWSER=1) or skip with the reason."""
    problem = None
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as err:  # pragma: no cover - the test extra installs it
        problem = f"playwright is not installed: {err}"
    path = chromium_path()
    if problem is None and path is None:
        problem = "Chromium is missing: apt-get install chromium (or set HUB_CHROMIUM)"
    if problem is None:
        return path
    if _browser_required():
        pytest.fail(problem + " — HUB_REQUIRE_BROWSER/CI is set, so the browser tests may not skip")
    pytest.skip(problem)


@pytest.fixture(scope="session")
def chromium():
    path = browser_or_stop()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def app_config(tmp_path, database_url):
    # production-like: CSRF on, "Sync now" in a background thread
    return make_test_config(tmp_path, database_url, WTF_CSRF_ENABLED=True, HUB_SYNC_IN_BACKGROUND=True)


class LiveServer:
    def __init__(self, app) -> None:
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="hub-live-server", daemon=True)

    def __enter__(self) -> "LiveServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        from hub.web.sync_runner import join_all

        self.server.shutdown()
        self.thread.join(10)
        join_all(self.app)


@pytest.fixture
def live_server(app, users):
    """The app on a free loopback port. The test thread's DB session is closed first: on SQLite an
    open read transaction in the test would block the server's writes."""
    db.session.remove()
    with LiveServer(app) as server:
        yield server
    db.session.remove()


@pytest.fixture
def page(chromium, live_server):
    context = chromium.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.dialogs = []  # any alert() would mean script injection worked

    def on_dialog(dialog):
        page.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.errors = []
    page.on("pageerror", lambda err: page.errors.append(str(err)))
    yield page
    context.close()
    assert not page.errors, f"JavaScript errors: {page.errors}"


def sign_in(page, role: str, password: str | None = None) -> None:
    from tests.web.conftest import PASSWORD

    page.goto("/login")
    page.fill("#email", f"{role}@example.com")
    page.fill("#password", password or PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/")


def assert_fits(page, what: str = "the page") -> None:
    """Nothing runs off the side of the viewport (a phone's too). Measured once the page has loaded: text can
    match while the stylesheet of a page just navigated to is still on its way, and an unstyled table is
    wider than the phone (seen once in CI, at load, on PostgreSQL)."""
    page.wait_for_load_state("load")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{what} scrolls sideways by {overflow} px at {page.viewport_size['width']} px"


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
