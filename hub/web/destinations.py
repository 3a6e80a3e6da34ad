"""Destinations in the panel: settings, "Connect" (OAuth), account choice, enable, the mapping pages
(auto-match, confirm, map by hand, create at the provider) and the push queue ("push now", "push all
pending"). Views read forms and call ``hub.destinations``; every rule lives there."""

from __future__ import annotations

import logging

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for

from hub import integrations
from hub.destinations import connections, mappings, oauth, queue
from hub.extensions import db
from hub.models import DestinationPush, MappingKind, PushState
from hub.plugins import VendorError
from hub.web import CSP
from hub.web.access import ADMIN, ANYONE, BILLING, roles
from hub.web.helpers import actor, back, filter_choice, registry
from hub.web.schema_form import form_fields, initial_values, read_form

log = logging.getLogger("hub.web")
bp = Blueprint("destinations", __name__, url_prefix="/admin/destinations")

STATE_LABELS = {"not_connected": "Not connected", "choose_account": "Pick an account", "connected": "Connected",
                "needs_reconnect": "Needs reconnect", "disabled": "Disabled"}
KIND_LABELS = {"customer": "Customers", "item": "Products", "tax_code": "Tax codes"}


def _plugin_or_404(slug: str):
    plugin = registry().destinations.get(slug)
    if plugin is None:
        abort(404, f"no destination plugin named {slug}")
    return plugin


def _callback_url(slug: str) -> str:
    return url_for("destinations.callback", slug=slug, _external=True)


def provider_origins() -> list[str]:
    """The authorize URLs' origins of the loaded destinations (as configured, else the plugin's)."""
    origins = set()
    for plugin in registry().destinations.values():
        connection = connections.get_connection(plugin.slug)
        url = ((connection.settings or {}).get("authorize_url") if connection else None) or plugin.info.oauth.authorize_url
        parts = urlsplit(str(url))
        if parts.scheme in ("https", "http") and parts.netloc:
            origins.add(f"{parts.scheme}://{parts.netloc}")
    return sorted(origins)


def allow_connect(response):
    """A page with a Connect button: its form posts to the hub, which redirects to the provider, and
    the browser applies the page's form-action to that redirect too. Allow the providers' origins."""
    response = make_response(response)
    extra = " ".join(provider_origins())
    if extra:
        response.headers["Content-Security-Policy"] = CSP.replace("form-action 'self'", f"form-action 'self' {extra}")
    return response


def queue_counts() -> dict[tuple[int, str], int]:
    rows = db.session.execute(db.select(DestinationPush.connection_id, DestinationPush.state,
                                        db.func.count()).group_by(DestinationPush.connection_id, DestinationPush.state))
    return {(c, s): n for c, s, n in rows}


def cards() -> list[dict]:
    """One card per loaded destination plugin (the App Center shows them too)."""
    counts = queue_counts()
    out = []
    for plugin in sorted(registry().destinations.values(), key=lambda p: p.info.display_name.lower()):
        connection = connections.get_connection(plugin.slug)
        waiting = sum(n for (c, s), n in counts.items() if connection and c == connection.id
                      and s in (PushState.QUEUED.value, PushState.RETRYING.value, PushState.BLOCKED.value))
        out.append({"plugin": plugin, "connection": connection, "waiting": waiting})
    return out


@bp.get("/")
@roles(read=ANYONE)
def index():
    return allow_connect(render_template("destinations/index.html", cards=cards(), state_labels=STATE_LABELS))


@bp.route("/<slug>", methods=["GET", "POST"])
@roles(read=ANYONE, change=ADMIN)
def detail(slug: str):
    plugin = _plugin_or_404(slug)
    connection = connections.get_connection(slug)
    form = form_fields(plugin.info.config_schema)
    stored = set(integrations.secret_box().decrypt(connection.secrets_token)) if connection else set()
    values, errors, general, status = initial_values(form, connection.settings if connection else None), {}, None, 200
    if request.method == "POST":
        raw, errors, values = read_form(form, request.form, stored)
        if not errors:
            try:
                connections.configure(slug, raw, actor())
                flash(f"{plugin.info.display_name} settings saved. Press Connect to sign in.", "success")
                return redirect(url_for(".detail", slug=slug), 303)
            except VendorError as err:
                db.session.rollback()
                field = getattr(err, "field", None)
                if field in {f.name for f in form}:
                    errors = {field: err.message}
                else:
                    general = err.message
        general, status = general or "Fix the fields marked below.", 400
    pushes = queue.list_pushes(connection_id=connection.id, limit=20) if connection else []
    return allow_connect((render_template(
        "destinations/detail.html", plugin=plugin, connection=connection, form=form, values=values, errors=errors,
        general_error=general, stored_secrets=stored, state_labels=STATE_LABELS, pushes=pushes, kinds=KIND_LABELS,
        callback_url=_callback_url(slug)), status))


def _act(slug: str, fn, done: str):
    try:
        fn()
        flash(done, "success")
    except VendorError as err:
        db.session.rollback()
        flash(f"{slug}: {err.message}", "error")
    return back(url_for(".detail", slug=slug))


@bp.post("/<slug>/connect")
@roles(read=ADMIN, change=ADMIN)
def connect(slug: str):
    _plugin_or_404(slug)
    try:
        return redirect(oauth.start(slug, _callback_url(slug), actor()), 303)
    except VendorError as err:
        db.session.rollback()
        flash(f"Save the settings first: {err.message}", "error")
        return redirect(url_for(".detail", slug=slug), 303)


@bp.get("/<slug>/callback")
@roles(read=ADMIN)
def callback(slug: str):
    """The provider sends the admin's browser back here; ``state`` ties it to the Connect pressed."""
    plugin = _plugin_or_404(slug)
    try:
        connection = oauth.finish(slug, request.args.to_dict(), _callback_url(slug), actor())
    except VendorError as err:
        db.session.rollback()
        flash(f"{plugin.info.display_name} was not connected: {err.message}", "error")
        return redirect(url_for(".detail", slug=slug), 303)
    if connection.account_choices:
        flash("Connected. Pick the account invoices go to.", "success")
    else:
        flash(f"Connected to {connection.account_name}.", "success")
    return redirect(url_for(".detail", slug=slug), 303)


@bp.post("/<slug>/account")
@roles(read=ADMIN, change=ADMIN)
def choose_account(slug: str):
    return _act(slug, lambda: oauth.choose_account(slug, request.form.get("account_id", ""), actor()), "Account chosen.")


@bp.post("/<slug>/enable")
@roles(read=ADMIN, change=ADMIN)
def enable(slug: str):
    return _act(slug, lambda: connections.set_enabled(slug, True, actor()),
                "Enabled: every invoice issued from now on is pushed.")


@bp.post("/<slug>/disable")
@roles(read=ADMIN, change=ADMIN)
def disable(slug: str):
    return _act(slug, lambda: connections.set_enabled(slug, False, actor()), "Disabled.")


@bp.post("/<slug>/disconnect")
@roles(read=ADMIN, change=ADMIN)
def disconnect(slug: str):
    try:
        result = oauth.disconnect(slug, actor())
    except VendorError as err:
        db.session.rollback()
        flash(f"{slug}: {err.message}", "error")
        return back(url_for(".detail", slug=slug))
    if result.message:
        flash(f"Disconnected; queued pushes are kept. But: {result.message}.", "error")
    else:
        flash("Disconnected and the tokens revoked at the provider; queued pushes are kept.", "success")
    return back(url_for(".detail", slug=slug))


# -- mappings ----------------------------------------------------------------------------------------


@bp.get("/<slug>/mappings/<kind>")
@roles(read=ANYONE)
def mapping_page(slug: str, kind: str):
    plugin = _plugin_or_404(slug)
    if kind not in KIND_LABELS:
        abort(404)
    try:
        rows = mappings.rows(slug, kind)
    except VendorError as err:
        flash(err.message, "error")
        return redirect(url_for(".detail", slug=slug), 303)
    return render_template("destinations/mappings.html", plugin=plugin, kind=kind, kinds=KIND_LABELS, rows=rows,
                           suggested=[r for r in rows if r.mapping and not r.mapping.confirmed])


def _mapping_act(slug: str, kind: str, fn, done):
    if kind not in {k.value for k in MappingKind}:
        abort(404)
    try:
        result = fn()
        flash(done(result) if callable(done) else done, "success")
    except VendorError as err:
        db.session.rollback()
        flash(err.message, "error")
    return redirect(url_for(".mapping_page", slug=slug, kind=kind), 303)


@bp.post("/<slug>/mappings/<kind>/auto-match")
@roles(read=ANYONE, change=BILLING)
def auto_match(slug: str, kind: str):
    return _mapping_act(slug, kind, lambda: mappings.auto_match(slug, kind, actor()),
                        lambda n: f"{n} match(es) by name suggested: check and confirm them below.")


@bp.post("/<slug>/mappings/<kind>/confirm")
@roles(read=ANYONE, change=BILLING)
def confirm(slug: str, kind: str):
    return _mapping_act(slug, kind, lambda: mappings.confirm(slug, kind, request.form.getlist("local_key"), actor()),
                        lambda n: f"{n} mapping(s) confirmed.")


@bp.post("/<slug>/mappings/<kind>/set")
@roles(read=ANYONE, change=BILLING)
def set_mapping(slug: str, kind: str):
    return _mapping_act(slug, kind, lambda: mappings.set_mapping(
        slug, kind, request.form.get("local_key", ""), request.form.get("external_id", ""),
        request.form.get("external_name"), actor()), "Mapped.")


@bp.post("/<slug>/mappings/<kind>/create")
@roles(read=ANYONE, change=BILLING)
def create_at_provider(slug: str, kind: str):
    return _mapping_act(slug, kind, lambda: mappings.create_at_provider(slug, kind, request.form.get("local_key", ""),
                                                                        actor()),
                        lambda m: f"Mapped to {m.external_name} ({m.external_id}).")


@bp.post("/<slug>/mappings/<kind>/unmap")
@roles(read=ANYONE, change=BILLING)
def unmap(slug: str, kind: str):
    return _mapping_act(slug, kind, lambda: mappings.unmap(slug, kind, request.form.get("local_key", ""), actor()),
                        "Unmapped.")


# -- the push queue ----------------------------------------------------------------------------------


@bp.get("/queue")
@roles(read=ANYONE)
def queue_page():
    states = [s.value for s in PushState]
    state = filter_choice("state", states)
    pushes = queue.list_pushes(states=[state] if state else None, limit=500)
    return render_template("destinations/queue.html", pushes=pushes, state=state, states=states,
                           names={p.slug: p.info.display_name for p in registry().destinations.values()})


@bp.post("/pushes/<int:push_id>/push-now")
@roles(read=ANYONE, change=BILLING)
def push_now(push_id: int):
    try:
        push = queue.push_now(push_id, actor())
        flash("Pushing now: reload in a few seconds to see the result." if _scheduler_here()
              else "Queued to push at the next run (within a minute).", "success")
        default = (url_for("billing.invoice_detail", invoice_id=push.invoice_id) if push.credit_note_id is None
                   else url_for("billing.invoice_detail", invoice_id=push.credit_note.invoice_id,
                                _anchor="credit-notes"))
    except VendorError as err:
        db.session.rollback()
        flash(err.message, "error")
        default = url_for(".queue_page")
    return back(default)


@bp.post("/push-all")
@roles(read=ANYONE, change=BILLING)
def push_all():
    count = queue.push_all_pending(None, actor())
    flash(f"{count} waiting push(es) " + ("are being pushed now." if count and _scheduler_here()
                                          else "will go at the next run (within a minute)."), "success")
    return back(url_for(".queue_page"))


def _scheduler_here() -> bool:
    """Whether this process runs the scheduler, so a push run started from here begins at once."""
    return current_app.extensions.get("hub.scheduler") is not None
