"""App Center: the configuration form generated from a plugin's schema, "Test connection" and save.

Saving always tests the connection first (``integrations.configure``); nothing is saved on any error,
and each error is shown next to the field it names.
"""

from __future__ import annotations

import logging

from flask import abort, flash, jsonify, redirect, render_template, request, url_for

from hub import integrations
from hub.extensions import db
from hub.models import IntegrationState
from hub.plugins import VendorAuthError, VendorError
from hub.web.access import ADMIN, roles
from hub.web.appcenter import bp
from hub.web.helpers import actor, registry
from hub.web.schema_form import form_fields, initial_values, read_form

log = logging.getLogger("hub.web")


def _context(slug: str):
    plugin = registry().get(integrations.plugin_slug(slug))
    if plugin is None:
        abort(404, f"no vendor plugin named {slug}")
    found = integrations.get_integration(slug)
    stored = set(integrations.secret_box().decrypt(found.secrets_token)) if found else set()
    return plugin, found, form_fields(plugin.info.config_schema), stored


def _error_of(err: Exception, names: set[str]) -> tuple[dict[str, str], str | None]:
    """(field errors, general error) for one failure of the plugin or the service."""
    if isinstance(err, VendorError):
        field = getattr(err, "field", None)
        message = err.message
        if field and field in names:
            prefix = f"{field}: "
            return {field: message[len(prefix):] if message.startswith(prefix) else message}, None
        if isinstance(err, VendorAuthError):
            return {}, f"The vendor refused the credentials: {message}"
        return {}, message
    log.exception("the plugin failed while testing or saving its configuration")
    return {}, f"Unexpected error from the plugin ({type(err).__name__}); see the server log."


def _interval(errors: dict[str, str]) -> int | None:
    raw = (request.form.get("interval_minutes") or "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        errors["interval_minutes"] = "Enter a whole number of minutes."
        return None
    if not 5 <= value <= 7 * 24 * 60:
        errors["interval_minutes"] = "Enter between 5 and 10080 minutes."
    return value


def _render(plugin, found, form, stored, values, errors, general=None, check=None, status=200):
    return render_template("appcenter/configure.html", plugin=plugin, integration=found, form=form,
                           values=values, errors=errors, general_error=general, stored_secrets=stored,
                           check=check, interval=request.form.get("interval_minutes") if request.method == "POST"
                           else (found.interval_minutes if found else None)), status


@bp.route("/<slug>/configure", methods=["GET", "POST"])
@roles(read=ADMIN, change=ADMIN)
def configure(slug: str):
    plugin, found, form, stored = _context(slug)
    if request.method == "GET":
        return _render(plugin, found, form, stored, initial_values(form, found.settings if found else None), {})

    raw, errors, shown = read_form(form, request.form, stored)
    interval = _interval(errors)
    if errors:
        return _render(plugin, found, form, stored, shown, errors, "Fix the fields marked below.", status=400)
    first_setup = found is None or found.state == IntegrationState.NOT_CONFIGURED.value  # an added instance too
    enable = request.form.get("enable") == "on" if first_setup or "enable" in request.form else None
    try:
        result = integrations.configure(slug, raw, actor(), enable=enable, interval_minutes=interval)
    except Exception as err:  # the UI boundary: every failure becomes a message, nothing saved
        db.session.rollback()
        field_errors, general = _error_of(err, {f.name for f in form} | {"interval_minutes"})
        return _render(plugin, found, form, stored, shown, field_errors, general or "Fix the fields marked below.",
                       status=400)
    message = f"{plugin.info.display_name} saved"
    if result.check is not None:
        message += f"; connection OK: {result.check.message}"
    flash(message + ".", "success")
    return redirect(url_for(".integration", slug=slug))


@bp.post("/<slug>/test")
@roles(read=ADMIN, change=ADMIN)
def test_connection(slug: str):
    """Try the form's settings without saving. JSON for the page's script, the form again without it."""
    plugin, found, form, stored = _context(slug)
    raw, errors, shown = read_form(form, request.form, stored)
    _interval(errors)
    general, check = None, None
    if not errors:
        try:
            check = integrations.test_connection(slug, raw)
        except Exception as err:
            errors, general = _error_of(err, {f.name for f in form})
        finally:
            db.session.rollback()  # a test never writes
    ok = not errors and general is None and check is not None and check.ok
    if check is not None and not check.ok:
        general = f"Connection failed: {check.message}"
    if request.accept_mimetypes.best == "application/json":
        return jsonify(ok=ok, message=check.message if ok else (general or "Fix the fields marked below."),
                       account_name=check.account_name if ok else None, errors=errors), (200 if ok else 400)
    return _render(plugin, found, form, stored, shown, errors, general, check=check if ok else None,
                   status=200 if ok else 400)
