"""The Customer Mapping Tool page (Admin > Integrations > Customer Mapping).

The page renders the first view on the server (works without JavaScript: sort links, a search form,
pager links); ``static/mapping.js`` then searches, sorts, pages, maps and unmaps in place through
``hub.web.api``.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from hub import integrations
from hub.web.access import ANYONE, roles
from hub.web.helpers import filter_choice
from hub.web.mapping_query import SORT_KEYS, STATUS_ORDER, TableQuery, status_counts, table_page
from hub.web.paging import PER_PAGE_CHOICES, page_args

bp = Blueprint("mapping", __name__, url_prefix="/admin/mapping")

COLUMNS = (("name", "Vendor Customer"), ("status", "Map Status"), ("organization", "Organization"),
           ("vendor_status", "Vendor status"), ("licenses", "Licenses"))


def query_from_args(integration_id: int) -> TableQuery:
    page, per_page = page_args()
    return TableQuery.clean(integration_id, request.args.get("q"), request.args.get("sort"),
                            request.args.get("dir"), filter_choice("status", STATUS_ORDER), page, per_page)


@bp.get("/")
@roles(read=ANYONE)
def index():
    enabled = integrations.enabled_integrations()
    if not enabled:
        flash("Customer Mapping needs an enabled vendor integration. Set one up in the App Center first.", "info")
        return redirect(url_for("appcenter.index"))
    slug = filter_choice("vendor", [i.slug for i in enabled])
    current = next((i for i in enabled if i.slug == slug), enabled[0])
    query = query_from_args(current.id)
    rows, page = table_page(query)
    names = integrations.display_names()
    return render_template("mapping/index.html", integrations=enabled, current=current, names=names, query=query,
                           rows=rows, page=page, counts=status_counts(current.id), columns=COLUMNS,
                           sort_keys=SORT_KEYS, per_page_choices=PER_PAGE_CHOICES)
