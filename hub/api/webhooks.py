"""Webhooks (admin only): event types; endpoints (register with the secret shown once, list, read, enable or
disable and choose event types with If-Match, rotate the secret); each endpoint's delivery log; resend.

Thin over ``hub.webhooks`` (the services the panel's Admin > Webhooks page calls). There is no delete:
the service keeps endpoints and their delivery log; disable one instead. Registering takes no
``Idempotency-Key``: a stored answer would keep the signing secret in clear for a day.
"""

from __future__ import annotations

import marshmallow as ma
from sqlalchemy import select

from hub.api.auth import actor
from hub.api.etag import check_if_match, uses_if_match, with_etag
from hub.api.fields import UtcDateTime
from hub.api.paging import Key, PageArgs, keyset_page, page_response, page_schema
from hub.api.problems import clash_or_invalid, service_error
from hub.api.spec import Blueprint
from hub.extensions import db
from hub.models import EndpointState, WebhookDelivery, WebhookDeliveryStatus, WebhookEvent
from hub.web.access import ADMIN, roles
from hub.webhooks import deliveries, endpoints
from hub.webhooks.catalog import ALL, EVENT_TYPES

blp = Blueprint("v1_webhooks", __name__, tag="Webhooks")

EVENT_CHOICES = [ALL, *EVENT_TYPES]


class EventTypeSchema(ma.Schema):
    type = ma.fields.String()
    description = ma.fields.String()


class EventTypeListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(EventTypeSchema))


def _events_field(**kwargs) -> ma.fields.List:
    return ma.fields.List(ma.fields.String(validate=ma.validate.OneOf(EVENT_CHOICES)),
                          validate=ma.validate.Length(1, len(EVENT_CHOICES)),
                          metadata={"description": "event types (see /webhooks/event-types), or [\"*\"] for all"},
                          **kwargs)


class EndpointSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    url = ma.fields.String(required=True, validate=ma.validate.Length(1, 2000),
                           metadata={"description": "https, on a public address"})
    description = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=200))
    events = _events_field(required=True, attribute="event_types", data_key="events")
    enabled = ma.fields.Boolean(dump_only=True)
    state = ma.fields.String(dump_only=True, metadata={"enum": [s.value for s in EndpointState]})
    state_reason = ma.fields.String(dump_only=True, allow_none=True)
    consecutive_failures = ma.fields.Integer(dump_only=True)
    last_success_at = UtcDateTime(dump_only=True, allow_none=True)
    last_failure_at = UtcDateTime(dump_only=True, allow_none=True)
    previous_secret_until = UtcDateTime(dump_only=True, allow_none=True,
                                        metadata={"description": "the old secret still signs until then"})
    created_at = UtcDateTime(dump_only=True)
    created_by = ma.fields.String(dump_only=True, allow_none=True)


class EndpointChangeSchema(ma.Schema):
    enabled = ma.fields.Boolean()
    events = _events_field()


class NewSecretSchema(EndpointSchema):
    secret = ma.fields.String(dump_only=True, metadata={"description": "the signing secret: shown this once only"})


class AttemptSchema(ma.Schema):
    attempt = ma.fields.Integer()
    attempted_at = UtcDateTime()
    succeeded = ma.fields.Boolean()
    response_code = ma.fields.Integer(allow_none=True)
    duration_ms = ma.fields.Integer()
    error = ma.fields.String(allow_none=True)


class DeliverySchema(ma.Schema):
    id = ma.fields.Integer()
    endpoint_id = ma.fields.Integer()
    event_type = ma.fields.String(attribute="event.type")
    webhook_id = ma.fields.String(attribute="event.msg_id", metadata={"description": "the webhook-id header"})
    status = ma.fields.String(metadata={"enum": [s.value for s in WebhookDeliveryStatus]})
    attempts = ma.fields.Integer(metadata={"description": "attempts made so far"})
    last_response_code = ma.fields.Integer(allow_none=True)
    last_error = ma.fields.String(allow_none=True)
    next_attempt_at = UtcDateTime(allow_none=True)
    delivered_at = UtcDateTime(allow_none=True)
    resend_of = ma.fields.Integer(allow_none=True)
    created_at = UtcDateTime()
    attempt_log = ma.fields.List(ma.fields.Nested(AttemptSchema), metadata={"description": "oldest first"})


class DeliveryFilter(PageArgs):
    status = ma.fields.String(load_default=None, validate=ma.validate.OneOf([s.value for s in WebhookDeliveryStatus]))


EndpointPage = page_schema(EndpointSchema, "WebhookEndpointPage")
DeliveryPage = page_schema(DeliverySchema, "WebhookDeliveryPage")


def _endpoint(endpoint_id: int):
    try:
        return endpoints.get_endpoint(endpoint_id)
    except endpoints.WebhookError as err:
        raise service_error(err, ("endpoint_id",)) from None


def _with_secret(registered: endpoints.Registered):
    registered.endpoint.secret = registered.secret
    return registered.endpoint


def _with_attempts(rows: list[WebhookDelivery]) -> list[WebhookDelivery]:
    found = deliveries.attempts_of([d.id for d in rows])
    for delivery in rows:
        delivery.attempt_log = found.get(delivery.id, [])
    return rows


@blp.route("/webhooks/event-types", methods=["GET"])
@roles(read=ADMIN)
@blp.response(200, EventTypeListSchema)
def list_event_types():
    """The event types the hub sends, each with what causes it."""
    return {"items": [{"type": name, "description": text} for name, text in EVENT_TYPES.items()]}


@blp.route("/webhooks", methods=["GET"])
@roles(read=ADMIN)
@blp.arguments(PageArgs, location="query")
@blp.response(200, EndpointPage)
def list_endpoints(args):
    """Registered endpoints (never their secrets), oldest first."""
    rows, cursor = keyset_page(select(endpoints.WebhookEndpoint), [Key(endpoints.WebhookEndpoint.id)],
                               args["limit"], args["cursor"], "webhooks")
    return page_response([r.WebhookEndpoint for r in rows], cursor)


@blp.route("/webhooks", methods=["POST"])
@roles(read=ADMIN, change=ADMIN)
@blp.arguments(EndpointSchema)
@blp.response(201, NewSecretSchema)
def create_endpoint(args):
    """Register an endpoint; the answer's `secret` is the only time the signing secret is shown."""
    try:
        registered = endpoints.add_endpoint(args["url"], args["event_types"], actor(), args.get("description"))
    except endpoints.WebhookError as err:
        db.session.rollback()
        raise service_error(err) from None
    endpoint = _with_secret(registered)
    return endpoint, 201, {"Location": f"/api/v1/webhooks/{endpoint.id}"}


@blp.route("/webhooks/<id:endpoint_id>", methods=["GET"])
@roles(read=ADMIN)
@blp.response(200, EndpointSchema)
def get_endpoint(endpoint_id: int):
    """Read an endpoint (with its ETag)."""
    return with_etag(EndpointSchema, _endpoint(endpoint_id))


@blp.route("/webhooks/<id:endpoint_id>", methods=["PATCH"])
@roles(read=ADMIN, change=ADMIN)
@uses_if_match
@blp.arguments(EndpointChangeSchema)
@blp.response(200, EndpointSchema)
def update_endpoint(args, endpoint_id: int):
    """Enable or disable it (disabled: no new deliveries, no attempts), or choose its event types."""
    endpoint = _endpoint(endpoint_id)
    check_if_match(EndpointSchema, endpoint)
    try:
        if "events" in args:
            endpoint = endpoints.set_event_types(endpoint.id, args["events"], actor())
        if "enabled" in args:
            endpoint = endpoints.set_enabled(endpoint.id, args["enabled"], actor())
    except endpoints.WebhookError as err:
        db.session.rollback()
        raise service_error(err) from None
    return with_etag(EndpointSchema, endpoint)


@blp.route("/webhooks/<id:endpoint_id>/rotate-secret", methods=["POST"])
@roles(read=ADMIN, change=ADMIN)
@blp.response(200, NewSecretSchema)
def rotate_secret(endpoint_id: int):
    """A new signing secret, shown this once; the old one keeps signing alongside it for a grace time."""
    _endpoint(endpoint_id)
    return _with_secret(endpoints.rotate_secret(endpoint_id, actor()))


@blp.route("/webhooks/<id:endpoint_id>/deliveries", methods=["GET"])
@roles(read=ADMIN)
@blp.arguments(DeliveryFilter, location="query")
@blp.response(200, DeliveryPage)
def list_deliveries(args, endpoint_id: int):
    """The endpoint's delivery log, newest first: each delivery's status and every attempt (response code,
    duration)."""
    endpoint = _endpoint(endpoint_id)
    stmt = (select(WebhookDelivery).join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
            .where(WebhookDelivery.endpoint_id == endpoint.id))
    if args["status"] is not None:
        stmt = stmt.where(WebhookDelivery.status == args["status"])
    rows, cursor = keyset_page(stmt, [Key(WebhookDelivery.id, True)], args["limit"], args["cursor"],
                               f"webhook-deliveries-{endpoint.id}")
    return page_response(_with_attempts([r.WebhookDelivery for r in rows]), cursor)


@blp.route("/webhooks/deliveries/<id:delivery_id>/resend", methods=["POST"])
@roles(read=ADMIN, change=ADMIN)
@blp.response(201, DeliverySchema)
def resend(delivery_id: int):
    """Send one delivery's event again, now, as a new delivery with the same webhook-id (409 while its
    endpoint is disabled)."""
    original = db.session.get(WebhookDelivery, delivery_id)
    if original is None:
        raise service_error(endpoints.WebhookError(f"no webhook delivery with id {delivery_id}", "delivery_id"),
                            ("delivery_id",))
    try:
        again = deliveries.resend(original.id, actor())
    except endpoints.WebhookError as err:
        db.session.rollback()
        raise clash_or_invalid(err, "delivery_id") from None
    return _with_attempts([again])[0], 201
