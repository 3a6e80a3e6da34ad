"""Small helpers shared by the panel's views."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import abort, current_app, redirect, request
from flask_login import current_user

from hub.audit import Actor
from hub.models import VendorIntegration


def actor() -> Actor:
    return Actor.user(current_user)


def registry():
    return current_app.extensions["hub.plugins"]


def back(default: str, **query):
    """Redirect to the form's ``next`` (same-site paths only) or ``default``, with ``query`` (its None values
    left out) added to the target's own query string."""
    target = request.form.get("next") or ""
    parts = urlsplit(target)
    if not (target.startswith("/") and not target.startswith("//") and not parts.netloc and not parts.scheme):
        target = default
    extra = {name: value for name, value in query.items() if value is not None}
    if extra:
        parts = urlsplit(target)
        merged = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in extra]
        target = urlunsplit(parts._replace(query=urlencode(merged + [(k, str(v)) for k, v in extra.items()])))
    return redirect(target)


def integration_or_404(slug: str) -> VendorIntegration:
    from hub import integrations

    integration = integrations.get_integration(slug)
    if integration is None:
        abort(404, f"{slug} is not set up")
    return integration


STATE_LABELS = {
    "ready": "Ready", "syncing": "Syncing", "retrying": "Retrying", "needs_reauth": "Needs credentials",
    "needs_review": "Needs review", "error": "Error", "disabled": "Disabled", "not_configured": "Not configured",
    "plugin_missing": "Plugin missing",
}


def filter_choice(name: str, valid) -> str:
    """A filter's query value: "" when absent, else one of ``valid`` (an unknown value is a 400 that
    names the filter and its valid values, never a silently empty page)."""
    value = (request.args.get(name) or "").strip()
    valid = [str(v) for v in valid]
    if value and value not in valid:
        abort(400, f"Unknown {name} {value[:100]!r}: choose one of {', '.join(valid) or '(none yet)'}.")
    return value


def filter_id(name: str, model, label: str) -> int | None:
    """A filter naming a row by id: None when absent, else an existing ``model`` id (or a 400 saying so)."""
    from hub.extensions import db

    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    from hub.inputs import whole_number

    number = whole_number(raw, minimum=1)  # None past what an id column holds: no row can have it
    if number is None or db.session.get(model, number) is None:
        abort(400, f"Unknown {name} {raw[:100]!r}: no {label} with that id.")
    return number
