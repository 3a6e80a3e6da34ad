"""The catalog pages: products (line item types) and the vendor SKU -> product mapping.

Unmapped SKUs come first on the mapping page: a SKU without a product bills nothing, so each one
with licenses is money nobody invoices until someone confirms its product.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from hub.billing import catalog
from hub.extensions import db
from hub.models import Product, VendorIntegration
from hub.web.access import ANYONE, BILLING, roles
from hub.web.billing_pages import bp
from hub.web.billing_pages.forms import call, form_values, integration_choices, product_choices
from hub.web.helpers import actor, back, filter_choice, filter_id

PRODUCT_TEXT = ("code", "name", "description", "unit_price", "unit_cost", "currency")
PRODUCT_FIELDS = PRODUCT_TEXT + ("taxable", "active")
SKU_STATUSES = (("unmapped", "Not mapped"), ("suggested", "Suggestion to confirm"), ("mapped", "Mapped"),
                ("not_billable", "Not billable"))


@bp.get("/catalog")
@roles(read=ANYONE)
def catalog_list():
    products = catalog.list_products()
    unmapped = [r for r in catalog.unmapped_skus() if r.billable]
    return render_template("billing_web/products.html", products=products, unmapped=unmapped)


def _render_product_form(product, values, errors, status=200):
    return render_template("billing_web/product_form.html", product=product, values=values, errors=errors), status


@bp.route("/catalog/new", methods=["GET", "POST"])
@roles(read=BILLING, change=BILLING)
def product_create():
    if request.method == "GET":
        return _render_product_form(None, {"taxable": "true", "unit_cost": "0", "currency": "USD"}, {})
    values = form_values(PRODUCT_TEXT, checkboxes=("taxable",))
    done = call(catalog.create_product, values["code"], values["name"], values["unit_price"], actor(),
                unit_cost=values["unit_cost"] or "0", taxable=values["taxable"] == "true",
                currency=values["currency"] or "USD",
                description=values["description"] or None, form_fields=PRODUCT_FIELDS)
    if not done.ok:
        return _render_product_form(None, values, done.errors, 400)
    flash(f"Product {done.result.code} created.", "success")
    return redirect(url_for(".catalog_list"))


@bp.route("/catalog/<int:product_id>/edit", methods=["GET", "POST"])
@roles(read=BILLING, change=BILLING)
def product_edit(product_id: int):
    product = db.get_or_404(Product, product_id)
    if request.method == "GET":
        values = {"code": product.code, "name": product.name, "description": product.description or "",
                  "unit_price": str(product.unit_price), "unit_cost": str(product.unit_cost),
                  "currency": product.currency,
                  "taxable": "true" if product.taxable else "false", "active": "true" if product.active else "false"}
        return _render_product_form(product, values, {})
    values = form_values(PRODUCT_TEXT, checkboxes=("taxable", "active"))
    changes = dict(values, description=values["description"] or None)
    if "currency" not in request.form:  # a form without the field leaves the currency as it is
        changes.pop("currency")
    done = call(catalog.update_product, product.id, actor(), form_fields=PRODUCT_FIELDS, **changes)
    if not done.ok:
        return _render_product_form(db.get_or_404(Product, product_id), values, done.errors, 400)
    flash(f"Product {done.result.code} saved.", "success")
    return redirect(url_for(".catalog_list"))


@bp.post("/catalog/<int:product_id>/delete")
@roles(read=BILLING, change=BILLING)
def product_delete(product_id: int):
    product = db.get_or_404(Product, product_id)
    code = product.code
    done = call(catalog.delete_product, product.id, actor())
    if not done.ok:
        flash(next(iter(done.errors.values())), "error")
        return redirect(url_for(".product_edit", product_id=product_id), 303)
    flash(f"Product {code} deleted.", "success")
    return redirect(url_for(".catalog_list"), 303)


@bp.get("/skus")
@roles(read=ANYONE)
def sku_mapping():
    integrations = integration_choices()
    integration_id = filter_id("vendor", VendorIntegration, "vendor integration")
    status = filter_choice("status", dict(SKU_STATUSES))
    rows = catalog.list_skus(integration_id, status or None)
    # what needs a person first: billable SKUs without a product, most licenses first
    rows.sort(key=lambda r: (r.status == "mapped", r.status == "not_billable", -r.licenses, r.vendor, r.sku))
    waiting = [r for r in rows if r.status in ("unmapped", "suggested")]
    return render_template("billing_web/skus.html", rows=rows, waiting=waiting, integrations=integrations,
                           integration_id=integration_id, status=status, statuses=SKU_STATUSES,
                           products=product_choices(active_only=True))


def _flash_errors(errors: dict[str, str]) -> None:
    for message in errors.values():
        flash(message, "error")


@bp.post("/skus/<int:sku_id>/map")
@roles(read=ANYONE, change=BILLING)
def sku_map(sku_id: int):
    raw = (request.form.get("product_id") or "").strip()
    done = call(catalog.map_sku, sku_id, raw or None, actor())
    if done.ok:
        sku = done.result
        flash(f"SKU {sku.sku} {'mapped to ' + sku_product_code(sku) if sku.product_id else 'unmapped'}.", "success")
    else:
        _flash_errors(done.errors)
    return back(url_for(".sku_mapping")), 303


def sku_product_code(sku) -> str:
    product = db.session.get(Product, sku.product_id)
    return product.code if product else str(sku.product_id)


@bp.post("/skus/accept-suggestions")
@roles(read=ANYONE, change=BILLING)
def sku_accept_suggestions():
    ids = request.form.getlist("sku_ids")
    if not ids:
        flash("sku_ids: choose at least one SKU with a suggestion.", "error")
        return back(url_for(".sku_mapping")), 303
    done = call(catalog.accept_suggestions, ids, actor())
    if done.ok:
        flash(f"{len(done.result)} SKU{'' if len(done.result) == 1 else 's'} mapped to the suggested products.",
              "success")
    else:
        _flash_errors(done.errors)
    return back(url_for(".sku_mapping")), 303


@bp.post("/skus/<int:sku_id>/create-product")
@roles(read=ANYONE, change=BILLING)
def sku_create_product(sku_id: int):
    values = form_values(("unit_price", "unit_cost", "code", "name"))
    done = call(catalog.create_product_from_sku, sku_id, values["unit_price"], actor(),
                unit_cost=values["unit_cost"] or "0", code=values["code"] or None, name=values["name"] or None)
    if done.ok:
        flash(f"Product {done.result.code} created and the SKU mapped to it.", "success")
    else:
        _flash_errors(done.errors)
    return back(url_for(".sku_mapping")), 303


@bp.post("/skus/<int:sku_id>/billable")
@roles(read=ANYONE, change=BILLING)
def sku_billable(sku_id: int):
    done = call(catalog.set_sku_billable, sku_id, request.form.get("billable", ""), actor())
    if done.ok:
        flash(f"SKU {done.result.sku} is {'billable' if done.result.billable else 'not billable'}.", "success")
    else:
        _flash_errors(done.errors)
    return back(url_for(".sku_mapping")), 303
