"""The integration-wide hold policy page: when a vendor's lower counts wait for a person.

The view only reads the form and calls ``hub.billing.hold_policy``, which validates and audits.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from hub.billing import hold_policy
from hub.billing.errors import BillingError
from hub.web.access import BILLING, roles
from hub.web.billing_pages import bp
from hub.web.billing_pages.forms import call, form_values, integration_choices
from hub.web.helpers import actor

LIMITS = ("hold_decrease_over_seats", "hold_decrease_over_pct")
SWITCHES = ("hold_drop_to_zero", "hold_detached")


def _render(view, values: dict, errors: dict, status: int = 200):
    return render_template("billing_web/hold_policy.html", view=view, values=values, errors=errors,
                           integrations=integration_choices()), status


@bp.route("/hold-policy/<slug>", methods=["GET", "POST"])
@roles(read=BILLING, change=BILLING)
def hold_policy_edit(slug: str):
    try:
        view = hold_policy.get_hold_policy(slug)
    except BillingError as err:
        abort(404, err.message)
    if request.method == "GET":
        values = {"hold_decrease_over_seats": "" if view.over_seats is None else str(view.over_seats),
                  "hold_decrease_over_pct": "" if view.over_pct is None else str(view.over_pct),
                  "hold_drop_to_zero": "true" if view.drop_to_zero else "false",
                  "hold_detached": "true" if view.detached else "false"}
        return _render(view, values, {})
    values = form_values(LIMITS, checkboxes=SWITCHES)
    done = call(hold_policy.update_hold_policy, slug, actor(), form_fields=LIMITS + SWITCHES, **values)
    if not done.ok:
        return _render(view, values, done.errors, 400)
    flash(f"Hold policy of {slug} saved.", "success")
    return redirect(url_for(".hold_policy_edit", slug=slug), 303)
