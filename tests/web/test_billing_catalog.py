"""Catalog pages: products list/create/edit and the vendor SKU -> product mapping."""

from __future__ import annotations

from decimal import Decimal

from hub.extensions import db
from hub.models import Product, VendorSku
from tests.web.billing_fixtures import billing_world  # noqa: F401  (fixture)
from tests.web.billing_fixtures import sku
from tests.web.billing_helpers import audit_count, field_error, fresh, text_of


def test_products_list_and_the_unmapped_banner(client, auth, billing_world, fake_vendor):
    fake_vendor.add("c-1", "Contoso Ltd", seats=2, backup_gb=7)
    from tests.web.conftest import sync_fake

    sync_fake()
    auth.login("viewer")
    html = client.get("/billing/catalog").data.decode()
    assert "SEATS" in html and "Cloud seats" in html and "10.00" in html and "6.00" in html
    assert "1 vendor SKU with no product" in text_of(html)
    assert "/billing/catalog/new" not in html  # viewers read only
    auth.login("billing")
    assert "/billing/catalog/new" in client.get("/billing/catalog").data.decode()


def test_create_a_product(client, auth, billing_world):
    auth.login("billing")
    before = audit_count("product.create")
    response = client.post("/billing/catalog/new", data={
        "code": "BACKUP", "name": "Backup storage", "unit_price": "0.125", "unit_cost": "0.05", "taxable": "true"})
    assert response.status_code == 302
    product = db.session.execute(db.select(Product).filter_by(code="BACKUP")).scalar_one()
    assert (product.unit_price, product.unit_cost, product.taxable) == (Decimal("0.125"), Decimal("0.05"), True)
    assert audit_count("product.create") == before + 1


def test_product_form_errors_name_the_field_and_change_nothing(client, auth, billing_world):
    auth.login("billing")
    products, events = db.session.execute(db.select(db.func.count(Product.id))).scalar_one(), audit_count()
    cases = [
        ({"code": "X1", "name": "X", "unit_price": "ten"}, "unit_price", "Unit price: enter a number"),
        ({"code": "X1", "name": "X", "unit_price": "1.23456"}, "unit_price", "at most 4 decimal places"),
        ({"code": "X1", "name": "X", "unit_price": "-1"}, "unit_price", "Unit price: enter 0 or more"),
        ({"code": "", "name": "X", "unit_price": "1"}, "code", "Code is required"),
        ({"code": "seats", "name": "X", "unit_price": "1"}, "code", "already exists"),
        ({"code": "X1", "name": "X", "unit_price": "1", "unit_cost": "1,5"}, "unit_cost", "Unit cost: enter a number"),
    ]
    for form, field, message in cases:
        response = client.post("/billing/catalog/new", data=form)
        html = response.data.decode()
        assert response.status_code == 400, form
        assert message in (field_error(html, field) or ""), (form, field_error(html, field))
        assert 'value="X"' in html or not form.get("name")  # what was typed is kept
    assert db.session.execute(db.select(db.func.count(Product.id))).scalar_one() == products
    assert audit_count() == events


def test_edit_a_product_audits_each_change(client, auth, billing_world):
    auth.login("admin")
    product_id = billing_world["product_id"]
    form = client.get(f"/billing/catalog/{product_id}/edit").data.decode()
    assert 'value="SEATS"' in form and 'value="10.0000"' in form
    response = client.post(f"/billing/catalog/{product_id}/edit", data={
        "code": "SEATS", "name": "Cloud seats", "unit_price": "12.50", "unit_cost": "6.00", "taxable": "true",
        "active": "true"})
    assert response.status_code == 302
    assert fresh(Product, product_id).unit_price == Decimal("12.50")
    assert audit_count("product.update") == 1
    bad = client.post(f"/billing/catalog/{product_id}/edit", data={
        "code": "SEATS", "name": "", "unit_price": "99", "unit_cost": "6.00", "active": "true"})
    assert bad.status_code == 400 and field_error(bad.data.decode(), "name") == "Name is required"
    assert fresh(Product, product_id).unit_price == Decimal("12.50")  # the valid price of that form was not kept


def test_sku_page_puts_unmapped_skus_first_with_the_plugins_suggestion(client, auth, billing_world, fake_vendor):
    from tests.web.conftest import sync_fake

    fake_vendor.add("c-2", "Fabrikam", seats=2, backup_gb=40)
    fake_vendor.add("c-5", "Wingtip", archive=1)
    sync_fake()
    auth.login("viewer")
    html = client.get("/billing/skus").data.decode()
    assert "2 billable SKUs without a product" in text_of(html)
    order = [html.index(f'data-sku="{code}"') for code in ("backup_gb", "archive", "seats")]
    assert order[0] < order[1] < order[2]  # unmapped (most licenses first) before mapped
    assert 'data-sku="backup_gb" data-status="unmapped"' in html
    assert "BACKUP_GB" in html and "(no such product yet)" in html  # the fake plugin suggests upper-case codes
    assert 'action="/billing/skus/' not in html  # viewers get no forms


def test_confirm_change_and_unmap_a_sku(client, auth, billing_world, fake_vendor):
    from tests.web.conftest import sync_fake

    fake_vendor.add("c-1", "Contoso Ltd", seats=2, backup_gb=7)
    sync_fake()
    auth.login("billing")
    backup = client.post("/billing/catalog/new", data={"code": "BACKUP_GB", "name": "Backup", "unit_price": "1"})
    assert backup.status_code == 302
    backup_id = db.session.execute(db.select(Product.id).filter_by(code="BACKUP_GB")).scalar_one()
    page = client.get("/billing/skus").data.decode()
    assert 'data-sku="backup_gb" data-status="suggested"' in page and "Confirm" in page
    sku_id = sku("backup_gb").id
    response = client.post(f"/billing/skus/{sku_id}/map", data={"product_id": str(backup_id)})
    assert response.status_code == 303
    assert fresh(VendorSku, sku_id).product_id == backup_id and audit_count("sku.map") >= 2
    assert "SKU backup_gb mapped to BACKUP_GB" in text_of(client.get("/billing/skus").data.decode())
    client.post(f"/billing/skus/{sku_id}/map", data={"product_id": ""})
    assert fresh(VendorSku, sku_id).product_id is None and audit_count("sku.unmap") == 1
    refused = client.post(f"/billing/skus/{sku_id}/map", data={"product_id": "999999"}, follow_redirects=True)
    assert "Product: no product with id 999999" in text_of(refused.data.decode())
    assert fresh(VendorSku, sku_id).product_id is None


def test_accept_suggestions_in_bulk_and_create_a_product_from_a_sku(client, auth, billing_world, fake_vendor):
    from tests.web.conftest import sync_fake

    fake_vendor.add("c-1", "Contoso Ltd", seats=2, backup_gb=7, archive=3)
    sync_fake()
    auth.login("billing")
    client.post("/billing/catalog/new", data={"code": "BACKUP_GB", "name": "Backup", "unit_price": "1"})
    backup, archive = sku("backup_gb"), sku("archive")
    nothing = client.post("/billing/skus/accept-suggestions", data={}, follow_redirects=True)
    assert "sku_ids: choose at least one SKU" in text_of(nothing.data.decode())
    # archive has no product with its suggested code: all or nothing
    refused = client.post("/billing/skus/accept-suggestions", data={"sku_ids": [backup.id, archive.id]},
                          follow_redirects=True)
    assert "SKU 'archive' has no suggested product" in text_of(refused.data.decode())
    assert fresh(VendorSku, backup.id).product_id is None
    client.post("/billing/skus/accept-suggestions", data={"sku_ids": [backup.id]})
    assert fresh(VendorSku, backup.id).product_id is not None
    bad = client.post(f"/billing/skus/{archive.id}/create-product", data={"unit_price": "abc"}, follow_redirects=True)
    assert "Unit price: enter a number" in text_of(bad.data.decode())
    client.post(f"/billing/skus/{archive.id}/create-product", data={"unit_price": "4.00"})
    made = db.session.execute(db.select(Product).filter_by(code="ARCHIVE")).scalar_one()
    assert made.unit_price == Decimal("4.00") and fresh(VendorSku, archive.id).product_id == made.id


def test_mark_a_sku_not_billable(client, auth, billing_world):
    auth.login("billing")
    sku_id = billing_world["sku_id"]
    client.post(f"/billing/skus/{sku_id}/billable", data={"billable": "false"})
    assert fresh(VendorSku, sku_id).billable is False and audit_count("sku.billable") == 1
    junk = client.post(f"/billing/skus/{sku_id}/billable", data={"billable": "maybe"}, follow_redirects=True)
    assert "Billable: must be true or false" in text_of(junk.data.decode())
    assert fresh(VendorSku, sku_id).billable is False


def test_an_inactive_product_stays_shown_on_its_skus(client, auth, billing_world):
    auth.login("billing")
    product_id = billing_world["product_id"]
    client.post(f"/billing/catalog/{product_id}/edit", data={
        "code": "SEATS", "name": "Cloud seats", "unit_price": "10", "unit_cost": "6", "taxable": "true"})
    assert fresh(Product, product_id).active is False
    html = client.get("/billing/skus").data.decode()
    assert f'<option value="{product_id}" selected>SEATS (inactive)</option>' in html
    assert "Inactive" in client.get("/billing/catalog").data.decode()


def test_tax_rates_and_an_organizations_tax(client, auth, billing_world):
    from hub.models import Organization, OrganizationTaxRate, TaxRate

    auth.login("viewer")
    assert "No tax rates yet" in client.get("/billing/tax-rates").data.decode()
    assert 'id="tax-rate-form"' not in client.get("/billing/tax-rates").data.decode()
    assert client.post("/billing/tax-rates", data={"name": "GST", "percent": "5"}).status_code == 403
    auth.login("billing")
    refused = client.post("/billing/tax-rates", data={"name": "GST", "percent": "five"})
    assert refused.status_code == 400 and "Percent: enter a number" in refused.data.decode()
    assert client.post("/billing/tax-rates", data={"name": "GST", "percent": "5"}).status_code == 303
    assert client.post("/billing/tax-rates", data={"name": "QST", "percent": "9.975",
                                                   "compound": "on"}).status_code == 303
    assert "QST" in client.get("/billing/tax-rates").data.decode()
    rates = {r.name: r.id for r in db.session.execute(db.select(TaxRate)).scalars()}
    contoso = billing_world["orgs"]["Contoso"]
    assert 'href="/billing/organizations/%d/tax"' % contoso.id in client.get(
        f"/organizations/{contoso.id}").data.decode()
    done = client.post(f"/billing/organizations/{contoso.id}/tax",
                       data={"tax_rate_ids": [str(rates["GST"]), str(rates["QST"])]})
    assert done.status_code == 303
    chosen = set(db.session.execute(db.select(OrganizationTaxRate.tax_rate_id)
                                    .filter_by(organization_id=contoso.id)).scalars())
    assert chosen == {rates["GST"], rates["QST"]}
    page = client.get(f"/billing/organizations/{contoso.id}/tax").data.decode()
    assert page.count(" checked") == 2
    bad = client.post(f"/billing/organizations/{contoso.id}/tax", data={"tax_rate_ids": ["999"], "tax_exempt": "1"})
    assert bad.status_code == 400 and "no tax rate with id 999" in bad.data.decode()
    db.session.expire_all()
    assert db.session.get(Organization, contoso.id).tax_exempt is False  # nothing changed


def test_a_tax_rate_is_edited_and_retired_on_its_page(client, auth, billing_world):
    from hub.billing import tax
    from hub.models import AuditEvent, TaxRate
    from tests.web.billing_fixtures import SETUP

    gst = tax.create_tax_rate("GST <b>", "5", SETUP)
    contoso = billing_world["orgs"]["Contoso"]
    tax.set_organization_tax(contoso.id, SETUP, rate_ids=[gst.id])
    auth.login("viewer")
    listing = client.get("/billing/tax-rates").data.decode()
    assert "GST &lt;b&gt;" in listing and f'href="/billing/tax-rates/{gst.id}"' not in listing
    assert client.get(f"/billing/tax-rates/{gst.id}").status_code == 403
    auth.login("billing")
    page = client.get(f"/billing/tax-rates/{gst.id}").data.decode()
    assert 'value="GST &lt;b&gt;"' in page and "1 Organization is taxed at this rate" in page
    refused = client.post(f"/billing/tax-rates/{gst.id}", data={"name": "GST <b>", "percent": "6"})  # unticked
    assert refused.status_code == 400 and "choose another rate for them first" in refused.data.decode()
    assert db.session.get(TaxRate, gst.id).percent == Decimal("5")  # nothing changed
    saved = client.post(f"/billing/tax-rates/{gst.id}", data={"name": "GST", "percent": "6", "active": "true"})
    assert saved.status_code == 303
    db.session.expire_all()
    assert (db.session.get(TaxRate, gst.id).name, db.session.get(TaxRate, gst.id).percent) == ("GST", Decimal("6"))
    assert db.session.execute(db.select(db.func.count()).select_from(AuditEvent)
                              .filter_by(action="tax.rate_update")).scalar() == 2
    tax.set_organization_tax(contoso.id, SETUP, rate_ids=[])
    assert client.post(f"/billing/tax-rates/{gst.id}", data={"name": "GST", "percent": "6"}).status_code == 303
    assert "retired" in client.get("/billing/tax-rates").data.decode()
    assert f'value="{gst.id}"' not in client.get(f"/billing/organizations/{contoso.id}/tax").data.decode()
    assert client.get("/billing/tax-rates/999999").status_code == 404
