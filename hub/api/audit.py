"""The audit log: who changed what, from which value to which, filtered, newest first."""

from __future__ import annotations

import marshmallow as ma
from sqlalchemy import select

from hub.api.fields import Id, UtcDateTime
from hub.api.paging import Key, PageArgs, keyset_page, page_response, page_schema
from hub.api.spec import Blueprint
from hub.models import AuditEvent, VendorIntegration
from hub.web.access import ANYONE, roles

blp = Blueprint("v1_audit", __name__, tag="Audit log")


class AuditEventSchema(ma.Schema):
    id = ma.fields.Integer()
    occurred_at = UtcDateTime()
    actor_type = ma.fields.String()
    actor = ma.fields.String()
    user_id = ma.fields.Integer(allow_none=True)
    sync_run_id = Id(allow_none=True)
    integration_id = Id(allow_none=True)
    action = ma.fields.String()
    entity_type = ma.fields.String()
    entity_id = ma.fields.String(allow_none=True)
    field = ma.fields.String(allow_none=True)
    old_value = ma.fields.String(allow_none=True)
    new_value = ma.fields.String(allow_none=True)
    details = ma.fields.Dict(allow_none=True)


class AuditFilter(PageArgs):
    action = ma.fields.String(load_default=None, validate=ma.validate.Length(1, 60),
                              metadata={"description": "exact, or a prefix ending in a dot: `mapping.`"})
    entity_type = ma.fields.String(load_default=None, validate=ma.validate.Length(1, 40))
    entity_id = ma.fields.String(load_default=None, validate=ma.validate.Length(1, 60))
    actor_type = ma.fields.String(load_default=None, validate=ma.validate.Length(1, 20))
    vendor = ma.fields.String(load_default=None, validate=ma.validate.Length(1, 100))
    sync_run_id = Id(load_default=None)
    since = ma.fields.DateTime(load_default=None)
    until = ma.fields.DateTime(load_default=None)


AuditPage = page_schema(AuditEventSchema, "AuditEventPage")


@blp.route("/audit-events", methods=["GET"])
@roles(read=ANYONE)
@blp.arguments(AuditFilter, location="query")
@blp.response(200, AuditPage)
def list_events(args):
    """Audit events, newest first."""
    stmt = select(AuditEvent)
    action = args["action"]
    if action:
        stmt = stmt.where(AuditEvent.action.startswith(action, autoescape=True) if action.endswith(".")
                          else AuditEvent.action == action)
    for field in ("entity_type", "entity_id", "actor_type", "sync_run_id"):
        if args[field] is not None:
            stmt = stmt.where(getattr(AuditEvent, field) == args[field])
    if args["vendor"]:
        stmt = stmt.join(VendorIntegration, VendorIntegration.id == AuditEvent.integration_id).where(
            VendorIntegration.slug == args["vendor"])
    if args["since"] is not None:
        stmt = stmt.where(AuditEvent.occurred_at >= args["since"].replace(tzinfo=None))
    if args["until"] is not None:
        stmt = stmt.where(AuditEvent.occurred_at < args["until"].replace(tzinfo=None))
    rows, cursor = keyset_page(stmt, [Key(AuditEvent.id, True)], args["limit"], args["cursor"], "audit")
    return page_response([r.AuditEvent for r in rows], cursor)
