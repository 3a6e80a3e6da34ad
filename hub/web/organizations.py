"""Organizations: the MSP's own customers. List, create, edit (name, domain), and their vendor customers."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select

from hub import mapping, organizations
from hub.extensions import db
from hub.models import Organization, VendorCustomer, VendorIntegration
from hub.web.access import ANYONE, BILLING, roles
from hub.web.helpers import actor
from hub.web.mapping_query import licenses_for
from hub.web.paging import page_args, paged_query

bp = Blueprint("organizations", __name__, url_prefix="/organizations")


def _read_form() -> dict:
    return {key: (request.form.get(key) or "").strip() for key in ("name", "domain", "external_ref")}


def _errors_of(err: mapping.MappingError) -> dict[str, str]:
    """Every field the service refused (it checks them all at once), each message for its own field."""
    return getattr(err, "errors", None) or {err.field: str(err)}


@bp.get("/", endpoint="list")
@roles(read=ANYONE)
def list_organizations():
    q = (request.args.get("q") or "").strip()[:200]
    page_number, per_page = page_args()
    mapped = (select(VendorCustomer.organization_id, func.count().label("n")).where(
        VendorCustomer.organization_id.is_not(None)).group_by(VendorCustomer.organization_id).subquery())
    stmt = (select(Organization, func.coalesce(mapped.c.n, 0).label("customers"))
            .outerjoin(mapped, mapped.c.organization_id == Organization.id)
            .order_by(func.lower(Organization.name), Organization.id))
    if q:
        needle = q.lower()
        stmt = stmt.where(func.lower(Organization.name).contains(needle, autoescape=True)
                          | func.lower(func.coalesce(Organization.domain, "")).contains(needle, autoescape=True))
    rows, page = paged_query(db.session, stmt, page_number, per_page)
    return render_template("organizations/list.html", rows=[(r.Organization, r.customers) for r in rows], page=page, q=q)


@bp.route("/new", methods=["GET", "POST"])
@roles(read=BILLING, change=BILLING)
def create():
    if request.method == "GET":
        return render_template("organizations/form.html", organization=None, values={}, errors={})
    values = _read_form()
    try:
        organization = mapping.create_organization(values["name"], actor(), domain=values["domain"] or None,
                                                   external_ref=values["external_ref"] or None)
    except mapping.MappingError as err:
        db.session.rollback()
        errors = _errors_of(err)
    else:
        db.session.commit()
        flash(f"Organization {organization.name} created.", "success")
        return redirect(url_for(".detail", organization_id=organization.id))
    return render_template("organizations/form.html", organization=None, values=values, errors=errors), 400


@bp.get("/<int:organization_id>")
@roles(read=ANYONE)
def detail(organization_id: int):
    organization = db.get_or_404(Organization, organization_id)
    customers = db.session.execute(
        select(VendorCustomer, VendorIntegration.slug)
        .join(VendorIntegration, VendorIntegration.id == VendorCustomer.integration_id)
        .where(VendorCustomer.organization_id == organization.id)
        .order_by(VendorIntegration.slug, func.lower(VendorCustomer.name))).all()
    licenses = licenses_for([c.id for c, _ in customers])
    return render_template("organizations/detail.html", organization=organization, customers=customers,
                           licenses=licenses,
                           billing_pages="billing.recurring_list" in current_app.view_functions)


@bp.route("/<int:organization_id>/edit", methods=["GET", "POST"])
@roles(read=BILLING, change=BILLING)
def edit(organization_id: int):
    organization = db.get_or_404(Organization, organization_id)
    if request.method == "GET":
        values = {"name": organization.name, "domain": organization.domain or "",
                  "external_ref": organization.external_ref or ""}
        return render_template("organizations/form.html", organization=organization, values=values, errors={})
    values, errors = _read_form(), {}
    try:
        organizations.update_organization(organization.id, actor(), name=values["name"],
                                          domain=values["domain"] or None,
                                          external_ref=values["external_ref"] or None)
    except mapping.MappingError as err:
        db.session.rollback()
        errors = _errors_of(err)
    if errors:
        return render_template("organizations/form.html", organization=organization, values=values,
                               errors=errors), 400
    flash(f"Organization {organization.name} saved.", "success")
    return redirect(url_for(".detail", organization_id=organization.id))
