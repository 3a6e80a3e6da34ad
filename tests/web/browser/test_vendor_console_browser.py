"""The demo story in Chromium: in the vendor console raise a customer's count, Sync now, and the recurring
line follows; delete a customer, Sync now, it turns Detached; unmap it and its row disappears."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from hub.extensions import db
from hub.models import RecurringLine, SyncRun, VendorIntegration
from hub.sync.lease import holder_of
from tests.conftest import make_test_config
from tests.web.browser.conftest import screenshot, sign_in
from tests.web.browser.test_first_hour_browser import serious_violations
from tests.web.test_vendor_console import OTHERS, mapped_customer_with_its_line

pytestmark = pytest.mark.browser


@pytest.fixture
def app_config(tmp_path, database_url):
    return make_test_config(tmp_path, database_url, WTF_CSRF_ENABLED=True, HUB_SYNC_IN_BACKGROUND=True,
                            HUB_LOAD_ENTRY_POINTS=True, HUB_DISABLED_PLUGINS=OTHERS)


@pytest.fixture
def demo(app, users):
    from hub.demo import start_demo

    run = start_demo(app, customers=6)
    db.session.remove()
    yield run
    for served in run.running:
        served.stop()


def _mapped_bitdefender_customer():
    customer, line, count = mapped_customer_with_its_line()
    found = (customer.external_id, customer.name, line.id, line.recurring_invoice_id, Decimal(line.quantity),
             int(count.quantity), count.sku.sku)
    db.session.remove()
    return found


def _sync_now_and_wait(app, page):
    """Sync now, then wait on the App Center page until the new run (one more than now) has succeeded."""
    with app.app_context():
        runs = db.session.execute(db.select(db.func.count()).select_from(SyncRun).join(VendorIntegration)
                                  .where(VendorIntegration.slug == "bitdefender")).scalar_one() + 1
        db.session.remove()
    page.click("#sync button:has-text('Sync now')")
    page.wait_for_url("**/admin/apps/**")
    # started in the background (not "already running", which names the lease's holder)
    expect(page.locator(".flash-info")).to_contain_text("Sync started")
    expect(page.locator("#runs tbody tr")).to_have_count(runs, timeout=30_000)
    expect(page.locator("#runs tbody tr").first.locator(".badge")).to_have_text("succeeded", timeout=30_000)
    # and the newest run by id (the table's order by start time can tie on PostgreSQL, whose now() is the
    # transaction's start), read from the database: the page's first row may be an older run. The sync is
    # over when its lease is released too, a moment after the run's status is saved: until then another
    # Sync now is rightly answered "already running" (seen on a loaded machine)
    deadline = time.monotonic() + 30
    while True:
        with app.app_context():
            integration = db.session.execute(db.select(VendorIntegration).filter_by(slug="bitdefender")).scalar_one()
            status = db.session.execute(db.select(SyncRun.status).filter_by(integration_id=integration.id)
                                        .order_by(SyncRun.id.desc()).limit(1)).scalar_one()
            leased = holder_of(integration.id) is not None
            db.session.remove()
        if (status != "running" and not leased) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert (status, leased) == ("succeeded", False)


@pytest.mark.parametrize("width", [1366, 390])
def test_the_demo_story_from_the_vendor_console(app, page, demo, width):
    page.set_viewport_size({"width": width, "height": 900})
    key, name, line_id, recurring_id, before, count, sku = _mapped_bitdefender_customer()
    sign_in(page, "admin")
    page.goto("/demo/vendor-console/?vendor=bitdefender")
    expect(page.locator("#demo-note")).to_contain_text("This page plays the vendor")
    assert serious_violations(page) == []
    screenshot(page, f"vendor-console-{width}")

    card = page.locator(f".console-customer[data-key='{key}']")
    card.locator("select").select_option(f"0:{sku}")
    card.locator("input[name=count]").fill(str(count + 25))
    card.locator("button", has_text="Set count").click()
    expect(page.locator(".flash-success")).to_contain_text(f"{name} now has {count + 25}")
    _sync_now_and_wait(app, page)
    page.goto(f"/billing/recurring/{recurring_id}")
    screenshot(page, f"vendor-console-recurring-after-sync-{width}")
    with app.app_context():
        assert Decimal(db.session.get(RecurringLine, line_id).quantity) == before + 25
        db.session.remove()

    page.goto("/demo/vendor-console/?vendor=bitdefender")
    page.locator(f".console-customer[data-key='{key}'] button", has_text="Delete at the vendor").click()
    expect(page.locator(".flash-success")).to_contain_text(f"{name} was deleted at the vendor")
    _sync_now_and_wait(app, page)
    page.goto("/admin/mapping/?vendor=bitdefender&status=detached")
    row = page.locator("#mapping-table tbody tr", has=page.locator(".cust-name", has_text=name))
    expect(row.locator(".badge")).to_have_text("Detached")
    row.locator("button.unmap").click()
    row.locator("button.unmap-confirm").click()
    row.wait_for(state="detached")


def test_the_demo_usage_report_charts_90_days_of_movement(page, demo):
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, "admin")
    page.goto("/billing/reports/usage")
    lines = page.locator("polyline.series")
    expect(lines.first).to_be_visible()
    # a line with history has many different heights, not a flat zero with a spike on the last day
    heights = [{p.split(",")[1] for p in line.split()} for line in lines.evaluate_all("ls => ls.map(l => l.getAttribute('points'))")]
    assert max(len(h) for h in heights) >= 4, heights
    screenshot(page, "usage-report-demo-1366")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    screenshot(page, "usage-report-demo-390")
