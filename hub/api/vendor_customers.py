"""Vendor customers of one vendor: filter by map status, search, sort, cursor pages, status counts.

The rows are the Customer Mapping table's (``hub.web.mapping_query``); ids are those ``hub customers
SLUG --json`` prints.
"""

from __future__ import annotations

from datetime import timezone

import marshmallow as ma
from flask import jsonify
from sqlalchemy import case, func

from hub import integrations, mapping
from hub.api.fields import DecimalText, Id, UtcDateTime
from hub.api.paging import Key, PageArgs, keyset_page, page_response, page_schema
from hub.api.problems import fail
from hub.api.spec import Blueprint
from hub.billing.usage_report import count_history
from hub.extensions import db
from hub.models import MapStatus, Organization, VendorCustomer, VendorSku
from hub.web.access import ANYONE, roles
from hub.web.mapping_query import STATUS_ORDER, TableQuery, filters, licenses_for, one_row, row_dict, row_select, status_counts

blp = Blueprint("v1_vendor_customers", __name__, tag="Vendor customers")

SORTS = ("name", "status", "organization", "vendor_status", "external_id")
STATUSES = [s.value for s in MapStatus]


class LicenseSchema(ma.Schema):
    sku = ma.fields.String()
    name = ma.fields.String()
    quantity = ma.fields.String(metadata={"description": "a decimal number as text"})
    extra = ma.fields.Dict(metadata={"description": "the plugin's facts about the count (say Pax8's billing "
                                                    "terms); empty when it gave none"})
    details = ma.fields.String(metadata={"description": "extra as one line of text, as the panel shows it"})


class OrganizationRefSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()


class VendorCustomerSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    external_id = ma.fields.String(metadata={"description": "the vendor's own id"})
    domain = ma.fields.String(allow_none=True)
    vendor_status = ma.fields.String()
    status = ma.fields.String(metadata={"enum": STATUSES, "description": "map status"})
    status_label = ma.fields.String()
    organization = ma.fields.Nested(OrganizationRefSchema, allow_none=True)
    count_error = ma.fields.String(allow_none=True)
    licenses = ma.fields.List(ma.fields.Nested(LicenseSchema))


class PastMappingSchema(ma.Schema):
    organization = ma.fields.Nested(OrganizationRefSchema)
    mapped_from = UtcDateTime(allow_none=True, metadata={
        "description": "null: the customer's first Organization, which holds its history from the beginning"})
    mapped_until = UtcDateTime(metadata={"description": "when it was remapped, unmapped or archived"})


class VendorCustomerDetailSchema(VendorCustomerSchema):
    past_mappings = ma.fields.List(ma.fields.Nested(PastMappingSchema), metadata={
        "description": "the Organizations it belonged to before, oldest first: past periods count it for them"})


class CountsSchema(ma.Schema):
    mapped = ma.fields.Integer()
    not_mapped = ma.fields.Integer()
    detached = ma.fields.Integer()


class VendorCustomerPage(page_schema(VendorCustomerSchema, "VendorCustomerPageBase")):
    counts = ma.fields.Nested(CountsSchema, metadata={"description": "with include=counts"})


class CustomerFilter(PageArgs):
    vendor = ma.fields.String(required=True, validate=ma.validate.Length(1, 100))
    status = ma.fields.String(load_default="", validate=ma.validate.OneOf(["", *STATUSES]))
    q = ma.fields.String(load_default="", validate=ma.validate.Length(max=200),
                         metadata={"description": "part of the name, external id or Organization name"})
    sort = ma.fields.String(load_default="name", validate=ma.validate.OneOf([*SORTS, *("-" + s for s in SORTS)]),
                            metadata={"description": "a leading - sorts descending; `organization` sorts by the "
                                                         "Organization's name, customers without one last "
                                                         "either way"})
    include = ma.fields.String(load_default="", validate=ma.validate.OneOf(["", "counts"]))


def _keys(sort: str) -> list[Key]:
    desc = sort.startswith("-")
    name = func.lower(VendorCustomer.name)
    rank = case(*((VendorCustomer.map_status == value, n) for value, n in STATUS_ORDER.items()), else_=9)
    if sort.lstrip("-") == "organization":
        # as the panel: rows without an Organization last in both directions (a key that never turns
        # with the direction), then by name; keys are never NULL, so the cursor compares them safely
        unmapped = case((VendorCustomer.organization_id.is_(None), 1), else_=0)
        organization = func.lower(func.coalesce(Organization.name, ""))
        return [Key(unmapped), Key(organization, desc), Key(name, desc), Key(VendorCustomer.id, desc)]
    exprs = {"name": [name], "status": [rank, name], "vendor_status": [VendorCustomer.vendor_status, name],
             "external_id": [VendorCustomer.external_id]}[sort.lstrip("-")]
    return [Key(e, desc) for e in exprs] + [Key(VendorCustomer.id, desc)]


def integration_id_of(slug: str) -> int:
    found = integrations.get_integration(slug)
    if found is None:
        fail(422, f"no vendor integration named {slug!r}", field="vendor", location="query")
    return found.id


@blp.route("/vendor-customers", methods=["GET"])
@roles(read=ANYONE)
@blp.arguments(CustomerFilter, location="query")
@blp.response(200, VendorCustomerPage)
def list_vendor_customers(args):
    """List one vendor's customers with their map status, Organization and license counts."""
    integration_id = integration_id_of(args["vendor"])
    query = TableQuery.clean(integration_id, args["q"], "name", "asc", args["status"], 1, args["limit"])
    stmt = row_select().where(*filters(query))
    rows, cursor = keyset_page(stmt, _keys(args["sort"]), args["limit"], args["cursor"], f"vc:{args['sort']}")
    licenses = licenses_for([r.id for r in rows])
    body, status, headers = page_response([row_dict(r, licenses.get(r.id, [])) for r in rows], cursor)
    if args["include"] == "counts":
        body["counts"] = status_counts(integration_id)
    # the rows are plain JSON already: sent as they are, without a second pass through the schema
    # (the schema still documents them, and the Schemathesis test checks they match it)
    response = jsonify(body)
    response.headers.update(headers)
    return response


def customer_row_or_404(customer_id: int) -> dict:
    row = one_row(customer_id)
    if row is None:
        fail(404, f"vendor customer {customer_id} does not exist")
    return row


@blp.route("/vendor-customers/<id:customer_id>", methods=["GET"])
@roles(read=ANYONE)
@blp.response(200, VendorCustomerDetailSchema)
def get_vendor_customer(customer_id: int):
    """Read one vendor customer, with the Organizations it belonged to before."""
    return {**customer_row_or_404(customer_id), "past_mappings": mapping.past_mappings(customer_id)}


class HistoryArgs(ma.Schema):
    sku_id = Id(load_default=None, metadata={"description": "only this SKU's counts"})
    since = UtcDateTime(load_default=None, metadata={"description": "only changes recorded at or after this time"})


class HistoryPointSchema(ma.Schema):
    recorded_at = UtcDateTime(metadata={"description": "when a sync recorded the count"})
    sku = ma.fields.String()
    quantity = DecimalText()
    previous_quantity = DecimalText(allow_none=True, metadata={"description": "null: the first count of the SKU"})
    sync_run_id = ma.fields.Integer(allow_none=True)


class HistorySchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(HistoryPointSchema), metadata={"description": "oldest first"})


@blp.route("/vendor-customers/<id:customer_id>/history", methods=["GET"])
@roles(read=ANYONE)
@blp.arguments(HistoryArgs, location="query")
@blp.response(200, HistorySchema)
def get_count_history(args, customer_id: int):
    """How the vendor customer's counts moved over time, per SKU (the usage report's history page)."""
    if db.session.get(VendorCustomer, customer_id) is None:  # existence only: not the whole mapping row
        fail(404, f"vendor customer {customer_id} does not exist")
    if args["sku_id"] is not None and db.session.get(VendorSku, args["sku_id"]) is None:
        fail(404, f"no SKU with id {args['sku_id']}")
    since = args["since"]
    if since is not None and since.tzinfo is not None:  # the hub keeps naive UTC
        since = since.astimezone(timezone.utc).replace(tzinfo=None)
    return {"items": count_history(customer_id, args["sku_id"], since)}
