"""Sign-in and sign-out. Sessions are flask-login's, revocable on the server: the session carries the
user's ``session_version`` and signing out raises it. Passwords are checked against scrypt hashes."""

from __future__ import annotations

import math
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.security import check_password_hash, generate_password_hash

from hub.extensions import db
from hub.timeutil import utcnow
from hub.web.access import ANYONE, public, roles
from hub.web.users import find_user

bp = Blueprint("auth", __name__)

# compared against when the account does not exist, so both paths cost one scrypt check
_DUMMY_HASH = generate_password_hash("not a real password")


def limiter():
    return current_app.extensions["hub.login_limiter"]


def _safe_next(target: str | None) -> str:
    """Only same-site paths: never redirect to another host after sign-in."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("dashboard.index")


def _login_page(email: str, next: str) -> str:
    from hub.commands.serve import FIRST_ADMIN_COMMAND
    from hub.web.users import any_user

    # a hub with no account at all: say how the first admin is made (only the CLI can); a database
    # not migrated yet has no users table, and the sign-in page must still show
    try:
        hint = None if any_user() else FIRST_ADMIN_COMMAND
    except SQLAlchemyError:
        db.session.rollback()
        hint = None
    return render_template("auth/login.html", email=email, next=next, first_admin_command=hint)


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(_safe_next(request.args.get("next")))
        return _login_page(email="", next=request.args.get("next", ""))

    email = (request.form.get("email") or "").strip()
    password = request.form.get("password") or ""
    next_url = request.form.get("next") or ""
    address = request.remote_addr  # the client's, when HUB_TRUSTED_PROXIES says how many proxies to trust
    verdict = limiter().check(email, address)
    if verdict.wait is not None:
        minutes = max(1, math.ceil(verdict.wait / 60))
        flash(f"Too many sign-in attempts. Try again in {minutes} minute{'s' if minutes != 1 else ''}.", "error")
        return _login_page(email=email, next=next_url), 429

    if verdict.delay:
        limiter().sleep(verdict.delay)  # slowed down, not refused: this address signed in here before
    user = find_user(email) if email else None
    valid = check_password_hash(user.password_hash if user else _DUMMY_HASH, password)
    if not (user and valid and user.is_active):
        limiter().failed(email, address)
        flash("Wrong e-mail or password.", "error")  # never say which one
        return _login_page(email=email, next=next_url), 401

    limiter().succeeded(user, address)
    login_user(user)
    user.last_login_at = utcnow()
    db.session.commit()
    return redirect(_safe_next(next_url))


@bp.post("/logout")
@roles(read=ANYONE, change=ANYONE)
def logout():
    current_user.end_sessions()  # every copy of this user's session cookies stops working, here and elsewhere
    db.session.commit()
    logout_user()
    flash("Signed out.", "info")
    return redirect(url_for("auth.login"))
