"""The web panel: blueprints, sign-in and roles.

Every endpoint declares its roles with ``hub.web.access.roles`` (or ``public``); the gate in
``access.check_access`` refuses everything else. Templates live in ``hub/templates``, static files
in ``hub/static`` (no build step, no CDN).
"""

from __future__ import annotations

from flask import Flask, flash, jsonify, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from hub.web.access import can, check_access, public

#: Content-Security-Policy: only our own scripts and styles, no inline code, no framing
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")


def init_app(app: Flask) -> None:
    _secure_defaults(app)
    _init_login(app)

    from hub.web.ratelimit import LoginRateLimiter

    app.extensions["hub.login_limiter"] = LoginRateLimiter(app.config.get("HUB_LOGIN_ATTEMPTS_PER_15_MIN", 10))
    app.before_request(check_access)
    app.after_request(_security_headers)

    from hub.web import api, appcenter, audit_log, auth, dashboard, destinations, history, mapping, organizations

    for module in (auth, dashboard, appcenter, destinations, mapping, organizations, history, audit_log, api):
        app.register_blueprint(module.bp)

    from hub.web import billing_pages

    app.register_blueprint(billing_pages.bp)

    @app.get("/healthz")
    @public
    def healthz():
        return {"status": "ok"}

    _register_template_helpers(app)
    _register_error_handlers(app)


def _secure_defaults(app: Flask) -> None:
    secure = bool(app.config.get("SESSION_COOKIE_SECURE", False))
    app.config["SESSION_COOKIE_SECURE"] = secure
    app.config.setdefault("REMEMBER_COOKIE_SECURE", secure)
    app.config.setdefault("REMEMBER_COOKIE_SAMESITE", "Lax")
    app.config.setdefault("SESSION_COOKIE_NAME", "hub_session")
    app.config.setdefault("PERMANENT_SESSION_LIFETIME", 12 * 3600)


def _init_login(app: Flask) -> None:
    from hub.extensions import db, login_manager
    from hub.models import User

    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(user_id: str):
        if not str(user_id).isdigit():
            return None
        return db.session.get(User, int(user_id))

    @login_manager.unauthorized_handler
    def unauthorized():
        if _wants_json():
            return jsonify(error="sign in first"), 401
        flash("Please sign in.", "info")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if request.endpoint != "static" and response.mimetype in ("text/html", "application/json"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _register_template_helpers(app: Flask) -> None:
    from hub.web import nav

    app.jinja_env.globals.update(can=can, nav_sections=nav.nav_sections, url_with=url_with)

    @app.template_filter("when")
    def when(value):
        return "" if value is None else value.strftime("%Y-%m-%d %H:%M")

    @app.template_filter("qty")
    def qty(value):
        if value is None:
            return ""
        return format(value.normalize(), "f") if hasattr(value, "normalize") else str(value)


def url_with(**changes) -> str:
    """The current page's URL with some query arguments changed (None or "" removes one)."""
    args = request.args.to_dict()
    for key, value in changes.items():
        if value is None or value == "":
            args.pop(key, None)
        else:
            args[key] = value
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(err: CSRFError):
        return _error(400, "The form expired or was not sent from this site. Reload the page and try again.",
                      field="csrf_token")

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException):
        return _error(err.code or 500, err.description or err.name)


def _error(code: int, message: str, field: str | None = None):
    if _wants_json():
        body = {"error": message}
        if field:
            body["field"] = field
        return jsonify(body), code
    titles = {400: "Bad request", 401: "Sign in first", 403: "Not allowed", 404: "Not found",
              405: "Method not allowed", 429: "Too many requests"}
    return render_template("error.html", code=code, title=titles.get(code, "Error"), message=message), code

