"""One-off charges: ad-hoc lines for an Organization's next invoice (or a chosen recurring invoice's),
billed exactly once. List, create, read, change and delete while pending (409 once billed).

Thin over ``hub.billing.one_off``, the service the panel calls. Roles as the panel's: everyone reads,
billing and admins create and change. ETag / If-Match on the charge.
"""

from __future__ import annotations

import marshmallow as ma
from sqlalchemy import select

from hub.api.auth import actor
from hub.api.etag import check_if_match, uses_if_match, with_etag
from hub.api.fields import DecimalText, Id, UtcDateTime
from hub.api.idempotency import idempotent
from hub.api.paging import Key, PageArgs, keyset_page, page_response, page_schema
from hub.api.problems import clash_or_invalid, get_or_404
from hub.api.spec import Blueprint
from hub.billing import one_off
from hub.billing.errors import BillingError
from hub.extensions import db
from hub.models import OneOffCharge, Organization
from hub.web.access import ANYONE, BILLING, roles

blp = Blueprint("v1_one_off_charges", __name__, tag="One-off charges")


class ChargeSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    organization_id = Id(required=True)
    recurring_invoice_id = Id(allow_none=True, metadata={
        "description": "the recurring invoice whose next invoice bills it; null: the Organization's next invoice "
                       "in the charge's currency"})
    product_id = Id(allow_none=True, metadata={"description": "optional; the charge is then taxed as the product"})
    description = ma.fields.String(required=True, validate=ma.validate.Length(1, 300))
    quantity = DecimalText(required=True)
    unit_price = DecimalText(required=True)
    unit_cost = DecimalText(allow_none=True, metadata={"description": "default: the product's unit cost, else 0"})
    amount = DecimalText(dump_only=True)
    currency = ma.fields.String(allow_none=True, validate=ma.validate.Regexp(r"^[A-Za-z]{3}$"), metadata={
        "description": "default: the recurring invoice's, else the product's"})
    taxable = ma.fields.Boolean(metadata={"description": "without a product; with one, the product's flag"})
    pending = ma.fields.Boolean(dump_only=True)
    invoice_id = ma.fields.Integer(dump_only=True, allow_none=True, metadata={"description": "the invoice that billed it"})
    billed_at = UtcDateTime(dump_only=True, allow_none=True)
    created_at = UtcDateTime(dump_only=True)
    created_by = ma.fields.String(dump_only=True)
    updated_at = UtcDateTime(dump_only=True)


class ChargeChangeSchema(ChargeSchema):
    organization_id = Id(dump_only=True)
    description = ma.fields.String(validate=ma.validate.Length(1, 300))
    quantity = DecimalText()
    unit_price = DecimalText()


class ChargeFilter(PageArgs):
    organization_id = Id(load_default=None)
    pending = ma.fields.Boolean(load_default=None)
    invoice_id = Id(load_default=None)


ChargePage = page_schema(ChargeSchema, "OneOffChargePage")


def _charge(charge_id: int) -> OneOffCharge:
    return get_or_404(OneOffCharge, charge_id, "one-off charge")


def _call(call, *args, **kwargs):
    try:
        return call(*args, **kwargs)
    except BillingError as err:
        db.session.rollback()
        raise clash_or_invalid(err, "charge_id") from None


@blp.route("/one-off-charges", methods=["GET"])
@roles(read=ANYONE)
@blp.arguments(ChargeFilter, location="query")
@blp.response(200, ChargePage)
def list_charges(args):
    """One-off charges, newest first (filter by Organization, pending or billed, or the invoice that billed them)."""
    stmt = select(OneOffCharge)
    if args["organization_id"] is not None:
        stmt = stmt.where(OneOffCharge.organization_id == args["organization_id"])
    if args["pending"] is not None:
        stmt = stmt.where(OneOffCharge.invoice_id.is_(None) if args["pending"] else OneOffCharge.invoice_id.is_not(None))
    if args["invoice_id"] is not None:
        stmt = stmt.where(OneOffCharge.invoice_id == args["invoice_id"])
    rows, cursor = keyset_page(stmt, [Key(OneOffCharge.id, True)], args["limit"], args["cursor"], "one-off-charges")
    return page_response([one_off.charge_to_dict(r.OneOffCharge) for r in rows], cursor)


@blp.route("/one-off-charges", methods=["POST"])
@roles(read=BILLING, change=BILLING)
@idempotent
@blp.arguments(ChargeSchema)
@blp.response(201, ChargeSchema)
def create_charge(args):
    """A pending charge for the Organization's next invoice (or the chosen recurring invoice's)."""
    organization_id = args.pop("organization_id")
    get_or_404(Organization, organization_id, "Organization")
    charge = _call(one_off.create_charge, organization_id, actor(), **args)
    return with_etag(ChargeSchema, one_off.charge_to_dict(charge), 201,
                     {"Location": f"/api/v1/one-off-charges/{charge.id}"})


@blp.route("/one-off-charges/<id:charge_id>", methods=["GET"])
@roles(read=ANYONE)
@blp.response(200, ChargeSchema)
def get_charge(charge_id: int):
    """One charge: pending, or billed on ``invoice_id``."""
    return with_etag(ChargeSchema, one_off.charge_to_dict(_charge(charge_id)))


@blp.route("/one-off-charges/<id:charge_id>", methods=["PATCH"])
@roles(read=BILLING, change=BILLING)
@uses_if_match
@blp.arguments(ChargeChangeSchema(partial=True))
@blp.response(200, ChargeSchema)
def update_charge(args, charge_id: int):
    """Change a pending charge (409 once billed)."""
    check_if_match(ChargeSchema, one_off.charge_to_dict(_charge(charge_id)))
    charge = _call(one_off.update_charge, charge_id, actor(), **args)
    return with_etag(ChargeSchema, one_off.charge_to_dict(charge))


@blp.route("/one-off-charges/<id:charge_id>", methods=["DELETE"])
@roles(read=BILLING, change=BILLING)
@uses_if_match
@blp.response(204)
def delete_charge(charge_id: int):
    """Delete a pending charge (409 once billed)."""
    check_if_match(ChargeSchema, one_off.charge_to_dict(_charge(charge_id)))
    _call(one_off.delete_charge, charge_id, actor())
    return None
