"""The dashboard: what needs a person today, each item linking to where it is fixed, then the integrations."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from sqlalchemy import select

from hub import integrations
from hub.billing.money import fmt_money
from hub.extensions import db
from hub.models import VendorIntegration
from hub.web.access import ANYONE, roles
from hub.web.dashboard_facts import billing_summary as summarise_billing, gather
from hub.web.helpers import STATE_LABELS, registry

bp = Blueprint("dashboard", __name__)


@bp.get("/")
@roles(read=ANYONE)
def index():
    found = list(db.session.execute(select(VendorIntegration).order_by(VendorIntegration.slug)).scalars())
    reg = registry()
    attention = gather(found)
    return render_template("dashboard.html", integrations=found, counts=attention.customers, attention=attention,
                           names=integrations.display_names(), slugs={i.id: i.slug for i in found},
                           load_errors=reg.errors, plugin_count=len(reg.vendors), state_labels=STATE_LABELS,
                           money=fmt_money)


@bp.get("/dashboard/billing")
@roles(read=ANYONE)
def billing_summary():
    """The dashboard's billing figures: a fragment for its script, or a page of its own (no script)."""
    standalone = request.headers.get("X-Fragment") != "1"
    return render_template("dashboard_billing.html", summary=summarise_billing(), money=fmt_money,
                           standalone=standalone)
