"""Tax: the named rates (list, create) and an Organization's default rates or its exemption (read, set
with If-Match).

Thin over ``hub.billing.tax``, the service the panel's tax pages call (validation and audit live there);
the roles are the panel's: everyone reads the rates, billing and admins create them and read or set an
Organization's tax.
"""

from __future__ import annotations

from dataclasses import dataclass

import marshmallow as ma
from sqlalchemy import func, select

from hub.api.auth import actor
from hub.api.etag import check_if_match, uses_if_match, with_etag
from hub.api.fields import DecimalText, Id, UtcDateTime
from hub.api.idempotency import idempotent
from hub.api.paging import Key, PageArgs, keyset_page, page_response, page_schema
from hub.api.problems import get_or_404, service_error, taken_or_invalid
from hub.api.spec import Blueprint
from hub.billing import tax
from hub.billing.errors import BillingError
from hub.extensions import db
from hub.models import Organization, OrganizationTaxRate, TaxRate
from hub.web.access import ANYONE, BILLING, roles

blp = Blueprint("v1_tax", __name__, tag="Tax")


class TaxRateSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    name = ma.fields.String(required=True, validate=ma.validate.Length(1, 100))
    percent = DecimalText(required=True, metadata={"description": "0 to 100, up to four places"})
    compound = ma.fields.Boolean(load_default=False,
                                 metadata={"description": "applies to the line plus its non-compound taxes"})
    active = ma.fields.Boolean(dump_only=True, metadata={"description": "false: retired, offered to no Organization"})
    created_at = UtcDateTime(dump_only=True)


class TaxRateChangeSchema(ma.Schema):
    name = ma.fields.String(validate=ma.validate.Length(1, 100))
    percent = DecimalText(metadata={"description": "0 to 100, up to four places; the next invoices use it, "
                                                   "issued ones keep the tax they printed"})
    compound = ma.fields.Boolean()
    active = ma.fields.Boolean(metadata={"description": "false retires the rate; refused (409) while an "
                                                        "Organization is taxed at it"})


class OrganizationTaxSchema(ma.Schema):
    organization_id = ma.fields.Integer(dump_only=True)
    tax_rate_ids = ma.fields.List(Id(), required=True,
                                  metadata={"description": "the default rates of its invoices, replaced as a whole"})
    tax_exempt = ma.fields.Boolean(load_default=False, metadata={"description": "exempt: its invoices carry no tax"})


TaxRatePage = page_schema(TaxRateSchema, "TaxRatePage")


@dataclass
class OrganizationTax:
    organization_id: int
    tax_rate_ids: list[int]
    tax_exempt: bool


def _organization_tax(organization_id: int) -> OrganizationTax:
    organization = get_or_404(Organization, organization_id, "Organization")
    db.session.refresh(organization)
    rate_ids = sorted(db.session.execute(select(OrganizationTaxRate.tax_rate_id)
                                         .filter_by(organization_id=organization.id)).scalars())
    return OrganizationTax(organization.id, rate_ids, bool(organization.tax_exempt))


@blp.route("/tax-rates", methods=["GET"])
@roles(read=ANYONE)
@blp.arguments(PageArgs, location="query")
@blp.response(200, TaxRatePage)
def list_tax_rates(args):
    """The tax rates, by name."""
    rows, cursor = keyset_page(select(TaxRate), [Key(func.lower(TaxRate.name)), Key(TaxRate.id)], args["limit"],
                               args["cursor"], "tax-rates")
    return page_response([r.TaxRate for r in rows], cursor)


@blp.route("/tax-rates", methods=["POST"])
@roles(read=ANYONE, change=BILLING)
@idempotent
@blp.arguments(TaxRateSchema)
@blp.response(201, TaxRateSchema)
def create_tax_rate(args):
    """Create a tax rate (a duplicate name is a 409)."""
    try:
        rate = tax.create_tax_rate(args["name"], args["percent"], actor(), compound=args["compound"])
    except BillingError as err:
        db.session.rollback()
        raise taken_or_invalid(err) from None
    return rate, 201, {"Location": "/api/v1/tax-rates"}


@blp.route("/tax-rates/<id:rate_id>", methods=["GET"])
@roles(read=ANYONE)
@blp.response(200, TaxRateSchema)
def get_tax_rate(rate_id: int):
    """Read one tax rate (with its ETag)."""
    return with_etag(TaxRateSchema, get_or_404(TaxRate, rate_id, "tax rate"))


@blp.route("/tax-rates/<id:rate_id>", methods=["PATCH"])
@roles(read=ANYONE, change=BILLING)
@uses_if_match
@blp.arguments(TaxRateChangeSchema)
@blp.response(200, TaxRateSchema)
def update_tax_rate(args, rate_id: int):
    """Change a rate's name, percent or compound flag, or retire it (`active`: false). Each change is
    audited; issued invoices keep the tax they printed."""
    check_if_match(TaxRateSchema, get_or_404(TaxRate, rate_id, "tax rate"))
    try:
        rate = tax.update_tax_rate(rate_id, actor(), **args)
    except BillingError as err:
        db.session.rollback()
        raise _rate_error(err) from None
    return with_etag(TaxRateSchema, rate)


def _rate_error(err: BillingError):
    """A name taken is a 409, so is retiring a rate Organizations are taxed at; the rest a 422 naming the field."""
    if err.field == "active" and not getattr(err, "errors", None):
        return service_error(err, status=409)
    return taken_or_invalid(err)


@blp.route("/organizations/<id:organization_id>/tax", methods=["GET"])
@roles(read=BILLING)
@blp.response(200, OrganizationTaxSchema)
def get_organization_tax(organization_id: int):
    """An Organization's default tax rates and exemption (with its ETag)."""
    return with_etag(OrganizationTaxSchema, _organization_tax(organization_id))


@blp.route("/organizations/<id:organization_id>/tax", methods=["PUT"])
@roles(read=BILLING, change=BILLING)
@uses_if_match
@blp.arguments(OrganizationTaxSchema)
@blp.response(200, OrganizationTaxSchema)
def set_organization_tax(args, organization_id: int):
    """Replace an Organization's default rates and exemption; each change is audited."""
    check_if_match(OrganizationTaxSchema, _organization_tax(organization_id))
    try:
        tax.set_organization_tax(organization_id, actor(), rate_ids=args["tax_rate_ids"], exempt=args["tax_exempt"])
    except BillingError as err:
        db.session.rollback()
        raise service_error(err, ("organization_id",)) from None
    return with_etag(OrganizationTaxSchema, _organization_tax(organization_id))
