"""Organizations: list (filter by name and ``external_ref``), create, read, change (If-Match), delete."""

from __future__ import annotations

import marshmallow as ma
from sqlalchemy import func, select

from hub import mapping, organizations
from hub.api.fields import UtcDateTime
from hub.api.auth import actor
from hub.api.etag import check_if_match, uses_if_match, with_etag
from hub.api.idempotency import idempotent
from hub.api.paging import Key, PageArgs, keyset_page, page_response, page_schema
from hub.api.problems import service_error
from hub.api.spec import Blueprint
from hub.extensions import db
from hub.models import Organization
from hub.web.access import ANYONE, BILLING, roles
from hub.web.paging import contains_ci

blp = Blueprint("v1_organizations", __name__, tag="Organizations")


class OrganizationSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    name = ma.fields.String(required=True, validate=ma.validate.Length(1, 200))
    domain = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=200))
    external_ref = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=200),
                                    metadata={"description": "your own id for it (PSA, CRM); unique when set"})
    created_at = UtcDateTime(dump_only=True)


class OrganizationChangeSchema(OrganizationSchema):
    name = ma.fields.String(validate=ma.validate.Length(1, 200))


class OrganizationFilter(PageArgs):
    q = ma.fields.String(load_default=None, validate=ma.validate.Length(max=200),
                         metadata={"description": "part of the name or domain"})
    external_ref = ma.fields.String(load_default=None, validate=ma.validate.Length(max=200))


OrganizationPage = page_schema(OrganizationSchema, "OrganizationPage")


def _get(organization_id: int) -> Organization:
    try:
        return organizations.get_organization(organization_id)
    except mapping.MappingError as err:
        raise service_error(err, ("organization_id",)) from None


def _conflict_or_invalid(err) -> int:
    return 409 if isinstance(err, organizations.DuplicateError) else 422


@blp.route("/organizations", methods=["GET"])
@roles(read=ANYONE)
@blp.arguments(OrganizationFilter, location="query")
@blp.response(200, OrganizationPage)
def list_organizations(args):
    """List Organizations by name."""
    stmt = select(Organization)
    if args["q"]:
        stmt = stmt.where(contains_ci(Organization.name, args["q"]) | contains_ci(Organization.domain, args["q"]))
    if args["external_ref"] is not None:
        stmt = stmt.where(Organization.external_ref == args["external_ref"])
    rows, cursor = keyset_page(stmt, [Key(func.lower(Organization.name)), Key(Organization.id)], args["limit"],
                               args["cursor"], "organizations")
    return page_response([r.Organization for r in rows], cursor)


@blp.route("/organizations", methods=["POST"])
@roles(read=BILLING, change=BILLING)
@idempotent
@blp.arguments(OrganizationSchema)
@blp.response(201, OrganizationSchema)
def create_organization(args):
    """Create an Organization."""
    try:
        domain = organizations.clean_domain(args.get("domain"))
        organization = mapping.create_organization(args["name"], actor(), domain=domain,
                                                   external_ref=args.get("external_ref"))
    except mapping.MappingError as err:
        db.session.rollback()
        raise service_error(err, status=_conflict_or_invalid(err)) from None
    return with_etag(OrganizationSchema, organization, 201, {"Location": f"/api/v1/organizations/{organization.id}"})


@blp.route("/organizations/<id:organization_id>", methods=["GET"])
@roles(read=ANYONE)
@blp.response(200, OrganizationSchema)
def get_organization(organization_id: int):
    """Read an Organization (with its ETag)."""
    return with_etag(OrganizationSchema, _get(organization_id))


@blp.route("/organizations/<id:organization_id>", methods=["PATCH"])
@roles(read=BILLING, change=BILLING)
@uses_if_match
@blp.arguments(OrganizationChangeSchema(partial=True))
@blp.response(200, OrganizationSchema)
def update_organization(args, organization_id: int):
    """Change name, domain or external_ref."""
    organization = _get(organization_id)
    check_if_match(OrganizationSchema, organization)
    try:
        organization = organizations.update_organization(organization.id, actor(), **args)
    except mapping.MappingError as err:
        db.session.rollback()
        raise service_error(err, status=_conflict_or_invalid(err)) from None
    return with_etag(OrganizationSchema, organization)


@blp.route("/organizations/<id:organization_id>", methods=["DELETE"])
@roles(read=BILLING, change=BILLING)
@uses_if_match
@blp.response(204)
def delete_organization(organization_id: int):
    """Delete an Organization that has no vendor customers, recurring invoices or invoices (else 409)."""
    organization = _get(organization_id)
    check_if_match(OrganizationSchema, organization)
    try:
        organizations.delete_organization(organization.id, actor())
    except mapping.MappingError as err:
        db.session.rollback()
        raise service_error(err, status=409) from None
    return None
