"""Mappings: a vendor customer's Organization (read with ETag, map or remap with If-Match, unmap),
suggestions and accepting them in bulk, and creating an Organization from a vendor customer."""

from __future__ import annotations

import marshmallow as ma

from hub import mapping, organizations
from hub.api.fields import Id
from hub.api.auth import actor
from hub.api.etag import check_if_match, uses_if_match, with_etag
from hub.api.idempotency import idempotent
from hub.api.problems import service_error
from hub.api.spec import Blueprint
from hub.api.vendor_customers import VendorCustomerSchema, customer_row_or_404, integration_id_of
from hub.extensions import db
from hub.web.access import ANYONE, BILLING, roles
from hub.web.mapping_query import one_row
from hub.web.suggestions import suggest

blp = Blueprint("v1_mappings", __name__, tag="Mappings")


class MappingSchema(ma.Schema):
    customer_id = Id(dump_only=True)
    organization_id = Id(required=True, allow_none=True)
    status = ma.fields.String(dump_only=True, metadata={"enum": ["mapped", "not_mapped", "detached"]})


class MapSchema(ma.Schema):
    organization_id = Id(required=True)


class NewOrganizationSchema(ma.Schema):
    name = ma.fields.String(load_default=None, validate=ma.validate.Length(1, 200), metadata={
        "description": "the new Organization's name (checked like any Organization name); "
                       "left out: the vendor customer's name"})


class PairSchema(ma.Schema):
    customer_id = Id(required=True)
    organization_id = Id(required=True)


class PairsSchema(ma.Schema):
    pairs = ma.fields.List(ma.fields.Nested(PairSchema), required=True,
                           validate=ma.validate.Length(1, mapping.BULK_LIMIT))


class FailedPairSchema(ma.Schema):
    index = ma.fields.Integer()
    customer_id = Id()
    error = ma.fields.String()
    field = ma.fields.String()


class BulkResultSchema(ma.Schema):
    mapped = ma.fields.List(ma.fields.Nested(VendorCustomerSchema))
    failed = ma.fields.List(ma.fields.Nested(FailedPairSchema))


class SuggestionSchema(ma.Schema):
    customer_id = Id()
    customer_name = ma.fields.String()
    organization_id = Id()
    organization_name = ma.fields.String()
    score = ma.fields.Float()
    reasons = ma.fields.List(ma.fields.String())


class SuggestionsSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(SuggestionSchema))


class SuggestionArgs(ma.Schema):
    vendor = ma.fields.String(required=True, validate=ma.validate.Length(1, 100))
    limit = ma.fields.Integer(load_default=100, validate=ma.validate.Range(1, mapping.BULK_LIMIT))


def _mapping(customer_id: int) -> dict:
    row = customer_row_or_404(customer_id)
    return {"customer_id": row["id"], "status": row["status"],
            "organization_id": row["organization"]["id"] if row["organization"] else None}


@blp.route("/vendor-customers/<id:customer_id>/mapping", methods=["GET"])
@roles(read=ANYONE)
@blp.response(200, MappingSchema)
def get_mapping(customer_id: int):
    """A vendor customer's mapping (with its ETag)."""
    return with_etag(MappingSchema, _mapping(customer_id))


@blp.route("/vendor-customers/<id:customer_id>/mapping", methods=["PUT"])
@roles(read=BILLING, change=BILLING)
@uses_if_match
@blp.arguments(MapSchema)
@blp.response(200, MappingSchema)
def put_mapping(args, customer_id: int):
    """Map (or remap) a vendor customer to an Organization; audited, billing recounts."""
    check_if_match(MappingSchema, _mapping(customer_id))
    try:
        mapping.map_customer(customer_id, args["organization_id"], actor())
    except mapping.MappingError as err:  # the customer exists (read above): its state clashes, or the body is wrong
        db.session.rollback()
        raise service_error(err, status=409 if err.field == "customer_id" else 422) from None
    return with_etag(MappingSchema, _mapping(customer_id))


@blp.route("/vendor-customers/<id:customer_id>/mapping", methods=["DELETE"])
@roles(read=BILLING, change=BILLING)
@uses_if_match
@blp.response(204)
def delete_mapping(customer_id: int):
    """Unmap a vendor customer (a Detached one is removed, as in the panel)."""
    current = _mapping(customer_id)
    check_if_match(MappingSchema, current)
    if current["status"] == "not_mapped":
        return None  # already so: DELETE is idempotent
    try:
        mapping.unmap_customer(customer_id, actor())
    except mapping.MappingError as err:
        db.session.rollback()
        raise service_error(err, status=409) from None
    return None


@blp.route("/vendor-customers/<id:customer_id>/create-organization", methods=["POST"])
@roles(read=BILLING, change=BILLING)
@idempotent
@blp.arguments(NewOrganizationSchema, required=False)
@blp.response(201, VendorCustomerSchema)
def create_organization_from_customer(args, customer_id: int):
    """Create an Organization from a Not mapped vendor customer and map it there: named `name` when
    given, else after the vendor customer. A name another Organization has is a 409 naming `name`."""
    customer_row_or_404(customer_id)
    try:
        customer = mapping.create_organization_from_customer(customer_id, actor(), (args or {}).get("name"))
    except mapping.MappingError as err:
        db.session.rollback()
        clash = err.field == "customer_id" or isinstance(err, organizations.DuplicateError)
        raise service_error(err, status=409 if clash else 422) from None
    return one_row(customer.id), 201, {"Location": f"/api/v1/organizations/{customer.organization_id}"}


@blp.route("/mapping-suggestions", methods=["GET"])
@roles(read=ANYONE)
@blp.arguments(SuggestionArgs, location="query")
@blp.response(200, SuggestionsSchema)
def list_suggestions(args):
    """Suggested Organizations for Not mapped customers of a vendor (by name and domain)."""
    found = suggest(integration_id_of(args["vendor"]), limit=args["limit"])
    return {"items": [s.as_dict() for s in found]}


@blp.route("/mapping-suggestions/accept", methods=["POST"])
@roles(read=BILLING, change=BILLING)
@blp.arguments(PairsSchema)
@blp.response(200, BulkResultSchema)
def accept_suggestions(args):
    """Map many customers at once; each pair succeeds or fails on its own (failures name the field)."""
    mapped_ids, failed = mapping.map_pairs(args["pairs"], actor())
    return {"mapped": [one_row(i) for i in mapped_ids], "failed": failed}
