"""The billing pages under real CSRF protection, and vendor-supplied strings shown as text everywhere."""

from __future__ import annotations

import re

import pytest

from hub.extensions import db
from hub.models import AuditEvent, Organization, Product, QuantityChange, VendorSku
from tests.conftest import make_test_config
from tests.web.billing_fixtures import build_billing
from tests.web.conftest import PASSWORD, csrf_token_from, sync_fake

EVIL = "<script>alert(1)</script>"
EVIL_ORG = '<img src=x onerror="alert(2)">'


class TestCsrf:
    @pytest.fixture
    def app_config(self, tmp_path, database_url):
        return make_test_config(tmp_path, database_url, HUB_SYNC_IN_BACKGROUND=False, WTF_CSRF_ENABLED=True)

    @pytest.fixture
    def world(self, mapped_world, fake_vendor, users):
        return build_billing(fake_vendor, mapped_world)

    def _login(self, client) -> str:
        token = csrf_token_from(client.get("/login").data.decode())
        client.post("/login", data={"email": "billing@example.com", "password": PASSWORD, "csrf_token": token})
        return csrf_token_from(client.get("/billing/pending").data.decode())

    def test_posts_without_the_token_change_nothing(self, client, world):
        token = self._login(client)
        events = db.session.execute(db.select(db.func.count(AuditEvent.id))).scalar_one()
        decide = {"one": f"approve:{world['change_id']}"}
        assert client.post("/billing/pending", data=decide).status_code == 400
        assert client.post("/billing/pending", data={**decide, "csrf_token": "forged"}).status_code == 400
        product = {"code": "NEW", "name": "New", "unit_price": "1"}
        assert client.post("/billing/catalog/new", data=product).status_code == 400
        assert client.post(f"/billing/invoices/{world['invoice_id']}/void", data={"reason": "x"}).status_code == 400
        db.session.expire_all()
        assert db.session.get(QuantityChange, world["change_id"]).status == "pending"
        assert db.session.execute(db.select(Product).filter_by(code="NEW")).first() is None
        assert db.session.execute(db.select(db.func.count(AuditEvent.id))).scalar_one() == events
        assert client.post("/billing/pending", data={**decide, "csrf_token": token}).status_code == 303
        db.session.expire_all()
        assert db.session.get(QuantityChange, world["change_id"]).status == "approved"

    def test_every_billing_form_carries_the_token(self, client, world):
        self._login(client)
        r, i = world["recurring_id"], world["invoice_id"]
        pages = ["/billing/catalog", "/billing/catalog/new", "/billing/skus", "/billing/recurring/new",
                 f"/billing/recurring/{r}", f"/billing/recurring/{r}/edit", f"/billing/recurring/{r}/lines/new",
                 f"/billing/recurring/{r}/lines/{world['line_id']}/edit", f"/billing/recurring/{r}/preview",
                 f"/billing/invoices/{i}", "/billing/pending"]
        forms = 0
        for url in pages:
            html = client.get(url).data.decode()
            for form in re.findall(r'<form[^>]*method="post"[^>]*>.*?</form>', html, flags=re.S):
                forms += 1
                assert 'name="csrf_token"' in form, (url, form[:200])
        assert forms >= 10


@pytest.fixture
def evil_world(mapped_world, fake_vendor, users):
    """Vendor-supplied names with markup: the customer, the SKU's name, the Organization."""
    ids = build_billing(fake_vendor, mapped_world, customer_name=EVIL)
    db.session.execute(db.update(VendorSku).values(name=EVIL))
    db.session.execute(db.update(Organization).where(Organization.name == "Contoso").values(name=EVIL_ORG))
    db.session.commit()
    fake_vendor.add("c-2", "=HYPERLINK(\"http://x\")", seats=2)
    sync_fake()
    return ids


def _pages(ids) -> list[str]:
    r, i = ids["recurring_id"], ids["invoice_id"]
    return ["/billing/reports/usage", "/billing/pending", f"/billing/recurring/{r}", f"/billing/recurring/{r}/preview",
            "/billing/recurring", "/billing/skus", "/billing/invoices", f"/billing/invoices/{i}",
            f"/billing/invoices/{i}/print", f"/billing/reports/usage/customers/{ids['customer_id']}",
            f"/billing/recurring/{r}/lines/new", "/billing/catalog"]


def test_vendor_strings_are_escaped_on_every_billing_page(client, auth, evil_world):
    auth.login("admin")
    seen_customer = 0
    for url in _pages(evil_world):
        html = client.get(url).data.decode()
        assert "<script>alert(1)" not in html, url
        assert "<img src=x" not in html, url
        seen_customer += "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert seen_customer >= 5  # the name is shown (as text), not dropped


def test_csv_cells_do_not_run_as_formulas(client, auth, evil_world):
    auth.login("viewer")
    body = client.get("/billing/reports/usage.csv").data.decode()
    assert "'=HYPERLINK" in body and "\n=HYPERLINK" not in body and ",=HYPERLINK" not in body


def test_billing_scripts_never_parse_data_as_html():
    from pathlib import Path

    import hub

    script = (Path(hub.__file__).parent / "static" / "billing.js").read_text()
    assert not re.search(r"\.(innerHTML|outerHTML|insertAdjacentHTML)\b|document\.write", script)
