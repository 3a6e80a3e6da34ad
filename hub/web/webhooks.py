"""Webhooks (admins only): register endpoints (the secret is shown once), enable or disable them, rotate
their secret, read each one's delivery log and resend a delivery. Views only read forms and call
``hub.webhooks`` services."""

from __future__ import annotations

from flask import Blueprint, flash, render_template, request, url_for

from hub.extensions import db
from hub.models import WebhookDelivery, WebhookEndpoint
from hub.webhooks import deliveries as delivery_log
from hub.webhooks import endpoints
from hub.webhooks.catalog import ALL, EVENT_TYPES
from hub.webhooks.endpoints import WebhookError
from hub.web.access import ADMIN, roles
from hub.web.helpers import actor, back
from hub.web.paging import Page, page_args

bp = Blueprint("webhooks", __name__, url_prefix="/admin/webhooks")


def _chosen_events() -> list[str]:
    chosen = request.form.getlist("events")
    return [ALL] if ALL in chosen else chosen


@bp.get("/")
@roles(read=ADMIN)
def index():
    return render_template("webhooks/index.html", endpoints=endpoints.list_endpoints())


@bp.route("/new", methods=["GET", "POST"])
@roles(read=ADMIN, change=ADMIN)
def create():
    values = {"url": "", "description": "", "events": []}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {"url": (request.form.get("url") or "").strip(),
                  "description": (request.form.get("description") or "").strip(), "events": _chosen_events()}
        try:
            registered = endpoints.add_endpoint(values["url"], values["events"], actor(), values["description"])
        except WebhookError as err:
            db.session.rollback()
            errors = getattr(err, "errors", None) or {err.field: str(err)}  # every bad field at once
        else:
            return _show_secret(registered, "registered")
    return render_template("webhooks/form.html", values=values, errors=errors, event_types=EVENT_TYPES), (
        400 if errors else 200)


def _show_secret(registered, verb: str):
    """The one page that shows a signing secret; it is not stored anywhere it could be shown again."""
    return render_template("webhooks/secret.html", endpoint=registered.endpoint, secret=registered.secret, verb=verb)


@bp.get("/<int:endpoint_id>")
@roles(read=ADMIN)
def detail(endpoint_id: int):
    endpoint = _endpoint_or_404(endpoint_id)
    page_number, per_page = page_args()
    page = Page(page_number, per_page, delivery_log.count_deliveries(endpoint.id))
    rows = delivery_log.list_deliveries(endpoint_id=endpoint.id, limit=per_page, offset=page.offset)
    attempts = delivery_log.attempts_of(d.id for d, _ in rows)
    return render_template("webhooks/detail.html", endpoint=endpoint, rows=rows, attempts=attempts, page=page,
                           event_types=EVENT_TYPES)


def _endpoint_or_404(endpoint_id: int):
    return db.get_or_404(WebhookEndpoint, endpoint_id)


def _done(call, message: str, endpoint_id: int):
    try:
        call()
    except WebhookError as err:
        db.session.rollback()
        flash(f"{err.field}: {err}", "error")
    else:
        flash(message, "success")
    return back(url_for(".detail", endpoint_id=endpoint_id))


@bp.post("/<int:endpoint_id>/enable")
@roles(read=ADMIN, change=ADMIN)
def enable(endpoint_id: int):
    _endpoint_or_404(endpoint_id)
    return _done(lambda: endpoints.set_enabled(endpoint_id, True, actor()), "Endpoint enabled.", endpoint_id)


@bp.post("/<int:endpoint_id>/disable")
@roles(read=ADMIN, change=ADMIN)
def disable(endpoint_id: int):
    _endpoint_or_404(endpoint_id)
    return _done(lambda: endpoints.set_enabled(endpoint_id, False, actor()), "Endpoint disabled.", endpoint_id)


@bp.post("/<int:endpoint_id>/events")
@roles(read=ADMIN, change=ADMIN)
def events(endpoint_id: int):
    _endpoint_or_404(endpoint_id)
    return _done(lambda: endpoints.set_event_types(endpoint_id, _chosen_events(), actor()), "Event types saved.",
                 endpoint_id)


@bp.post("/<int:endpoint_id>/rotate")
@roles(read=ADMIN, change=ADMIN)
def rotate(endpoint_id: int):
    _endpoint_or_404(endpoint_id)
    return _show_secret(endpoints.rotate_secret(endpoint_id, actor()), "has a new secret")


@bp.post("/deliveries/<int:delivery_id>/resend")
@roles(read=ADMIN, change=ADMIN)
def resend(delivery_id: int):
    delivery = db.get_or_404(WebhookDelivery, delivery_id)
    return _done(lambda: delivery_log.resend(delivery_id, actor()),
                 f"Delivery {delivery_id} queued again (same webhook-id).", delivery.endpoint_id)
