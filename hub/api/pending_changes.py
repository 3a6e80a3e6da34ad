"""Held quantity changes: list, approve, reject, one or many at once (all or nothing)."""

from __future__ import annotations

import marshmallow as ma

from hub import integrations
from hub.api.auth import actor
from hub.api.fields import DecimalText, Id, UtcDateTime
from hub.api.problems import clash_or_invalid, get_or_404, service_error
from hub.api.spec import Blueprint
from hub.billing import pending
from hub.billing.errors import BillingError
from hub.extensions import db
from hub.models import ChangeStatus, QuantityChange
from hub.web.access import ANYONE, BILLING, roles

blp = Blueprint("v1_pending_changes", __name__, tag="Pending changes")


class ChangeSchema(ma.Schema):
    id = ma.fields.Integer()
    line_id = ma.fields.Integer()
    status = ma.fields.String(metadata={"enum": [s.value for s in ChangeStatus]})
    old_quantity = DecimalText(dump_only=True)
    new_quantity = DecimalText(dump_only=True)
    reasons = ma.fields.List(ma.fields.Raw())
    cause = ma.fields.String()
    sync_run_id = Id(allow_none=True)
    evidence = ma.fields.Dict()
    created_at = UtcDateTime()
    created_by = ma.fields.String()
    decided_at = UtcDateTime(allow_none=True)
    decided_by = ma.fields.String(allow_none=True)
    decision_note = ma.fields.String(allow_none=True)


class PendingSchema(ChangeSchema):
    recurring_invoice_id = Id()
    organization_id = Id()
    organization = ma.fields.String()
    vendor = ma.fields.String()
    product_code = ma.fields.String()
    product_name = ma.fields.String()


class PendingListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(PendingSchema))


class ChangeListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(ChangeSchema))


class PendingFilter(ma.Schema):
    vendor = ma.fields.String(load_default=None, validate=ma.validate.Length(1, 100))
    organization_id = Id(load_default=None)
    limit = ma.fields.Integer(load_default=500, validate=ma.validate.Range(1, 1000))


class NoteSchema(ma.Schema):
    note = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=2000))


class DecideSchema(NoteSchema):
    action = ma.fields.String(required=True, validate=ma.validate.OneOf(["approve", "reject"]))
    change_ids = ma.fields.List(Id(), required=True, validate=ma.validate.Length(1, 1000))


def _view(view: pending.PendingView) -> dict:
    return {**{name: getattr(view.change, name) for name in ChangeSchema._declared_fields}, "recurring_invoice_id": view.recurring_invoice_id,
            "organization_id": view.organization_id, "organization": view.organization, "vendor": view.vendor,
            "product_code": view.product_code, "product_name": view.product_name}


@blp.route("/pending-changes", methods=["GET"])
@roles(read=ANYONE)
@blp.arguments(PendingFilter, location="query")
@blp.response(200, PendingListSchema)
def list_pending(args):
    """Held changes, oldest first, with their evidence."""
    integration_id = None
    if args["vendor"]:
        found = integrations.get_integration(args["vendor"])
        integration_id = found.id if found else -1
    views = pending.list_pending_changes(integration_id=integration_id, organization_id=args["organization_id"],
                                         limit=args["limit"])
    return {"items": [_view(v) for v in views]}


def _decide(change_ids, approve: bool, note, path_field: str | None):
    try:
        return pending.decide_changes(change_ids, approve, actor(), note)
    except BillingError as err:
        db.session.rollback()
        if path_field:
            raise clash_or_invalid(err, "change_ids") from None
        raise service_error(err, status=409 if err.field == "change_ids" else 422) from None


@blp.route("/pending-changes/<id:change_id>/approve", methods=["POST"])
@roles(read=BILLING, change=BILLING)
@blp.arguments(NoteSchema)
@blp.response(200, ChangeSchema)
def approve(args, change_id: int):
    """Apply a held change to its line."""
    get_or_404(QuantityChange, change_id, "quantity change")
    return _decide([change_id], True, args["note"], "change_id")[0]


@blp.route("/pending-changes/<id:change_id>/reject", methods=["POST"])
@roles(read=BILLING, change=BILLING)
@blp.arguments(NoteSchema)
@blp.response(200, ChangeSchema)
def reject(args, change_id: int):
    """Keep the line's quantity; the same count is not held again."""
    get_or_404(QuantityChange, change_id, "quantity change")
    return _decide([change_id], False, args["note"], "change_id")[0]


@blp.route("/pending-changes/decide", methods=["POST"])
@roles(read=BILLING, change=BILLING)
@blp.arguments(DecideSchema)
@blp.response(200, ChangeListSchema)
def decide(args):
    """Approve or reject many at once; all or nothing (a change no longer pending is a 409)."""
    return {"items": _decide(args["change_ids"], args["action"] == "approve", args["note"], None)}
