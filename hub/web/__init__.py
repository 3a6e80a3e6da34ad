"""The web panel: blueprints, sign-in and roles.

Every endpoint declares its roles with ``hub.web.access.roles`` (or ``public``); the gate in
``access.check_access`` refuses everything else. Templates live in ``hub/templates``, static files
in ``hub/static`` (no build step, no CDN).
"""

from __future__ import annotations

from flask import Flask, Response, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from hub.web.access import can, check_access, public

#: Content-Security-Policy: only our own scripts and styles, no inline code, no framing
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")


#: Strict-Transport-Security lifetime once the hub is served over HTTPS (SESSION_COOKIE_SECURE)
HSTS_SECONDS = 365 * 24 * 3600


def init_app(app: Flask) -> None:
    _secure_defaults(app)
    _init_login(app)

    from hub.web.ratelimit import LoginThrottle

    app.extensions["hub.login_limiter"] = LoginThrottle(app.config.get("HUB_LOGIN_ATTEMPTS_PER_15_MIN", 10))
    _trust_proxies(app)

    from hub.inputs import DatabaseIdConverter

    # before any blueprint: every <int:...> in a URL then only matches ids a database column can hold
    app.url_map.converters["int"] = DatabaseIdConverter
    app.before_request(check_access)
    app.before_request(_refuse_nul_characters)
    app.after_request(_security_headers)

    from hub.web import (api, appcenter, audit_log, auth, dashboard, destinations, history, mapping, organizations,
                         tokens, vendor_console, webhooks)

    for module in (auth, dashboard, appcenter, destinations, mapping, organizations, history, audit_log, api, tokens,
                   webhooks, vendor_console):
        app.register_blueprint(module.bp)

    from hub.web import billing_pages, delivery_pages

    app.register_blueprint(billing_pages.bp)
    app.register_blueprint(delivery_pages.bp)
    delivery_pages.register_template_helpers(app)

    from hub.web.health import healthz

    app.add_url_rule("/healthz", "healthz", healthz)

    _register_template_helpers(app)
    _register_error_handlers(app)


def _secure_defaults(app: Flask) -> None:
    # SESSION_COOKIE_NAME and PERMANENT_SESSION_LIFETIME are in hub.config.DEFAULTS: Flask has its own
    # defaults for them, so a setdefault here would never apply
    secure = bool(app.config.get("SESSION_COOKIE_SECURE", False))
    app.config["SESSION_COOKIE_SECURE"] = secure
    app.config.setdefault("REMEMBER_COOKIE_SECURE", secure)
    app.config.setdefault("REMEMBER_COOKIE_SAMESITE", "Lax")


def _trust_proxies(app: Flask) -> None:
    """Behind N reverse proxies (``HUB_TRUSTED_PROXIES=N``), take the client address, scheme and host from
    the last N ``X-Forwarded-*`` values. Without it the proxy's address is everyone's (one throttle for all)."""
    hops = int(app.config.get("HUB_TRUSTED_PROXIES") or 0)
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)


def _init_login(app: Flask) -> None:
    from hub.extensions import db, login_manager
    from hub.models import User

    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(session_id: str):
        """``id:session_version`` (``User.get_id``): a session from before a logout, a new password or
        the user being disabled carries an old version and is no longer anyone's."""
        user_id, _, version = str(session_id).partition(":")
        if not (user_id.isdigit() and version.isdigit()) or len(user_id) > 18:
            return None
        user = db.session.get(User, int(user_id))
        if user is None or str(user.session_version) != version:
            return None
        return user

    @login_manager.unauthorized_handler
    def unauthorized():
        if _wants_json():
            return jsonify(error="sign in first"), 401
        flash("Please sign in.", "info")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def _refuse_nul_characters():
    """No text field has a use for NUL, and PostgreSQL refuses it: one 400 here for every route."""
    from hub.inputs import contains_nul

    sources = {"path": request.view_args or {}, "query": request.args.lists(), "form": request.form.lists()}
    for where, values in sources.items():
        if contains_nul(dict(values)):
            abort(400, f"The {where} contains a NUL character.")
    if request.is_json and contains_nul(request.get_json(silent=True)):
        abort(400, "The JSON body contains a NUL character.")
    return None


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _security_headers(response):
    from flask import g

    rate = g.get("api_rate")
    if rate is not None:  # set by the public API's gate for a token request
        for name, value in rate.headers().items():
            response.headers.setdefault(name, value)
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        response.headers.setdefault("Strict-Transport-Security", f"max-age={HSTS_SECONDS}")
    if request.endpoint != "static" and response.mimetype in ("text/html", "application/json"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _register_template_helpers(app: Flask) -> None:
    from hub.billing.credit_notes import label as credit_label
    from hub.web import labels, nav

    app.jinja_env.globals.update(can=can, nav_sections=nav.nav_sections, url_with=url_with,
                                 vendor_name=labels.vendor_name, words=labels.words, credit_label=credit_label)

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
        from hub.api.auth import is_api_request

        code = err.code or 500
        if code >= 500:
            # an unexpected error (Flask turned it into a 500): nothing half-done may be committed later,
            # and the page below must not trip over the failed transaction
            from hub.extensions import db

            db.session.rollback()
        if is_api_request():  # the public API answers with RFC 9457 problems
            from hub.api.problems import from_http_exception

            return from_http_exception(err)
        if code >= 500:
            return _error(code, "Something went wrong on our side; nothing was saved. The error is in the server log.")
        return _error(code, err.description or err.name)


def _error(code: int, message: str, field: str | None = None):
    try:
        if _wants_json():
            body = {"error": message}
            if field:
                body["field"] = field
            response = jsonify(body)
        else:
            titles = {400: "Bad request", 401: "Sign in first", 403: "Not allowed", 404: "Not found",
                      405: "Method not allowed", 429: "Too many requests"}
            response = Response(render_template("error.html", code=code, title=titles.get(code, "Error"),
                                                message=message), mimetype="text/html")
    except Exception:  # the error page itself failed: still a page of ours, with our headers
        current_app.logger.exception("the error page failed")
        response = Response(f"Error {code}: {message}\n", mimetype="text/plain")
    response.status_code = code
    return _security_headers(response)  # here too: after_request does not run when a handler fails

