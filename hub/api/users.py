"""Panel users (admin only): list, create, read, change, delete. Passwords are write-only."""

from __future__ import annotations

import marshmallow as ma
from sqlalchemy import select

from hub.api.fields import UtcDateTime
from hub.api.auth import actor
from hub.api.idempotency import idempotent
from hub.api.paging import Key, PageArgs, keyset_page, page_response, page_schema
from hub.api.problems import get_or_404, service_error
from hub.api.spec import Blueprint
from hub.extensions import db
from hub.models import Role, User
from hub.web.access import ADMIN, roles
from hub.web.users import EmailTaken, UserError, create_user, delete_user, update_user

blp = Blueprint("v1_users", __name__, tag="Users")


class UserSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    email = ma.fields.String(required=True, validate=ma.validate.Length(3, 200))
    role = ma.fields.String(required=True, validate=ma.validate.OneOf([r.value for r in Role]))
    password = ma.fields.String(required=True, load_only=True, validate=ma.validate.Length(max=500))
    active = ma.fields.Boolean(dump_only=True)
    created_at = UtcDateTime(dump_only=True)
    last_login_at = UtcDateTime(dump_only=True, allow_none=True)


class UserChangeSchema(ma.Schema):
    role = ma.fields.String(validate=ma.validate.OneOf([r.value for r in Role]))
    active = ma.fields.Boolean(metadata={"description": "false switches the account off (it cannot sign in)"})


UserPage = page_schema(UserSchema, "UserPage")


@blp.route("/users", methods=["GET"])
@roles(read=ADMIN)
@blp.arguments(PageArgs, location="query")
@blp.response(200, UserPage)
def list_users(args):
    """Panel users by e-mail address."""
    rows, cursor = keyset_page(select(User), [Key(User.email), Key(User.id)], args["limit"], args["cursor"], "users")
    return page_response([r.User for r in rows], cursor)


@blp.route("/users", methods=["POST"])
@roles(read=ADMIN, change=ADMIN)
@idempotent
@blp.arguments(UserSchema)
@blp.response(201, UserSchema)
def create(args):
    """Create a panel user (the password is hashed with scrypt and never shown)."""
    try:
        user = create_user(args["email"], args["role"], args["password"], actor=actor())
    except UserError as err:
        db.session.rollback()
        raise service_error(err, status=409 if isinstance(err, EmailTaken) else 422) from None
    return user, 201, {"Location": f"/api/v1/users/{user.id}"}


@blp.route("/users/<id:user_id>", methods=["GET"])
@roles(read=ADMIN)
@blp.response(200, UserSchema)
def get_user(user_id: int):
    """One user."""
    return get_or_404(User, user_id, "user")


@blp.route("/users/<id:user_id>", methods=["PATCH"])
@roles(read=ADMIN, change=ADMIN)
@blp.arguments(UserChangeSchema)
@blp.response(200, UserSchema)
def update(args, user_id: int):
    """Change a user's role or switch the account off; the last active admin stays one (409)."""
    get_or_404(User, user_id, "user")
    try:
        return update_user(user_id, actor(), role=args.get("role"), active=args.get("active"))
    except UserError as err:
        db.session.rollback()
        raise service_error(err, status=409) from None


@blp.route("/users/<id:user_id>", methods=["DELETE"])
@roles(read=ADMIN, change=ADMIN)
@blp.response(204)
def delete(user_id: int):
    """Delete a user; the last active admin stays (409). Their audit events keep their e-mail. Audited."""
    get_or_404(User, user_id, "user")
    try:
        delete_user(user_id, actor())
    except UserError as err:
        db.session.rollback()
        raise service_error(err, status=409) from None
    return None
