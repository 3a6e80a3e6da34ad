"""Admin > API tokens: create (the secret is shown once, on the answer to the form), list, revoke."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from hub import api_tokens
from hub.extensions import db
from hub.models import Role
from hub.web.access import ADMIN, roles
from hub.web.helpers import actor

bp = Blueprint("tokens", __name__, url_prefix="/admin/tokens")


def _page(new=None, values=None, errors=None, status: int = 200):
    return render_template("tokens/index.html", tokens=api_tokens.list_tokens(), state=api_tokens.state,
                           roles=[r.value for r in Role], new=new, values=values or {}, errors=errors or {}), status


@bp.get("/")
@roles(read=ADMIN)
def index():
    return _page()


@bp.post("/")
@roles(read=ADMIN, change=ADMIN)
def create():
    values = {k: (request.form.get(k) or "").strip() for k in ("name", "role", "expires_days")}
    try:
        new = api_tokens.create_token(values["name"], values["role"], actor(),
                                      expires_days=values["expires_days"] or None)
    except api_tokens.TokenError as err:
        db.session.rollback()  # every bad field at once, each beside its own
        return _page(values=values, errors=getattr(err, "errors", None) or {err.field: str(err)}, status=400)
    # not a redirect: the secret exists only in this answer (Cache-Control: no-store)
    return _page(new=new)


@bp.post("/<int:token_id>/revoke")
@roles(read=ADMIN, change=ADMIN)
def revoke(token_id: int):
    try:
        token = api_tokens.revoke_token(token_id, actor())
    except api_tokens.TokenError:
        return render_template("error.html", code=404, title="Not found", message="No such API token."), 404
    flash(f"API token {token.name} revoked.", "success")
    return redirect(url_for(".index"))
