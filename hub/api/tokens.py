"""API tokens (admin only): create (the secret is in the answer once), list, read, revoke."""

from __future__ import annotations

import marshmallow as ma
from sqlalchemy import select

from hub import api_tokens
from hub.api.fields import UtcDateTime
from hub.api.auth import actor
from hub.api.idempotency import idempotent
from hub.api.paging import Key, PageArgs, keyset_page, page_response, page_schema
from hub.api.problems import service_error
from hub.api.spec import Blueprint
from hub.models import ApiToken, Role
from hub.web.access import ADMIN, roles

blp = Blueprint("v1_tokens", __name__, tag="API tokens")


class TokenSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    name = ma.fields.String(required=True, validate=ma.validate.Length(1, 100))
    role = ma.fields.String(required=True, validate=ma.validate.OneOf([r.value for r in Role]))
    prefix = ma.fields.String(dump_only=True, metadata={"description": "the token's first characters"})
    state = ma.fields.Function(api_tokens.state, dump_only=True,
                               metadata={"enum": ["active", "expired", "revoked"]})
    created_at = UtcDateTime(dump_only=True)
    created_by = ma.fields.String(dump_only=True)
    expires_at = UtcDateTime(dump_only=True, allow_none=True)
    revoked_at = UtcDateTime(dump_only=True, allow_none=True)
    last_used_at = UtcDateTime(dump_only=True, allow_none=True)


class TokenCreateSchema(TokenSchema):
    expires_days = ma.fields.Integer(load_default=None, allow_none=True, load_only=True,
                                     validate=ma.validate.Range(1, api_tokens.MAX_EXPIRY_DAYS))


class NewTokenSchema(TokenSchema):
    token = ma.fields.String(dump_only=True, metadata={"description": "the secret: shown this once only"})


TokenPage = page_schema(TokenSchema, "TokenPage")


@blp.route("/tokens", methods=["GET"])
@roles(read=ADMIN)
@blp.arguments(PageArgs, location="query")
@blp.response(200, TokenPage)
def list_tokens(args):
    """List API tokens (never their secrets)."""
    rows, cursor = keyset_page(select(ApiToken), [Key(ApiToken.id)], args["limit"], args["cursor"], "tokens")
    return page_response([r.ApiToken for r in rows], cursor)




@blp.route("/tokens", methods=["POST"])
@roles(read=ADMIN, change=ADMIN)
@idempotent
@blp.arguments(TokenCreateSchema)
@blp.response(201, NewTokenSchema)
def create_token(args):
    """Create a token; the answer's `token` is the only time the secret is shown."""
    try:
        new = api_tokens.create_token(args["name"], args["role"], actor(), expires_days=args.get("expires_days"))
    except api_tokens.TokenError as err:
        raise service_error(err) from None
    new.token.token = new.secret
    return new.token, 201, {"Location": f"/api/v1/tokens/{new.token.id}"}


@blp.route("/tokens/<id:token_id>", methods=["GET"])
@roles(read=ADMIN)
@blp.response(200, TokenSchema)
def get_token(token_id: int):
    """Read one token."""
    try:
        return api_tokens.get_token(token_id)
    except api_tokens.TokenError as err:
        raise service_error(err, ("id",)) from None


@blp.route("/tokens/<id:token_id>/revoke", methods=["POST"])
@roles(read=ADMIN, change=ADMIN)
@blp.response(200, TokenSchema)
def revoke_token(token_id: int):
    """Revoke a token at once (revoking twice changes nothing)."""
    try:
        return api_tokens.revoke_token(token_id, actor())
    except api_tokens.TokenError as err:
        raise service_error(err, ("id",)) from None
