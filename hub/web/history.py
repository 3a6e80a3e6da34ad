"""Sync history: every run of every vendor, filtered by vendor and status, paged on the server."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import select

from hub.extensions import db
from hub.models import SyncRun, SyncStatus, VendorIntegration
from hub.sync import review_is_open
from hub.web.access import ANYONE, roles
from hub.web.helpers import filter_choice
from hub.web.paging import page_args, paged_query

bp = Blueprint("history", __name__, url_prefix="/admin/sync-runs")

STATUSES = [s.value for s in SyncStatus]


@bp.get("/", endpoint="list")
@roles(read=ANYONE)
def list_runs():
    vendors = list(db.session.execute(select(VendorIntegration.slug).order_by(VendorIntegration.slug)).scalars())
    vendor = filter_choice("vendor", vendors)
    status = filter_choice("status", STATUSES)
    page_number, per_page = page_args()
    stmt = (select(SyncRun, VendorIntegration.slug).join(VendorIntegration, VendorIntegration.id == SyncRun.integration_id)
            .order_by(SyncRun.started_at.desc(), SyncRun.id.desc()))
    if vendor:
        stmt = stmt.where(VendorIntegration.slug == vendor)
    if status:
        stmt = stmt.where(SyncRun.status == status)
    rows, page = paged_query(db.session, stmt, page_number, per_page)
    return render_template("history/list.html", rows=[(r.SyncRun, r.slug) for r in rows], page=page, vendors=vendors, statuses=STATUSES,
                           vendor=vendor, status=status)


@bp.get("/<int:run_id>")
@roles(read=ANYONE)
def run(run_id: int):
    sync_run = db.get_or_404(SyncRun, run_id)
    return render_template("history/run.html", run=sync_run, review_open=review_is_open(sync_run))
