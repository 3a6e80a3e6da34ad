"""Pending changes: held quantity changes of vendor lines, approved or rejected one by one or in bulk.

Each row shows the line's quantity before and after, why the change was held, and its evidence: the
sync run that caused it and the count snapshots (LicenseCountHistory rows) behind the new quantity.
One form posts either a single decision (a row's own button) or the checked rows (the bulk buttons);
the service decides all or nothing and audits each decision.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from hub.billing import pending
from hub.billing.policy import HoldReason
from hub.extensions import db
from hub.models import LicenseCountHistory, Organization, VendorIntegration
from hub.web.access import ANYONE, BILLING, roles
from hub.web.billing_pages import bp
from hub.web.billing_pages.forms import call, integration_choices
from hub.web.helpers import actor, filter_id

REASONS = {r.value: r.label for r in HoldReason}
ACTIONS = {"approve": True, "reject": False}


def _history_for(views) -> dict[int, LicenseCountHistory]:
    """The count snapshots named in the changes' evidence, in one query."""
    ids = {c["history_id"] for v in views for c in (v.change.evidence or {}).get("counts", ()) if c.get("history_id")}
    if not ids:
        return {}
    rows = db.session.execute(db.select(LicenseCountHistory).where(LicenseCountHistory.id.in_(ids))).scalars()
    return {h.id: h for h in rows}


def _render(errors=None, selected=(), note="", status=200):
    integration_id = filter_id("vendor", VendorIntegration, "vendor integration")
    views = pending.list_pending_changes(integration_id=integration_id,
                                         organization_id=filter_id("organization_id", Organization, "Organization"))
    return render_template("billing_web/pending.html", views=views, history=_history_for(views), reasons=REASONS,
                           integrations=integration_choices(), integration_id=integration_id,
                           errors=errors or {}, selected={str(s) for s in selected}, note=note), status


@bp.get("/pending")
@roles(read=ANYONE)
def pending_list():
    return _render()


@bp.post("/pending")
@roles(read=ANYONE, change=BILLING)
def pending_decide():
    """``one=approve:<id>`` (a row's button) or ``action=approve|reject`` with the checked ``change_ids``."""
    note = (request.form.get("note") or "").strip()
    one = request.form.get("one") or ""
    if one:
        verb, _, change_id = one.partition(":")
        ids = [change_id]
    else:
        verb, ids = request.form.get("action") or "", request.form.getlist("change_ids")
    if verb not in ACTIONS:
        return _render({"action": "Choose Approve or Reject."}, ids, note, 400)
    if not ids:
        return _render({"change_ids": "Tick at least one pending change."}, ids, note, 400)
    done = call(pending.decide_changes, ids, ACTIONS[verb], actor(), note or None,
                form_fields=("change_ids", "note"))
    if not done.ok:
        return _render(done.errors, ids, note, 400)
    count = len(done.result)
    flash(f"{count} change{'' if count == 1 else 's'} {'approved' if ACTIONS[verb] else 'rejected'}.", "success")
    return redirect(url_for(".pending_list", **request.args), 303)
