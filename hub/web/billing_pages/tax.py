"""Tax pages: the tax rates, and an Organization's default rates or its exemption.

Views only read forms and call ``hub.billing.tax``, which validates and audits.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from hub.billing import tax
from hub.billing.money import fmt_quantity
from hub.extensions import db
from hub.models import Organization, OrganizationTaxRate, TaxRate
from hub.web.access import ANYONE, BILLING, roles
from hub.web.billing_pages import bp
from hub.web.billing_pages.forms import call, form_values
from hub.web.helpers import actor

RATE_FIELDS = ("name", "percent", "compound")


def _rates_page(values: dict, errors: dict, status: int = 200):
    return render_template("billing_web/tax_rates.html", rates=tax.list_tax_rates(), values=values,
                           errors=errors), status


@bp.route("/tax-rates", methods=["GET", "POST"])
@roles(read=ANYONE, change=BILLING)
def tax_rates():
    if request.method == "GET":
        return _rates_page({"compound": "false"}, {})
    values = form_values(("name", "percent"), checkboxes=("compound",))
    done = call(tax.create_tax_rate, values["name"], values["percent"], actor(),
                compound=values["compound"] == "true", form_fields=RATE_FIELDS)
    if not done.ok:
        return _rates_page(values, done.errors, 400)
    flash(f"Tax rate {done.result.name} created.", "success")
    return redirect(url_for(".tax_rates"), 303)


@bp.route("/tax-rates/<int:rate_id>", methods=["GET", "POST"])
@roles(read=BILLING, change=BILLING)
def tax_rate(rate_id: int):
    """Edit a rate: name, percent, compound, retired. Issued invoices keep the tax they printed."""
    rate = db.get_or_404(TaxRate, rate_id)
    if request.method == "GET":
        values = {"name": rate.name, "percent": fmt_quantity(rate.percent),
                  "compound": "true" if rate.compound else "false", "active": "true" if rate.active else "false"}
        return _rate_page(rate, values, {})
    values = form_values(("name", "percent"), checkboxes=("compound", "active"))
    done = call(tax.update_tax_rate, rate.id, actor(), name=values["name"], percent=values["percent"],
                compound=values["compound"] == "true", active=values["active"] == "true",
                form_fields=(*RATE_FIELDS, "active"))
    if not done.ok:
        return _rate_page(db.get_or_404(TaxRate, rate_id), values, done.errors, 400)
    flash(f"Tax rate {done.result.name} saved. Issued invoices keep the tax they printed; the next invoices use "
          f"the new figures. An accounting destination's tax code keeps its own rate: check it there.", "success")
    return redirect(url_for(".tax_rates"), 303)


def _rate_page(rate: TaxRate, values: dict, errors: dict, status: int = 200):
    users = db.session.execute(db.select(db.func.count()).select_from(OrganizationTaxRate)
                               .filter_by(tax_rate_id=rate.id)).scalar()
    return render_template("billing_web/tax_rate.html", rate=rate, values=values, errors=errors,
                           organizations=users), status


@bp.route("/organizations/<int:organization_id>/tax", methods=["GET", "POST"])
@roles(read=BILLING, change=BILLING)
def organization_tax(organization_id: int):
    organization = db.get_or_404(Organization, organization_id)
    if request.method == "POST":
        done = call(tax.set_organization_tax, organization.id, actor(),
                    rate_ids=request.form.getlist("tax_rate_ids"), exempt=bool(request.form.get("tax_exempt")),
                    form_fields=("tax_rate_ids", "tax_exempt"))
        if done.ok:
            flash(f"Tax of {organization.name} saved.", "success")
            return redirect(url_for(".organization_tax", organization_id=organization.id), 303)
        organization = db.get_or_404(Organization, organization_id)
        chosen, errors, status = set(request.form.getlist("tax_rate_ids")), done.errors, 400
    else:
        chosen = {str(r) for r in db.session.execute(db.select(OrganizationTaxRate.tax_rate_id)
                                                     .filter_by(organization_id=organization.id)).scalars()}
        errors, status = {}, 200
    rates = [r for r in tax.list_tax_rates() if r.active or str(r.id) in chosen]  # retired: offered to no one new
    return render_template("billing_web/organization_tax.html", organization=organization, chosen=chosen,
                           rates=rates, errors=errors), status
