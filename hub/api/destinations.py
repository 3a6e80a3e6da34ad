"""Accounting destinations (QuickBooks Online, Xero): connections with their state, settings, enable,
account choice and disconnect; the mapping tables (Organization, product, tax rate -> the provider's
customer, item, tax code); and the push queue ("push now", "push all pending").

Thin over ``hub.destinations`` (the services the panel's destination pages call; every rule, check
and audit record lives there). Roles as the panel's: everyone reads, admins configure and connect,
billing maps and pushes. "Connect" itself is the browser's OAuth redirect and cannot be an API call:
each destination names the panel page that starts it and the callback URL to register.
"""

from __future__ import annotations

import marshmallow as ma
from flask import url_for

from hub import integrations
from hub.api.auth import actor
from hub.api.fields import Id, UtcDateTime
from hub.api.invoices import PushSchema
from hub.api.paging import Key, PageArgs, keyset_page, page_response, page_schema
from hub.api.problems import Problem, fail, field_error, service_error
from hub.api.spec import Blueprint
from hub.billing import credit_notes
from hub.destinations import connections, mappings, oauth, queue
from hub.extensions import db
from hub.models import DestinationConnection, DestinationPush, MappingKind, PushState
from hub.plugins import VendorAuthError, VendorError, VendorUnavailableError
from hub.web.access import ADMIN, ANYONE, BILLING, roles
from hub.web.schema_form import form_fields

blp = Blueprint("v1_destinations", __name__, tag="Destinations")

KINDS = [k.value for k in MappingKind]
CONNECT_HELP = ("Connecting is the provider's sign-in in an admin's browser (OAuth 2.0): open `connect_page`, "
                "save the settings and press Connect. Register `callback_url` as the redirect URI of the OAuth "
                "app at the provider.")


class AccountChoiceSchema(ma.Schema):
    account_id = ma.fields.String()
    name = ma.fields.String()


class ConnectSchema(ma.Schema):
    connect_page = ma.fields.String(metadata={"description": "the panel page whose Connect button signs in"})
    callback_url = ma.fields.String(metadata={"description": "the OAuth redirect URI to register at the provider"})
    help = ma.fields.String()


class DestinationSchema(ma.Schema):
    slug = ma.fields.String()
    display_name = ma.fields.String()
    configured = ma.fields.Boolean()
    enabled = ma.fields.Boolean()
    state = ma.fields.String(metadata={"enum": ["not_connected", "choose_account", "connected", "needs_reconnect",
                                                "disabled"],
                                       "description": "needs_reconnect: the provider refused the refresh token; "
                                                      "pushes wait until an admin connects again"})
    state_message = ma.fields.String(allow_none=True)
    account_id = ma.fields.String(allow_none=True, metadata={"description": "QuickBooks realm / Xero tenant"})
    account_name = ma.fields.String(allow_none=True)
    account_choices = ma.fields.List(ma.fields.Nested(AccountChoiceSchema),
                                     metadata={"description": "while state is choose_account"})
    connected_at = UtcDateTime(allow_none=True)
    waiting = ma.fields.Integer(metadata={"description": "pushes queued, retrying or blocked"})
    connect = ma.fields.Nested(ConnectSchema)


class DestinationListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(DestinationSchema))


class DestinationConfigurationSchema(ma.Schema):
    settings = ma.fields.Dict(metadata={"description": "the settings that are not secret"})
    secrets_set = ma.fields.List(ma.fields.String(), metadata={"description": "secret fields that have a value"})


class DestinationConfigureSchema(ma.Schema):
    settings = ma.fields.Dict(required=True, metadata={"description": "field: value; a secret left out or empty "
                                                                        "keeps its stored value"})


class DestinationAccountSchema(ma.Schema):
    account_id = ma.fields.String(required=True, validate=ma.validate.Length(1, 100))


class DisconnectedSchema(ma.Schema):
    destination = ma.fields.Nested(DestinationSchema)
    revoked = ma.fields.Boolean(metadata={"description": "the provider confirmed the tokens are revoked"})
    message = ma.fields.String(allow_none=True, metadata={"description": "why the tokens may still be valid "
                                                                         "at the provider (revoke them there)"})


class MappingRowSchema(ma.Schema):
    local_key = ma.fields.String(metadata={"description": "Organization, product or tax rate id; 'exempt' for "
                                                          "lines with no tax"})
    label = ma.fields.String()
    status = ma.fields.String(metadata={"enum": ["mapped", "suggested", "not_mapped"]})
    external_id = ma.fields.String(allow_none=True)
    external_name = ma.fields.String(allow_none=True)
    source = ma.fields.String(allow_none=True, metadata={"enum": ["auto", "created", "manual", "migrated", None]})


class MappingListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(MappingRowSchema))


class SuggestedSchema(ma.Schema):
    suggested = ma.fields.Integer(metadata={"description": "new suggestions, waiting for confirmation"})
    items = ma.fields.List(ma.fields.Nested(MappingRowSchema))


class MappingConfirmSchema(ma.Schema):
    local_keys = ma.fields.List(ma.fields.String(validate=ma.validate.Length(1, 100)), required=True,
                                validate=ma.validate.Length(1, 1000))


class ConfirmedSchema(ma.Schema):
    confirmed = ma.fields.Integer()


class SetMappingSchema(ma.Schema):
    external_id = ma.fields.String(required=True, validate=ma.validate.Length(1, 100))
    external_name = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=300))


class PushFilter(PageArgs):
    state = ma.fields.String(load_default=None, validate=ma.validate.OneOf([s.value for s in PushState]))
    destination = ma.fields.String(load_default=None, validate=ma.validate.Length(1, 40))
    invoice_id = Id(load_default=None)
    credit_note_id = Id(load_default=None)


class QueuedPushSchema(PushSchema):
    invoice_id = ma.fields.Integer(allow_none=True, metadata={"description": "null for a credit note's push"})
    invoice_number = ma.fields.String(attribute="invoice.number", allow_none=True)
    credit_note_id = ma.fields.Integer(allow_none=True, metadata={"description": "null for an invoice's push"})
    credit_note_number = ma.fields.Function(
        lambda push: credit_notes.label(push.credit_note.number) if push.credit_note_id is not None else None,
        allow_none=True, metadata={"type": "string"})
    reason = ma.fields.String(attribute="last_error", allow_none=True, dump_only=True,
                              metadata={"description": "why it waits (the field at fault is `error_field`)"})


class PushAllSchema(ma.Schema):
    destination = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(1, 40),
                                   metadata={"description": "one destination's slug; all when left out"})


class PushAllResultSchema(ma.Schema):
    count = ma.fields.Integer(metadata={"description": "waiting pushes made due; the next push run sends them"})


PushPage = page_schema(QueuedPushSchema, "DestinationPushPage")


# -- helpers -----------------------------------------------------------------------------------------


def _plugin_or_404(slug: str):
    plugin = integrations.registry().destinations.get(slug)
    if plugin is None:
        fail(404, f"no destination plugin named {slug!r}")
    return plugin


def _waiting(connection_ids: list[int]) -> dict[int, int]:
    if not connection_ids:
        return {}
    rows = db.session.execute(db.select(DestinationPush.connection_id, db.func.count())
                              .where(DestinationPush.connection_id.in_(connection_ids),
                                     DestinationPush.state.in_(queue.WAITING))
                              .group_by(DestinationPush.connection_id))
    return dict(rows.all())


def _describe(plugin, connection: DestinationConnection | None, waiting: int) -> dict:
    return {"slug": plugin.slug, "display_name": plugin.info.display_name,
            "configured": bool(connection and (connection.settings or connection.secrets_token)),
            "enabled": bool(connection and connection.enabled),
            "state": connection.state if connection else "not_connected",
            "state_message": connection.state_message if connection else None,
            "account_id": connection.account_id if connection else None,
            "account_name": connection.account_name if connection else None,
            "account_choices": (connection.account_choices or []) if connection else [],
            "connected_at": connection.connected_at if connection else None, "waiting": waiting,
            "connect": {"connect_page": url_for("destinations.detail", slug=plugin.slug, _external=True),
                        "callback_url": url_for("destinations.callback", slug=plugin.slug, _external=True),
                        "help": CONNECT_HELP}}


def _one(slug: str) -> dict:
    plugin = _plugin_or_404(slug)
    connection = connections.get_connection(slug)
    if connection is not None:
        db.session.refresh(connection)
    return _describe(plugin, connection, _waiting([connection.id]).get(connection.id, 0) if connection else 0)


def _settings_problem(err: VendorError, form_names: set[str]) -> Problem:
    """A plugin's refusal of the settings names ``settings.<field>``; the request's own fields by name."""
    every = getattr(err, "field_errors", None) or ({err.field: err.message} if getattr(err, "field", None) else {})
    errors = [field_error(f"settings.{name}" if name in form_names else name, text) for name, text in every.items()]
    return Problem(422, err.message, errors=errors or None)


def _state_call(slug: str, call, *args):
    """A connection-state change; a refusal because of the connection's state is a 409, naming the field."""
    _plugin_or_404(slug)
    try:
        return call(slug, *args, actor())
    except VendorError as err:
        db.session.rollback()
        raise service_error(err, status=409) from None


def _mapping_rows(slug: str, kind: str) -> list[dict]:
    out = []
    for row in mappings.rows(slug, kind):
        m = row.mapping
        status = "not_mapped" if m is None else ("mapped" if m.confirmed else "suggested")
        out.append({"local_key": row.local_key, "label": row.label, "status": status,
                    "external_id": m.external_id if m else None, "external_name": m.external_name if m else None,
                    "source": m.source if m else None})
    return out


def _mapping_call(slug: str, kind: str, call, *args):
    """A mapping service call; a destination not set up or not connected is 409, bad input 422."""
    _plugin_or_404(slug)
    try:
        return call(slug, kind, *args, actor())
    except VendorError as err:
        db.session.rollback()
        if isinstance(err, VendorUnavailableError):
            fail(503, f"the provider did not answer: {err.message}")
        not_ready = getattr(err, "field", None) == "destination" or isinstance(err, VendorAuthError)
        raise service_error(err, status=409 if not_ready else 422) from None


def _require_kind(kind: str) -> None:
    if kind not in KINDS:
        fail(404, f"kind must be one of {', '.join(KINDS)}")


# -- connections -------------------------------------------------------------------------------------


@blp.route("/destinations", methods=["GET"])
@roles(read=ANYONE)
@blp.response(200, DestinationListSchema)
def list_destinations():
    """Every loaded destination plugin with its connection state (needs_reconnect included) and waiting pushes."""
    plugins = sorted(integrations.registry().destinations.values(), key=lambda p: p.info.display_name.lower())
    saved = {c.slug: c for c in db.session.execute(db.select(DestinationConnection)).scalars()}
    waiting = _waiting([c.id for c in saved.values()])
    return {"items": [_describe(p, saved.get(p.slug), waiting.get(saved[p.slug].id, 0) if p.slug in saved else 0)
                      for p in plugins]}


@blp.route("/destinations/<slug>", methods=["GET"])
@roles(read=ANYONE)
@blp.response(200, DestinationSchema)
def get_destination(slug: str):
    """One destination's connection state, and where an admin connects it."""
    return _one(slug)


@blp.route("/destinations/<slug>/configuration", methods=["GET"])
@roles(read=ANYONE)
@blp.response(200, DestinationConfigurationSchema)
def get_destination_configuration(slug: str):
    """The saved settings; secrets (the OAuth client secret) are never shown, only which ones are set."""
    _plugin_or_404(slug)
    connection = connections.get_connection(slug)
    if connection is None:
        return {"settings": {}, "secrets_set": []}
    return {"settings": connection.settings or {},
            "secrets_set": sorted(integrations.secret_box().decrypt(connection.secrets_token))}


@blp.route("/destinations/<slug>/configuration", methods=["PUT"])
@roles(read=ADMIN, change=ADMIN)
@blp.arguments(DestinationConfigureSchema)
@blp.response(200, DestinationSchema)
def configure_destination(args, slug: str):
    """Validate and save the settings (the OAuth client, the provider's options); nothing is saved on any
    error, each bad field is named as `settings.<field>`. Audited without secret values."""
    plugin = _plugin_or_404(slug)
    try:
        connections.configure(slug, args["settings"], actor())
    except VendorError as err:
        db.session.rollback()
        raise _settings_problem(err, {f.name for f in form_fields(plugin.info.config_schema)}) from None
    return _one(slug)


@blp.route("/destinations/<slug>/account", methods=["PUT"])
@roles(read=ADMIN, change=ADMIN)
@blp.arguments(DestinationAccountSchema)
@blp.response(200, DestinationSchema)
def choose_destination_account(args, slug: str):
    """Pick the company / organisation invoices go to, among `account_choices` (422 for another id)."""
    _plugin_or_404(slug)
    try:
        oauth.choose_account(slug, args["account_id"], actor())
    except VendorError as err:
        db.session.rollback()
        raise service_error(err, status=409 if getattr(err, "field", None) == "destination" else 422) from None
    return _one(slug)


@blp.route("/destinations/<slug>/enable", methods=["POST"])
@roles(read=ADMIN, change=ADMIN)
@blp.response(200, DestinationSchema)
def enable_destination(slug: str):
    """Push every invoice issued from now on (409 until connected and an account is chosen)."""
    _state_call(slug, connections.set_enabled, True)
    return _one(slug)


@blp.route("/destinations/<slug>/disable", methods=["POST"])
@roles(read=ADMIN, change=ADMIN)
@blp.response(200, DestinationSchema)
def disable_destination(slug: str):
    """Stop queueing new invoices; queued pushes are kept."""
    _state_call(slug, connections.set_enabled, False)
    return _one(slug)


@blp.route("/destinations/<slug>/disconnect", methods=["POST"])
@roles(read=ADMIN, change=ADMIN)
@blp.response(200, DisconnectedSchema)
def disconnect_destination(slug: str):
    """Revoke the tokens at the provider and forget them here (queued pushes are kept). A failed revoke
    still forgets them: `revoked` is false and `message` says to revoke the app's access at the provider."""
    result = _state_call(slug, oauth.disconnect)
    return {"destination": _one(slug), "revoked": result.revoked, "message": result.message}


# -- mappings ----------------------------------------------------------------------------------------


@blp.route("/destinations/<slug>/mappings/<kind>", methods=["GET"])
@roles(read=ANYONE)
@blp.response(200, MappingListSchema)
def list_destination_mappings(slug: str, kind: str):
    """Every hub record of `kind` (customer, item, tax_code) with its mapping: mapped (confirmed, used by
    pushes), suggested (an auto-match waiting for confirmation) or not_mapped."""
    _require_kind(kind)
    return {"items": _mapping_call(slug, kind, lambda s, k, _actor: _mapping_rows(s, k))}


@blp.route("/destinations/<slug>/mappings/<kind>/auto-match", methods=["POST"])
@roles(read=ANYONE, change=BILLING)
@blp.response(200, SuggestedSchema)
def auto_match_destination_mappings(slug: str, kind: str):
    """Suggest, by name (tax codes: by name or percent), a provider record for every unmapped hub record.
    Suggestions are not used until confirmed."""
    _require_kind(kind)
    made = _mapping_call(slug, kind, mappings.auto_match)
    return {"suggested": made, "items": _mapping_rows(slug, kind)}


@blp.route("/destinations/<slug>/mappings/<kind>/confirm", methods=["POST"])
@roles(read=ANYONE, change=BILLING)
@blp.arguments(MappingConfirmSchema)
@blp.response(200, ConfirmedSchema)
def confirm_destination_mappings(args, slug: str, kind: str):
    """Confirm suggestions by `local_keys`; one with no suggestion refuses them all, naming `local_key`."""
    _require_kind(kind)
    return {"confirmed": _mapping_call(slug, kind, mappings.confirm, args["local_keys"])}


def _row(slug: str, kind: str, local_key: str) -> dict:
    """One hub record's mapping row: 409 when the destination is not set up, 404 for no such record."""
    rows = _mapping_call(slug, kind, lambda s, k, _actor: _mapping_rows(s, k))
    found = [r for r in rows if r["local_key"] == local_key]
    if not found:
        fail(404, f"no {kind} record {local_key!r} in the hub")
    return found[0]


@blp.route("/destinations/<slug>/mappings/<kind>/<local_key>", methods=["PUT"])
@roles(read=ANYONE, change=BILLING)
@blp.arguments(SetMappingSchema)
@blp.response(200, MappingRowSchema)
def set_destination_mapping(args, slug: str, kind: str, local_key: str):
    """Map (or change the mapping of) one hub record to a provider id by hand; confirmed at once. Audited."""
    _require_kind(kind)
    _row(slug, kind, local_key)
    _mapping_call(slug, kind, mappings.set_mapping, local_key, args["external_id"], args["external_name"])
    return _row(slug, kind, local_key)


@blp.route("/destinations/<slug>/mappings/<kind>/<local_key>", methods=["DELETE"])
@roles(read=ANYONE, change=BILLING)
@blp.response(204)
def clear_destination_mapping(slug: str, kind: str, local_key: str):
    """Clear one mapping (its invoices wait, blocked, until it is mapped again). Idempotent. Audited."""
    _require_kind(kind)
    if _row(slug, kind, local_key)["status"] != "not_mapped":
        _mapping_call(slug, kind, mappings.unmap, local_key)
    return None


@blp.route("/destinations/<slug>/mappings/<kind>/<local_key>/create-at-provider", methods=["POST"])
@roles(read=ANYONE, change=BILLING)
@blp.response(200, MappingRowSchema)
def create_destination_record(slug: str, kind: str, local_key: str):
    """Find or create the provider's customer / item for one Organization / product and map it (tax codes
    are chosen from the provider's list, not created: 422)."""
    _require_kind(kind)
    _row(slug, kind, local_key)
    _mapping_call(slug, kind, mappings.create_at_provider, local_key)
    return _row(slug, kind, local_key)


# -- the push queue ----------------------------------------------------------------------------------


@blp.route("/destination-pushes", methods=["GET"])
@roles(read=ANYONE)
@blp.arguments(PushFilter, location="query")
@blp.response(200, PushPage)
def list_destination_pushes(args):
    """The push queue, most recently changed first: each push's state and, when it waits, the reason and
    the field at fault."""
    stmt = db.select(DestinationPush)
    if args["state"]:
        stmt = stmt.where(DestinationPush.state == args["state"])
    if args["invoice_id"]:
        stmt = stmt.where(DestinationPush.invoice_id == args["invoice_id"])
    if args["credit_note_id"]:
        stmt = stmt.where(DestinationPush.credit_note_id == args["credit_note_id"])
    if args["destination"]:
        connection = connections.get_connection(args["destination"])
        if connection is None:
            return page_response([], None)
        stmt = stmt.where(DestinationPush.connection_id == connection.id)
    rows, cursor = keyset_page(stmt, [Key(DestinationPush.updated_at, True), Key(DestinationPush.id, True)],
                               args["limit"], args["cursor"], "destination-pushes")
    return page_response([r.DestinationPush for r in rows], cursor)


@blp.route("/destination-pushes/<id:push_id>/push-now", methods=["POST"])
@roles(read=ANYONE, change=BILLING)
@blp.response(200, QueuedPushSchema)
def push_destination_push_now(push_id: int):
    """Make one waiting (queued, retrying or blocked) push due at once; the next push run (within a minute)
    sends it. 409 for a push in another state."""
    if db.session.get(DestinationPush, push_id) is None:
        fail(404, f"push {push_id} does not exist")
    try:
        return queue.push_now(push_id, actor())
    except VendorError as err:
        db.session.rollback()
        raise service_error(err, status=409) from None


@blp.route("/destination-pushes/push-all", methods=["POST"])
@roles(read=ANYONE, change=BILLING)
@blp.arguments(PushAllSchema)
@blp.response(200, PushAllResultSchema)
def push_all_pending_pushes(args):
    """Make every waiting push (of one destination, or all) due at once."""
    connection_id = None
    if args["destination"]:
        connection = connections.get_connection(args["destination"])
        if connection is None:
            fail(422, f"no destination {args['destination']!r} is set up", field="destination")
        connection_id = connection.id
    return {"count": queue.push_all_pending(connection_id, actor())}
