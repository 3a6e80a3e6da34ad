"""Catalog products (list, create, read, change) and vendor SKUs with their product mapping."""

from __future__ import annotations

import marshmallow as ma
from sqlalchemy import func, select

from hub.api.auth import actor
from hub.api.etag import check_if_match, uses_if_match, with_etag
from hub.api.fields import DecimalText, Id, UtcDateTime
from hub.api.idempotency import idempotent
from hub.api.paging import Key, PageArgs, keyset_page, page_response, page_schema
from hub.api.problems import clash_or_invalid, get_or_404, service_error, taken_or_invalid
from hub.api.spec import Blueprint
from hub.billing import catalog
from hub.billing.errors import BillingError
from hub.extensions import db
from hub.models import Product, VendorIntegration, VendorSku
from hub.web.access import ANYONE, BILLING, roles

blp = Blueprint("v1_catalog", __name__, tag="Catalog")

SKU_STATUSES = ("mapped", "suggested", "unmapped", "not_billable")


class ProductSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    code = ma.fields.String(required=True, validate=ma.validate.Length(1, 100))
    name = ma.fields.String(required=True, validate=ma.validate.Length(1, 200))
    description = ma.fields.String(allow_none=True)
    unit_price = DecimalText(required=True, metadata={"description": "per unit per invoice period"})
    unit_cost = DecimalText()
    taxable = ma.fields.Boolean()
    active = ma.fields.Boolean()
    created_at = UtcDateTime(dump_only=True)
    updated_at = UtcDateTime(dump_only=True)


class ProductChangeSchema(ProductSchema):
    code = ma.fields.String(validate=ma.validate.Length(1, 100))
    name = ma.fields.String(validate=ma.validate.Length(1, 200))
    unit_price = DecimalText()


class ProductFilter(PageArgs):
    active = ma.fields.Boolean(load_default=None)


class SkuSchema(ma.Schema):
    sku_id = ma.fields.Integer()
    integration_id = Id()
    vendor = ma.fields.String()
    sku = ma.fields.String()
    name = ma.fields.String(allow_none=True)
    unit = ma.fields.String()
    billable = ma.fields.Boolean()
    suggested_product_code = ma.fields.String(allow_none=True)
    suggested_product_id = ma.fields.Integer(allow_none=True)
    product_id = Id(allow_none=True)
    product_code = ma.fields.String(allow_none=True)
    product_name = ma.fields.String(allow_none=True)
    customers = ma.fields.Integer()
    licenses = DecimalText(dump_only=True)
    status = ma.fields.String(metadata={"enum": list(SKU_STATUSES)})


class SkuListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(SkuSchema))


class SkuFilter(ma.Schema):
    vendor = ma.fields.String(load_default=None, validate=ma.validate.Length(1, 100))
    status = ma.fields.String(load_default=None, validate=ma.validate.OneOf(SKU_STATUSES))


class SkuProductSchema(ma.Schema):
    product_id = Id(required=True, allow_none=True, metadata={"description": "null unmaps"})


class SkuBillableSchema(ma.Schema):
    billable = ma.fields.Boolean(required=True)


class SkuIdsSchema(ma.Schema):
    sku_ids = ma.fields.List(Id(), required=True, validate=ma.validate.Length(1, 500))


class ProductFromSkuSchema(ma.Schema):
    unit_price = DecimalText(required=True)
    unit_cost = DecimalText(load_default="0")
    code = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(1, 100))
    name = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(1, 200))


PRODUCT_PAGE = page_schema(ProductSchema, "ProductPage")


def _product_error(err: BillingError):
    db.session.rollback()
    return taken_or_invalid(err)


@blp.route("/products", methods=["GET"])
@roles(read=ANYONE)
@blp.arguments(ProductFilter, location="query")
@blp.response(200, PRODUCT_PAGE)
def list_products(args):
    """Products by code."""
    stmt = select(Product)
    if args["active"] is not None:
        stmt = stmt.where(Product.active.is_(args["active"]))
    rows, cursor = keyset_page(stmt, [Key(func.lower(Product.code)), Key(Product.id)], args["limit"],
                               args["cursor"], "products")
    return page_response([r.Product for r in rows], cursor)


@blp.route("/products", methods=["POST"])
@roles(read=BILLING, change=BILLING)
@idempotent
@blp.arguments(ProductSchema)
@blp.response(201, ProductSchema)
def create_product(args):
    """Add a product."""
    active = args.pop("active", True)
    try:
        product = catalog.create_product(args.pop("code"), args.pop("name"), args.pop("unit_price"), actor(),
                                         **args)
        if not active:
            product = catalog.update_product(product.id, actor(), active=False)
    except BillingError as err:
        raise _product_error(err) from None
    return with_etag(ProductSchema, product, 201, {"Location": f"/api/v1/products/{product.id}"})


@blp.route("/products/<id:product_id>", methods=["GET"])
@roles(read=ANYONE)
@blp.response(200, ProductSchema)
def get_product(product_id: int):
    """One product."""
    return with_etag(ProductSchema, get_or_404(Product, product_id, "product"))


@blp.route("/products/<id:product_id>", methods=["PATCH"])
@roles(read=BILLING, change=BILLING)
@uses_if_match
@blp.arguments(ProductChangeSchema(partial=True))
@blp.response(200, ProductSchema)
def update_product(args, product_id: int):
    """Change a product (a new price applies to the next invoices)."""
    check_if_match(ProductSchema, get_or_404(Product, product_id, "product"))
    try:
        product = catalog.update_product(product_id, actor(), **args)
    except BillingError as err:
        raise _product_error(err) from None
    return with_etag(ProductSchema, product)


@blp.route("/products/<id:product_id>", methods=["DELETE"])
@roles(read=BILLING, change=BILLING)
@uses_if_match
@blp.response(204)
def delete_product(product_id: int):
    """Delete a product no recurring line or invoice uses (else 409: switch it off with `active`); its SKUs
    become unmapped. Audited."""
    check_if_match(ProductSchema, get_or_404(Product, product_id, "product"))
    try:
        catalog.delete_product(product_id, actor())
    except BillingError as err:
        db.session.rollback()
        raise clash_or_invalid(err, "product_id") from None
    return None


def _sku_row(sku_id: int) -> dict:
    row = next((r for r in catalog.list_skus() if r.sku_id == sku_id), None)
    return {**row.__dict__, "status": row.status}


def _integration_id(slug: str | None) -> int | None:
    if slug is None:
        return None
    found = db.session.execute(select(VendorIntegration.id).filter_by(slug=slug)).scalar_one_or_none()
    return -1 if found is None else found  # an unknown vendor has no SKUs


@blp.route("/skus", methods=["GET"])
@roles(read=ANYONE)
@blp.arguments(SkuFilter, location="query")
@blp.response(200, SkuListSchema)
def list_skus(args):
    """Every vendor SKU with its product mapping and current license totals."""
    rows = catalog.list_skus(_integration_id(args["vendor"]), args["status"])
    return {"items": [{**r.__dict__, "status": r.status} for r in rows]}


def _sku_call(sku_id: int, call, *args):
    get_or_404(VendorSku, sku_id, "vendor SKU")
    try:
        call(sku_id, *args)
    except BillingError as err:
        db.session.rollback()
        raise clash_or_invalid(err, "sku_id") from None
    return _sku_row(sku_id)


@blp.route("/skus/<id:sku_id>/product", methods=["PUT"])
@roles(read=BILLING, change=BILLING)
@blp.arguments(SkuProductSchema)
@blp.response(200, SkuSchema)
def map_sku(args, sku_id: int):
    """Confirm or change the product of a SKU (null unmaps); vendor lines follow."""
    return _sku_call(sku_id, catalog.map_sku, args["product_id"], actor())


@blp.route("/skus/<id:sku_id>/billable", methods=["PUT"])
@roles(read=BILLING, change=BILLING)
@blp.arguments(SkuBillableSchema)
@blp.response(200, SkuSchema)
def set_billable(args, sku_id: int):
    """Mark a SKU billable or not."""
    return _sku_call(sku_id, catalog.set_sku_billable, args["billable"], actor())


@blp.route("/skus/<id:sku_id>/create-product", methods=["POST"])
@roles(read=BILLING, change=BILLING)
@blp.arguments(ProductFromSkuSchema)
@blp.response(201, SkuSchema)
def create_product_from_sku(args, sku_id: int):
    """A product from the plugin's suggestion and the SKU mapped to it, in one step."""
    get_or_404(VendorSku, sku_id, "vendor SKU")
    try:
        catalog.create_product_from_sku(sku_id, args["unit_price"], actor(), unit_cost=args["unit_cost"],
                                        code=args["code"], name=args["name"])
    except BillingError as err:
        raise _product_error(err) from None
    return _sku_row(sku_id), 201


@blp.route("/skus/accept-suggestions", methods=["POST"])
@roles(read=BILLING, change=BILLING)
@blp.arguments(SkuIdsSchema)
@blp.response(200, SkuListSchema)
def accept_sku_suggestions(args):
    """Map each SKU to the product its plugin suggested; all or nothing."""
    try:
        done = catalog.accept_suggestions(args["sku_ids"], actor())
    except BillingError as err:
        db.session.rollback()
        raise service_error(err) from None
    return {"items": [_sku_row(s.id) for s in done]}
