"""The billing pages in Chromium: a held change approved, a recurring invoice with a vendor line whose
quantity follows a sync started from the App Center, the usage report filtered and its CSV downloaded."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from hub import mapping
from hub.audit import Actor
from hub.billing import catalog, recurring
from hub.extensions import db
from hub.models import Organization, QuantityChange, RecurringInvoice, RecurringLine, VendorCustomer
from hub.timeutil import utcnow
from tests.web.billing_fixtures import build_billing, fake_integration_id, sku
from tests.web.browser.conftest import assert_fits, screenshot, sign_in

pytestmark = pytest.mark.browser

SETUP = Actor.cli("browser-test")


@pytest.fixture
def billing_ids(mapped_world, fake_vendor):
    ids = build_billing(fake_vendor, mapped_world)
    db.session.remove()  # no read transaction left open in the test thread (SQLite would block the server)
    return ids


@pytest.fixture
def two_held(billing_ids, fake_vendor):
    """A second held change: Fabrikam Org's line (2 seats) drops to zero."""
    from tests.web.conftest import sync_fake

    org = mapping.create_organization("Fabrikam Org", SETUP)
    fabrikam = db.session.execute(db.select(VendorCustomer.id).filter_by(external_id="c-2")).scalar_one()
    mapping.map_customer(fabrikam, org.id, SETUP)
    schedule = recurring.create_recurring_invoice(org.id, SETUP, next_run_date=utcnow().date())
    line = recurring.add_line(schedule.id, SETUP, kind="vendor", product_id=billing_ids["product_id"],
                              integration_id=fake_integration_id())
    fake_vendor.add("c-2", "Fabrikam", seats=0)
    sync_fake()
    ids = {**billing_ids, "second_line": line.id}
    db.session.remove()
    return ids


def _read(app, fn):
    with app.app_context():
        try:
            return fn()
        finally:
            db.session.remove()


def test_a_held_change_approved_and_one_rejected_in_bulk(page, app, two_held):
    sign_in(page, "billing")
    page.click("nav.sidebar >> text=Pending changes")
    page.wait_for_url("**/billing/pending")
    rows = page.locator("#pending tbody tr[data-change]")
    expect(rows).to_have_count(2)
    contoso = page.locator(f"#pending tr[data-change='{two_held['change_id']}']")
    expect(contoso.locator("td.before")).to_have_text("5")
    expect(contoso.locator("td.after")).to_have_text("2")
    expect(contoso).to_contain_text("the decrease is larger than the seat limit")
    expect(contoso.locator("td.evidence")).to_contain_text(f"Sync run {two_held['run_id']}")
    expect(contoso.locator("td.evidence")).to_contain_text("5 → 2 on")
    screenshot(page, "billing-pending")

    contoso.get_by_role("button", name="Approve").click()
    page.wait_for_url("**/billing/pending")
    expect(page.locator(".flash-success")).to_have_text("1 change approved.")
    expect(rows).to_have_count(1)
    assert _read(app, lambda: db.session.get(RecurringLine, two_held["line_id"]).quantity) == Decimal(2)

    page.check("#select-all")  # the script ticks every row and counts them
    expect(page.locator("[data-selected-count]")).to_have_text("1 selected")
    page.fill("#note", "vendor glitch")
    page.click("#reject-selected")
    expect(page.locator(".flash-success")).to_have_text("1 change rejected.")
    expect(page.locator("#pending tbody")).to_contain_text("No pending changes")

    def decisions():
        return sorted((c.status, c.decided_by, c.decision_note) for c in db.session.execute(
            db.select(QuantityChange).where(QuantityChange.decided_by.is_not(None),
                                            QuantityChange.status != "superseded")).scalars())
    assert _read(app, decisions) == [("approved", "billing@example.com", None),
                                     ("rejected", "billing@example.com", "vendor glitch")]

    # the next invoice now bills the approved quantity: line by line against the last invoice
    page.goto(f"/billing/recurring/{two_held['recurring_id']}/preview")
    seats = page.locator(f"#preview-lines tr[data-line='{two_held['line_id']}']")
    expect(seats.locator(".preview-quantity")).to_have_text("2")
    expect(seats).to_contain_text("changed")
    expect(seats.locator(".delta-down")).to_have_text("-3")
    expect(seats).to_contain_text("-30.00")
    expect(page.locator("#preview-total")).to_have_text("170.00")
    screenshot(page, "billing-preview-changed")


@pytest.fixture
def catalog_ready(mapped_world):
    """SEATS (priced in EUR, the currency the test invoices in) in the catalog and the fake vendor's "seats" SKU
    mapped to it; Contoso (c-1) has 5 seats."""
    seats = catalog.create_product("SEATS", "Cloud seats", "10.00", SETUP, unit_cost="6.00", currency="EUR")
    catalog.map_sku(sku("seats").id, seats.id, SETUP)
    ids = {"contoso": mapped_world["orgs"]["Contoso"].id, "seats": seats.id}
    db.session.remove()
    return ids


def test_a_recurring_invoice_with_a_vendor_line_follows_a_sync(page, app, catalog_ready, fake_vendor):
    sign_in(page, "billing")
    page.click("nav.sidebar >> text=Recurring invoices")
    page.click("text=New recurring invoice")
    page.select_option("#f-organization_id", str(catalog_ready["contoso"]))
    page.fill("#f-name", "Cloud services")
    page.fill("#f-next_run_date", "2030-01-31")
    page.select_option("#f-period_mode", "in_arrears")
    page.fill("#f-currency", "EUR")
    page.click("button:has-text('Save')")
    expect(page.locator(".flash-success")).to_contain_text("Recurring invoice created")

    page.click("text=Add vendor line")
    expect(page.locator("#kind-vendor")).to_be_checked()
    expect(page.locator("#f-quantity")).to_be_hidden()  # a vendor line's quantity is counted, not typed
    page.click("#kind-standard")
    expect(page.locator("#f-quantity")).to_be_visible()
    expect(page.locator("#f-integration_id")).to_be_hidden()
    page.click("#kind-vendor")
    page.select_option("#f-product_id", str(catalog_ready["seats"]))
    page.click("button:has-text('Save line')")  # no vendor chosen: refused, naming the field
    expect(page.locator("#integration_id-error")).to_have_text("a third-party vendor line needs a vendor integration")
    page.select_option("#f-integration_id", label="Fake fake")
    page.fill("#f-markup_pct", "50")
    page.click("button:has-text('Save line')")
    expect(page.locator(".flash-success")).to_contain_text("Its quantity is 5, counted from the vendor.")
    line = page.locator("#lines tbody tr[data-kind=vendor]")
    expect(line.locator(".line-quantity")).to_have_text("5")
    expect(line.locator(".line-source")).to_have_text("5 counted at Fake fake (change 1)")
    expect(line).to_contain_text("cost 6.00 + 50% markup")
    detail_url = page.url

    fake_vendor.add("c-1", "Contoso Ltd", seats=8)  # the vendor sells three more seats
    page.click("text=Sign out")
    sign_in(page, "admin")
    page.goto("/admin/apps/fake")
    runs_before = page.locator("#runs tbody tr").count()
    page.click("button:has-text('Sync now')")
    expect(page.locator("#runs tbody tr")).to_have_count(runs_before + 1, timeout=30_000)
    expect(page.locator("#runs tbody tr").first.locator(".badge")).to_have_text("succeeded", timeout=30_000)

    page.goto(detail_url)
    expect(line.locator(".line-quantity")).to_have_text("8")
    expect(line.locator(".line-source")).to_contain_text("8 counted at Fake fake")
    expect(page.locator("#next-total")).to_have_text("72.00")  # 8 x (6.00 + 50%)

    page.click("text=Preview next invoice")
    expect(page.locator("#preview-lines")).to_contain_text("8 counted at Fake fake")
    expect(page.locator("#preview-total")).to_have_text("72.00")
    screenshot(page, "billing-preview")
    recurring_id = int(detail_url.rstrip("/").rsplit("/", 1)[1])
    assert _read(app, lambda: db.session.get(RecurringInvoice, recurring_id).currency) == "EUR"


def test_usage_report_filters_and_csv(page, billing_ids, tmp_path):
    sign_in(page, "viewer")
    page.click("nav.sidebar >> text=Usage report")
    page.wait_for_url("**/billing/reports/usage")
    rows = page.locator("#usage tbody tr[data-status]")
    expect(rows).to_have_count(2)
    expect(page.locator("#total-unbilled .figure-value")).to_have_text("20.00 USD")
    expect(page.locator("#usage tr.unbilled")).to_have_count(1)
    expect(page.locator("svg.chart-svg polyline.series")).to_have_count(1)
    screenshot(page, "billing-usage-report")

    page.select_option("#status", "not_mapped")
    page.click("button:has-text('Apply filters')")
    page.wait_for_url("**status=not_mapped**")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Fabrikam")
    expect(page.locator('#unit-totals tr[data-unit="license"] td').nth(1)).to_have_text("2")

    with page.expect_download() as download_info:
        page.click("#csv-link")
    download = download_info.value
    assert download.suggested_filename.startswith("usage-report-")
    target = tmp_path / "report.csv"
    download.save_as(str(target))
    lines = target.read_text().splitlines()
    assert lines[0].startswith("vendor,vendor_customer,external_id")
    assert [ln.split(",")[1] for ln in lines[1:]] == ["Fabrikam", "", ""]
    assert lines[-2].startswith("TOTAL,") and ",license,2,0,2,," in lines[-2]  # quantities per unit
    # money per currency: unbilled value, then billed value, cost and margin (cost and margin came with issue 8)
    assert lines[-1].startswith("TOTAL,") and lines[-1].endswith(",USD,,20.00,,,,0.00,12.00,-12.00")


def test_every_billing_page_opens_without_script_errors_or_csp_violations(page, billing_ids):
    """Including the printable invoice, whose one inline <style> is allowed by its hash: a wrong hash
    would be a console error here (and an unstyled page)."""
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    r, i = billing_ids["recurring_id"], billing_ids["invoice_id"]
    urls = ["/billing/catalog", "/billing/catalog/new", f"/billing/catalog/{billing_ids['product_id']}/edit",
            "/billing/skus", "/billing/recurring", "/billing/recurring/new", f"/billing/recurring/{r}",
            f"/billing/recurring/{r}/edit", f"/billing/recurring/{r}/lines/new?kind=vendor",
            f"/billing/recurring/{r}/lines/{billing_ids['line_id']}/edit", f"/billing/recurring/{r}/preview",
            "/billing/invoices", f"/billing/invoices/{i}", "/billing/pending", "/billing/reports/usage",
            f"/billing/reports/usage/customers/{billing_ids['customer_id']}"]
    sign_in(page, "admin")
    for url in urls:
        response = page.goto(url)
        assert response.status == 200, url
        assert page.locator("h1").count() == 1, url
        assert not errors, (url, errors)
    page.goto(f"/billing/invoices/{i}/print")
    expect(page.locator("h1")).to_have_text("Invoice INV-000001")
    # the print stylesheet applied: the amounts column is right-aligned by it
    assert page.locator("td.num").first.evaluate("td => getComputedStyle(td).textAlign") == "right"
    assert not errors, errors
    screenshot(page, "billing-invoice-print")


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_a_credit_note_made_on_the_invoice_page_prints_like_its_invoice(page, billing_ids, width):
    """Made from the invoice page's form, the credit note prints with the invoice's layout and style (its one
    inline <style> allowed by hash: no CSP error), fits a phone's width, and downloads as a PDF."""
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, "billing")
    page.goto(f"/billing/invoices/{billing_ids['invoice_id']}")
    page.fill("#f-credit-reason", "Seats returned")
    page.locator("#credit-form button[type=submit]").click()
    notes = page.locator("#credit-notes")
    expect(notes).to_contain_text("CN-000001")
    pdf_href = notes.get_by_role("link", name="PDF").get_attribute("href")
    notes.get_by_role("link", name="print").click()
    expect(page.locator("h1")).to_have_text("Credit note CN-000001")
    expect(page.locator(".parties")).to_contain_text("Credit to")
    page.wait_for_load_state("load")
    assert page.locator("td.num").first.evaluate("td => getComputedStyle(td).textAlign") == "right"
    assert_fits(page, "the credit note")  # on a phone too: the document's narrow-screen rules
    assert not errors, errors
    screenshot(page, f"billing-credit-note-print-{width}")
    pdf = page.request.get(pdf_href)
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf" and pdf.body().startswith(b"%PDF-")


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_a_tax_rate_edited_then_retired_and_a_moved_customers_past(page, billing_ids, width):
    """A billing user adds a rate, opens it from the list, changes its percent and retires it; the counts
    page of a customer moved between Organizations names who held it before. Nothing overflows a phone."""
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.set_viewport_size({"width": width, "height": 900})
    customer = billing_ids["customer_id"]
    northwind = db.session.execute(db.select(Organization.id).filter_by(name="Northwind")).scalar_one()
    mapping.map_customer(customer, northwind, SETUP)  # from Contoso
    db.session.remove()
    sign_in(page, "billing")
    page.goto("/billing/tax-rates")
    page.fill("#f-name", "GST")
    page.fill("#f-percent", "5")
    page.locator("#tax-rate-form button[type=submit]").click()
    page.locator("#tax-rates").get_by_role("link", name="GST").click()
    expect(page.locator("#f-percent")).to_have_value("5")
    page.fill("#f-percent", "6.5")
    page.uncheck("#f-active")
    page.locator("#tax-rate-edit-form button[type=submit]").click()
    expect(page.locator(".flash, .alert, [role=status]").first).to_contain_text("Issued invoices keep the tax")
    row = page.locator("#tax-rates tr", has_text="GST")
    expect(row).to_contain_text("6.5%")
    expect(row).to_contain_text("retired")
    assert_fits(page, "the tax rates page")
    page.goto(f"/billing/reports/usage/customers/{customer}")
    expect(page.locator("#past-mappings")).to_contain_text("Contoso")
    assert_fits(page, "the counts page")
    assert not errors, errors
    screenshot(page, f"billing-past-mappings-{width}")
