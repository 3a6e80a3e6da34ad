"""App Center: the vendor plugins, their integrations' states, runs, schedule, enable/disable and "Sync now"."""

from __future__ import annotations

from flask import Blueprint, abort, flash, render_template, request, url_for
from flask_login import current_user

from hub import imports, integrations
from hub.extensions import db
from hub.models import IntegrationState, SyncRun, SyncStatus, VendorIntegration
from hub.plugins import VendorError
from hub.sync import confirm_review, dismiss_review, review_is_open, run_sync
from hub.sync.engine import SyncNotPossible
from hub.sync.lease import holder_of
from hub.sync.release import LeaseHeld, is_stuck, release_lease
from hub.timeutil import utcnow
from hub.web import sync_runner
from hub.web.access import ADMIN, ANYONE, roles
from hub.web.helpers import STATE_LABELS, actor, back, integration_or_404, registry
from hub.web.schema_form import form_fields

bp = Blueprint("appcenter", __name__, url_prefix="/admin/apps")

RECENT_RUNS = 20


@bp.get("/")
@roles(read=ANYONE)
def index():
    reg = registry()
    by_slug = {i.slug: i for i in db.session.execute(db.select(VendorIntegration)).scalars()}
    plugins = sorted(reg.vendors.values(), key=lambda p: p.info.display_name.lower())
    orphans = [i for slug, i in sorted(by_slug.items()) if i.plugin_slug not in reg.vendors]
    # integrations added as instances of a plugin (a CSV import per vendor), under their plugin
    instances = {p.slug: sorted((i for i in by_slug.values() if i.plugin == p.slug), key=lambda i: i.slug)
                 for p in plugins if p.info.instances}
    from hub.web import destinations

    return destinations.allow_connect(render_template(
        "appcenter/index.html", plugins=plugins, integrations=by_slug, orphans=orphans, instances=instances,
        load_errors=reg.errors, state_labels=STATE_LABELS, cards=destinations.cards(),
        destination_labels=destinations.STATE_LABELS))


@bp.get("/<slug>")
@roles(read=ANYONE)
def integration(slug: str):
    found = integrations.get_integration(slug)
    plugin = registry().get(found.plugin_slug if found else slug)
    if plugin is None and found is None:
        abort(404, f"no vendor plugin named {slug}")
    runs, review_run, settings, stored = [], None, [], set()
    if found is not None:
        runs = list(db.session.execute(
            db.select(SyncRun).filter_by(integration_id=found.id).order_by(SyncRun.started_at.desc(),
                                                                          SyncRun.id.desc())
            .limit(RECENT_RUNS)).scalars())
        review_run = next((r for r in runs if r.status == SyncStatus.NEEDS_REVIEW.value), None)
        if review_run is not None and not review_is_open(review_run):
            review_run = None  # a later sync succeeded: nothing left to confirm or dismiss
        stored = set(integrations.secret_box().decrypt(found.secrets_token))
    if plugin is not None:
        form = form_fields(plugin.info.config_schema)
        values = (found.settings or {}) if found else {}
        settings = [(f, values.get(f.name)) for f in form]
    lease = holder_of(found.id) if found else None
    state = found.state if found else IntegrationState.NOT_CONFIGURED.value
    if plugin is None:
        state = IntegrationState.PLUGIN_MISSING.value
    can_import = plugin is not None and imports.upload_field(registry().handle(plugin.slug)) is not None
    return render_template("appcenter/integration.html", slug=slug, plugin=plugin, integration=found, runs=runs,
                           can_import=can_import,
                           review_run=review_run, settings=settings, stored_secrets=stored, state=state,
                           state_labels=STATE_LABELS,
                           running=found is not None and sync_runner.is_running(found.id),
                           lease=lease, lease_expired=lease is not None and lease.expires_at < utcnow(),
                           stuck=found is not None and is_stuck(found))


def _toggle(slug: str, enabled: bool):
    found = integration_or_404(slug)
    try:
        integrations.set_enabled(found, enabled, actor())
    except VendorError as err:
        db.session.rollback()
        flash(f"{slug}: {err.message}", "error")
        return back(url_for(".integration", slug=slug))
    db.session.commit()
    flash(f"{slug} {'enabled' if enabled else 'disabled'}.", "success")
    return back(url_for(".integration", slug=slug))


@bp.post("/<slug>/enable")
@roles(read=ANYONE, change=ADMIN)
def enable(slug: str):
    return _toggle(slug, True)


@bp.post("/<slug>/disable")
@roles(read=ANYONE, change=ADMIN)
def disable(slug: str):
    return _toggle(slug, False)


@bp.post("/<slug>/schedule")
@roles(read=ANYONE, change=ADMIN)
def schedule(slug: str):
    found = integration_or_404(slug)
    raw = (request.form.get("interval_minutes") or "").strip()
    try:
        integrations.set_interval(found, int(raw), actor())
    except ValueError:
        flash(f"Sync interval (interval_minutes): {raw!r} is not a whole number of minutes.", "error")
        return back(url_for(".integration", slug=slug))
    except VendorError as err:
        db.session.rollback()
        flash(f"Sync interval (interval_minutes): {err.message}", "error")
        return back(url_for(".integration", slug=slug))
    db.session.commit()
    flash(f"{slug} syncs every {found.interval_minutes} minutes.", "success")
    return back(url_for(".integration", slug=slug))


def _report(started: sync_runner.Started) -> None:
    if started.kind == "finished":
        ok = started.run is not None and started.run.status in (SyncStatus.SUCCEEDED.value, SyncStatus.CONFIRMED.value)
        flash(started.message, "success" if ok else "error")
    else:
        flash(started.message, {"started": "info", "already_running": "warning"}.get(started.kind, "error"))


@bp.post("/<slug>/sync")
@roles(read=ANYONE, change=ADMIN)
def sync_now(slug: str):
    found = integration_or_404(slug)
    who = current_user.email  # the thread has no request, so capture the name now
    started = sync_runner.start(slug, found.id, lambda: run_sync(slug, trigger="manual", triggered_by=who), "Sync")
    _report(started)
    # ?started=1 lets the page follow a run whose thread has not taken the lease yet, wherever it goes back to
    return back(url_for(".integration", slug=slug), started=1 if started.kind == "started" else None)


@bp.post("/<slug>/release")
@roles(read=ANYONE, change=ADMIN)
def release(slug: str):
    integration_or_404(slug)
    try:
        released = release_lease(slug, actor())
    except LeaseHeld as err:
        db.session.rollback()
        flash(f"{err}. Nothing was released.", "error")
        return back(url_for(".integration", slug=slug))
    if released is None:
        flash(f"No sync of {slug} is running or stuck: nothing to release.", "info")
    else:
        flash(f"Sync lease of {slug} released; {len(released.runs_closed)} run(s) marked interrupted.", "success")
    return back(url_for(".integration", slug=slug))


@bp.post("/runs/<int:run_id>/confirm")
@roles(read=ANYONE, change=ADMIN)
def review_confirm(run_id: int):
    run = db.get_or_404(SyncRun, run_id)
    slug = run.integration.slug
    if not review_is_open(run):
        flash(f"Sync run {run_id} is not waiting for review.", "error")
        return back(url_for(".integration", slug=slug))
    who = actor()
    started = sync_runner.start(slug, run.integration_id, lambda: confirm_review(run_id, who),
                                "Review confirmed; a sync that may detach customers")
    _report(started)
    # ?started=1 lets the page follow a run whose thread has not taken the lease yet, wherever it goes back to
    return back(url_for(".integration", slug=slug), started=1 if started.kind == "started" else None)


@bp.post("/runs/<int:run_id>/dismiss")
@roles(read=ANYONE, change=ADMIN)
def review_dismiss(run_id: int):
    run = db.get_or_404(SyncRun, run_id)
    slug = run.integration.slug
    try:
        dismiss_review(run_id, actor())
    except SyncNotPossible as err:
        db.session.rollback()
        flash(str(err), "error")
    else:
        flash(f"Sync run {run_id} dismissed: nothing was detached.", "success")
    return back(url_for(".integration", slug=slug))


from hub.web import appcenter_config  # noqa: E402,F401  (adds the configure routes to bp)
from hub.web import appcenter_import  # noqa: E402,F401  (adds instances and file imports to bp)
