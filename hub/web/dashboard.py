"""The dashboard: each integration's state and how many of its customers still need mapping."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import select

from hub import integrations
from hub.extensions import db
from hub.models import SyncRun, SyncStatus, VendorIntegration
from hub.web.access import ANYONE, roles
from hub.web.helpers import STATE_LABELS, registry
from hub.web.mapping_query import status_count_query, status_of

bp = Blueprint("dashboard", __name__)


@bp.get("/")
@roles(read=ANYONE)
def index():
    found = list(db.session.execute(select(VendorIntegration).order_by(VendorIntegration.slug)).scalars())
    counts: dict[int, dict[str, int]] = {}
    for integration_id, detached, mapped, n in db.session.execute(status_count_query()):
        status = status_of(detached, mapped)
        by_status = counts.setdefault(integration_id, {})
        by_status[status] = by_status.get(status, 0) + n
    reviews = list(db.session.execute(
        select(SyncRun).filter_by(status=SyncStatus.NEEDS_REVIEW.value).order_by(SyncRun.started_at.desc())
        .limit(10)).scalars())
    reg = registry()
    names = integrations.display_names()
    return render_template("dashboard.html", integrations=found, counts=counts, names=names, reviews=reviews,
                           load_errors=reg.errors, plugin_count=len(reg.vendors), state_labels=STATE_LABELS)
