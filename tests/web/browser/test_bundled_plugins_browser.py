"""Each installed vendor plugin that ships a simulator, set up through the App Center against it:
the schema-generated form, "Test connection", save, "Sync now", then its customers in Customer Mapping."""

from importlib.metadata import entry_points

import pytest
from playwright.sync_api import expect

from hub.extensions import db
from hub.models import SyncRun
from hub.testing.server import serve
from tests.conftest import make_test_config
from tests.web.browser.conftest import sign_in

pytestmark = pytest.mark.browser

#: the vendor plugins (a destination's own browser test is test_destinations_browser.py)
PLUGINS = sorted(ep.name for ep in entry_points(group="hub") if hasattr(ep.load(), "hub_vendor_info"))


@pytest.fixture
def app_config(tmp_path, database_url):
    return make_test_config(tmp_path, database_url, WTF_CSRF_ENABLED=True, HUB_SYNC_IN_BACKGROUND=True,
                            HUB_LOAD_ENTRY_POINTS=True)


@pytest.mark.parametrize("slug", PLUGINS)
def test_bundled_plugin_against_its_simulator(app, page, slug):
    registry = app.extensions["hub.plugins"]
    assert slug in registry.vendors, f"{slug} did not load: {registry.errors}"
    simulator = registry.handle(slug).demo_simulator()
    if simulator is None:
        pytest.skip(f"{slug} ships no simulator")
    with serve(simulator.make_app(12), name=f"{slug}-simulator") as served:
        config = simulator.config_for(served.base_url)
        sign_in(page, "admin")
        page.goto("/admin/apps/")
        card = page.locator(f".app[data-slug='{slug}']")
        target = slug
        if registry.vendors[slug].info.instances:
            # a plugin standing for several vendors: add one, then set it up
            target = f"{slug.replace('_', '-')}-one"
            card.locator("input[name=display_name]").fill("First vendor")
            card.locator("input[name=slug]").fill(target)
            card.locator("button", has_text="Add a vendor").click()
            page.wait_for_url(f"**/admin/apps/{target}/import")
            page.goto(f"/admin/apps/{target}/configure")
        else:
            card.locator("a", has_text="Set up").click()
        for key, value in config.items():
            field = page.locator(f"#f-{key}")
            kind = field.evaluate("e => e.tagName.toLowerCase() + ':' + (e.type || '')")
            if kind == "input:checkbox":
                field.set_checked(bool(value))
            elif kind.startswith("select"):
                field.select_option(str(value))
            else:
                field.fill("" if value is None else str(value))
        page.click("#test-button")
        expect(page.locator("#test-result")).to_contain_text("Connection OK")
        page.click("#save-button")
        page.wait_for_url(f"**/admin/apps/{target}")
        page.click("button:has-text('Sync now')")
        expect(page.locator("#runs tbody tr").first.locator(".badge")).to_have_text("succeeded", timeout=30_000)
        with app.app_context():
            run = db.session.execute(db.select(SyncRun)).scalar_one()
            seen = run.customers_seen
            db.session.remove()
        assert seen > 0
        page.goto(f"/admin/mapping/?vendor={target}")
        expect(page.locator(".pager-info")).to_have_text(f"1–{min(seen, 50)} of {seen}")
