"""Recurring invoices and their lines: CRUD with ETag/If-Match, and "issue now" (the invoice run for one)."""

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
from hub.billing import recurring
from hub.billing.errors import BillingError
from hub.billing.invoicing import issue_now
from hub.extensions import db
from hub.models import Frequency, LineKind, PeriodMode, Proration, QuantityBasis, RecurringInvoice, RecurringLine
from hub.web.access import ANYONE, BILLING, roles

blp = Blueprint("v1_recurring", __name__, tag="Recurring invoices")


class LineSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    recurring_invoice_id = Id(dump_only=True)
    position = ma.fields.Integer(validate=ma.validate.Range(0, 10_000))
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf([k.value for k in LineKind]),
                            metadata={"description": "vendor: the quantity follows the vendor's license counts"})
    product_id = Id(required=True)
    description = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=300))
    quantity = DecimalText(metadata={"description": "standard lines only; a vendor line counts it"})
    integration_id = Id(allow_none=True, metadata={"description": "vendor lines: whose counts"})
    min_quantity = DecimalText(allow_none=True)
    unit_price_override = DecimalText(allow_none=True)
    markup_pct = DecimalText(allow_none=True)
    do_not_bill = ma.fields.Boolean()
    override_policy = ma.fields.Boolean()
    hold_decrease_over_seats = ma.fields.Integer(allow_none=True, validate=ma.validate.Range(0, 1_000_000))
    hold_decrease_over_pct = DecimalText(allow_none=True)
    basis = ma.fields.String(validate=ma.validate.OneOf([b.value for b in QuantityBasis]), metadata={
        "description": "vendor lines: what the line bills over its invoice's period: the count at issue "
                       "(default: on the invoice's issue day, the period's first day in advance and its last in "
                       "arrears, from the count history when the invoice is made later), the peak, the daily "
                       "average or the count at the period's end"})
    archived_at = UtcDateTime(dump_only=True, allow_none=True)
    updated_at = UtcDateTime(dump_only=True)


class LineChangeSchema(LineSchema):
    kind = ma.fields.String(validate=ma.validate.OneOf([k.value for k in LineKind]))
    product_id = Id()


class RecurringSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    organization_id = Id(required=True)
    name = ma.fields.String(validate=ma.validate.Length(1, 200))
    frequency = ma.fields.String(validate=ma.validate.OneOf([f.value for f in Frequency]))
    period_mode = ma.fields.String(validate=ma.validate.OneOf([p.value for p in PeriodMode]))
    next_run_date = ma.fields.Date(required=True)
    anchor_day = ma.fields.Integer(dump_only=True)
    currency = ma.fields.String(validate=ma.validate.Regexp(r"^[A-Za-z]{3}$"))
    memo = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=5000))
    due_days = ma.fields.Integer(validate=ma.validate.Range(0, 365))
    auto_issue = ma.fields.Boolean()
    active = ma.fields.Boolean()
    proration = ma.fields.String(validate=ma.validate.OneOf([p.value for p in Proration]), metadata={
        "description": "in advance only: off, increases (charged pro rata by days on the next invoice) or "
                       "credits (also decreases the hold policy lets through, credited pro rata)"})
    lines = ma.fields.Method("live_lines", dump_only=True,
                             metadata={"type": "array", "items": {"$ref": "#/components/schemas/Line"}})
    updated_at = UtcDateTime(dump_only=True)

    def live_lines(self, obj):
        return LineSchema(many=True).dump(sorted((ln for ln in obj.lines if ln.archived_at is None),
                                                 key=lambda ln: (ln.position, ln.id)))


class RecurringChangeSchema(RecurringSchema):
    organization_id = Id(dump_only=True)
    next_run_date = ma.fields.Date()


class RecurringFilter(PageArgs):
    organization_id = Id(load_default=None)
    active = ma.fields.Boolean(load_default=None)


class IssueResultSchema(ma.Schema):
    issued = ma.fields.List(ma.fields.Integer(), metadata={"description": "ids of issued invoices"})
    drafts = ma.fields.List(ma.fields.Integer(), metadata={"description": "ids of drafts (auto_issue off)"})
    nothing_to_bill = ma.fields.Boolean()
    skipped = ma.fields.List(ma.fields.String())


RecurringPage = page_schema(RecurringSchema, "RecurringInvoicePage")


def _recurring(recurring_id: int) -> RecurringInvoice:
    return get_or_404(RecurringInvoice, recurring_id, "recurring invoice")


def _line(line_id: int) -> RecurringLine:
    line = get_or_404(RecurringLine, line_id, "recurring line")
    if line.archived_at is not None:
        get_or_404(RecurringLine, -1, "recurring line")  # removed lines are gone for the API
    return line


def _call(path_field: str, call, *args, **kwargs):
    try:
        return call(*args, **kwargs)
    except BillingError as err:
        db.session.rollback()
        raise clash_or_invalid(err, path_field) from None


@blp.route("/recurring-invoices", methods=["GET"])
@roles(read=ANYONE)
@blp.arguments(RecurringFilter, location="query")
@blp.response(200, RecurringPage)
def list_recurring(args):
    """Recurring invoices with their lines."""
    stmt = select(RecurringInvoice)
    if args["organization_id"] is not None:
        stmt = stmt.where(RecurringInvoice.organization_id == args["organization_id"])
    if args["active"] is not None:
        stmt = stmt.where(RecurringInvoice.active.is_(args["active"]))
    rows, cursor = keyset_page(stmt, [Key(RecurringInvoice.id)], args["limit"], args["cursor"], "recurring")
    return page_response([r.RecurringInvoice for r in rows], cursor)


@blp.route("/recurring-invoices", methods=["POST"])
@roles(read=BILLING, change=BILLING)
@idempotent
@blp.arguments(RecurringSchema)
@blp.response(201, RecurringSchema)
def create_recurring(args):
    """A new schedule for an Organization, anchored on the day of next_run_date."""
    organization_id = args.pop("organization_id")
    active = args.pop("active", None)
    item = _call("recurring_id", recurring.create_recurring_invoice, organization_id, actor(), **args)
    if active is False:
        item = _call("recurring_id", recurring.update_recurring_invoice, item.id, actor(), active=False)
    return with_etag(RecurringSchema, item, 201, {"Location": f"/api/v1/recurring-invoices/{item.id}"})


@blp.route("/recurring-invoices/<id:recurring_id>", methods=["GET"])
@roles(read=ANYONE)
@blp.response(200, RecurringSchema)
def get_recurring(recurring_id: int):
    """One recurring invoice with its lines (the ETag covers both)."""
    return with_etag(RecurringSchema, _recurring(recurring_id))


@blp.route("/recurring-invoices/<id:recurring_id>", methods=["PATCH"])
@roles(read=BILLING, change=BILLING)
@uses_if_match
@blp.arguments(RecurringChangeSchema(partial=True))
@blp.response(200, RecurringSchema)
def update_recurring(args, recurring_id: int):
    """Change some fields; a new next_run_date also moves the anchor day."""
    check_if_match(RecurringSchema, _recurring(recurring_id))
    return with_etag(RecurringSchema, _call("recurring_id", recurring.update_recurring_invoice, recurring_id,
                                            actor(), **args))


@blp.route("/recurring-invoices/<id:recurring_id>", methods=["DELETE"])
@roles(read=BILLING, change=BILLING)
@uses_if_match
@blp.response(204)
def delete_recurring(recurring_id: int):
    """Delete a schedule that never issued an invoice (409 otherwise: deactivate it instead)."""
    check_if_match(RecurringSchema, _recurring(recurring_id))
    _call("recurring_id", recurring.delete_recurring_invoice, recurring_id, actor())
    return None


@blp.route("/recurring-invoices/<id:recurring_id>/lines", methods=["POST"])
@roles(read=BILLING, change=BILLING)
@idempotent
@blp.arguments(LineSchema)
@blp.response(201, LineSchema)
def add_line(args, recurring_id: int):
    """Add a standard line (quantity) or a vendor line (integration_id; its quantity is counted now)."""
    _recurring(recurring_id)
    line = _call("recurring_id", recurring.add_line, recurring_id, actor(), kind=args.pop("kind"),
                 product_id=args.pop("product_id"), **args)
    return with_etag(LineSchema, line, 201, {"Location": f"/api/v1/recurring-lines/{line.id}"})


@blp.route("/recurring-lines/<id:line_id>", methods=["GET"])
@roles(read=ANYONE)
@blp.response(200, LineSchema)
def get_line(line_id: int):
    """One line."""
    return with_etag(LineSchema, _line(line_id))


@blp.route("/recurring-lines/<id:line_id>", methods=["PATCH"])
@roles(read=BILLING, change=BILLING)
@uses_if_match
@blp.arguments(LineChangeSchema(partial=True))
@blp.response(200, LineSchema)
def update_line(args, line_id: int):
    """Change a line; a vendor line recounts when what it counts changed."""
    check_if_match(LineSchema, _line(line_id))
    return with_etag(LineSchema, _call("line_id", recurring.update_line, line_id, actor(), **args))


@blp.route("/recurring-lines/<id:line_id>", methods=["DELETE"])
@roles(read=BILLING, change=BILLING)
@uses_if_match
@blp.response(204)
def delete_line(line_id: int):
    """Remove a line (one that was invoiced is archived, so its invoices keep their link)."""
    check_if_match(LineSchema, _line(line_id))
    _call("line_id", recurring.remove_line, line_id, actor())
    return None


@blp.route("/recurring-invoices/<id:recurring_id>/issue-now", methods=["POST"])
@roles(read=BILLING, change=BILLING)
@idempotent
@blp.response(200, IssueResultSchema)
def issue_recurring_now(recurring_id: int):
    """Run the invoice run for this recurring invoice today, when it is due (409 when it is not)."""
    _recurring(recurring_id)
    result = _call("recurring_id", issue_now, recurring_id, actor())
    return {"issued": result.issued, "drafts": result.drafts, "nothing_to_bill": bool(result.empty),
            "skipped": [why for _rid, why in result.skipped]}
