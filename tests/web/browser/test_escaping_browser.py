"""Vendor-supplied strings appear literally in the browser, on first render and after every script update."""

import pytest
from playwright.sync_api import expect

from hub import mapping
from hub.audit import Actor
from hub.extensions import db
from tests.web.browser.conftest import sign_in
from tests.web.conftest import sync_fake

pytestmark = pytest.mark.browser

EVIL = "<script>alert(1)</script>"
EVIL_ORG = "<img src=x onerror=alert(2)>"


@pytest.fixture
def evil(fake_integration, fake_vendor):
    fake_vendor.add("e-1", EVIL, seats=1)
    fake_vendor.add("e-2", "Plain & Simple")
    sync_fake()
    mapping.create_organization(EVIL_ORG, Actor.cli("test"))
    db.session.commit()
    db.session.remove()


def test_script_names_show_as_text(page, evil):
    sign_in(page, "billing")
    page.goto("/admin/mapping/")
    names = page.locator("#mapping-table tbody .cust-name")
    expect(names).to_have_text([EVIL, "Plain & Simple"])  # server-rendered
    page.fill("#q", "script")
    expect(names).to_have_text([EVIL])  # rendered by the script from JSON
    # map it to the <img> Organization through the keyboard: both stay text
    evil_row = page.locator("#mapping-table tbody tr").first
    evil_row.locator("td.c-org").click()
    editor = evil_row.locator("input.org-input")
    editor.type("img")
    expect(page.locator(".org-option > span:first-child")).to_have_text([EVIL_ORG, f"Create Organization “{EVIL}”"])
    editor.press("Enter")
    expect(evil_row.locator(".org-link")).to_have_text(EVIL_ORG)
    assert page.locator("#mapping-table img").count() == 0
    assert page.locator("#mapping-table script").count() == 0
    page.goto("/organizations/")
    expect(page.locator("table.grid a", has_text="<img")).to_have_text(EVIL_ORG)
    page.goto("/admin/audit/")
    assert page.locator("text=" + EVIL).count() >= 1
    assert page.dialogs == []  # no alert() ever ran
