"""Every vendor-supplied string is shown as text."""

from __future__ import annotations

import pytest

from hub import mapping
from hub.audit import Actor
from hub.extensions import db
from hub.plugin_host import LoadError
from tests.web.conftest import sync_fake

EVIL = "<script>alert(1)</script>"
EVIL_ORG = '<img src=x onerror="alert(2)">'


@pytest.fixture
def evil_world(fake_integration, fake_vendor, users):
    fake_vendor.add("evil-1", EVIL, seats=1)
    fake_vendor.count_extras[("evil-1", "seats")] = {"terms": EVIL}  # a count's extra, shown beside it
    fake_vendor.add("evil-2", "Plain customer")
    sync_fake()
    org = mapping.create_organization(EVIL_ORG, Actor.cli("test"), domain=None)
    db.session.commit()
    from hub.models import VendorCustomer

    customer = db.session.execute(db.select(VendorCustomer).filter_by(external_id="evil-1")).scalar_one()
    customer.extra = {"domain": EVIL}
    db.session.commit()
    mapping.map_customer(customer.id, org.id, Actor.cli("test"))
    return customer


PAGES = ["/", "/admin/mapping/", "/admin/mapping/?q=%3Cscript", "/organizations/", "/organizations/1",
         "/admin/audit/", "/admin/apps/fake"]


@pytest.mark.parametrize("url", PAGES)
def test_vendor_strings_are_escaped_in_pages(client, auth, evil_world, url):
    auth.login("admin")
    html = client.get(url).data.decode()
    assert "<script>alert(1)" not in html
    assert "<img src=x" not in html
    if url.startswith("/admin/mapping"):
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_api_returns_the_raw_string_for_text_content(client, auth, evil_world):
    """JSON carries the data unchanged; the page's script puts it in with textContent."""
    auth.login("viewer")
    rows = client.get("/api/mapping/customers?vendor=fake&q=script").json["rows"]
    assert rows[0]["name"] == EVIL and rows[0]["organization"]["name"] == EVIL_ORG
    assert client.get("/api/mapping/customers?vendor=fake").headers["Content-Type"] == "application/json"


def test_the_panel_scripts_never_parse_data_as_html():
    import re
    from pathlib import Path

    import hub

    static = Path(hub.__file__).parent / "static"
    scripts = list(static.glob("*.js"))
    assert scripts
    for script in scripts:
        text = script.read_text()
        assert not re.search(r"\.(innerHTML|outerHTML|insertAdjacentHTML)\b|document\.write", text), script


def test_plugin_load_errors_are_escaped(app, client, auth, users):
    app.extensions["hub.plugins"].errors.append(LoadError("bad<b>plugin", "pkg:<i>mod", f"ImportError: {EVIL}"))
    auth.login("viewer")
    html = client.get("/admin/apps/").data.decode()
    assert "bad&lt;b&gt;plugin" in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert" not in html and "<b>plugin" not in html
