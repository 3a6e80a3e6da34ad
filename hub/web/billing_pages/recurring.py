"""Recurring invoices per Organization: list, create, edit, delete, and their lines (standard or vendor).

A vendor line's quantity is never typed here: the services count it from the licenses of the
Organization's mapped vendor customers. The detail page shows each line's quantity and where it
comes from (the preview service's account of it, with the counts that add up to it).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from hub.billing import preview, recurring
from hub.delivery.company import default_due_days
from hub.extensions import db
from hub.models import (
    Frequency,
    LineKind,
    Organization,
    PeriodMode,
    Proration,
    QuantityBasis,
    RecurringInvoice,
    RecurringLine,
)
from hub.timeutil import utcnow
from hub.web.access import ANYONE, BILLING, roles
from hub.web.billing_pages import bp
from hub.web.billing_pages.forms import (
    call,
    form_values,
    integration_choices,
    organization_choices,
    product_choices,
)
from hub.web.helpers import actor, filter_id

RECURRING_TEXT = ("name", "frequency", "period_mode", "next_run_date", "currency", "memo", "due_days", "proration")
RECURRING_FIELDS = RECURRING_TEXT + ("organization_id", "auto_issue", "active")
LINE_TEXT = ("kind", "product_id", "description", "quantity", "integration_id", "min_quantity",
             "unit_price_override", "markup_pct", "hold_decrease_over_seats", "hold_decrease_over_pct", "basis")
LINE_CHECKS = ("do_not_bill", "override_policy")
LINE_FIELDS = LINE_TEXT + LINE_CHECKS
FREQUENCIES = [(f.value, f.value.capitalize()) for f in Frequency]
PERIOD_MODES = [(PeriodMode.IN_ADVANCE.value, "In advance (bills the period that starts on the run date)"),
                (PeriodMode.IN_ARREARS.value, "In arrears (bills the period that just ended)")]
PRORATIONS = [(Proration.OFF.value, "Off"),
              (Proration.INCREASES.value, "Charge increases during a period pro rata on the next invoice"),
              (Proration.INCREASES_AND_CREDITS.value,
               "Charge increases and credit decreases the hold policy lets through, pro rata")]
BASES = [(QuantityBasis.AT_ISSUE.value, "At issue: the count on the invoice's issue day (the period's first day in "
                                        "advance, its last in arrears), from the history when made later"),
         (QuantityBasis.PEAK.value, "Peak: the highest daily count in the period"),
         (QuantityBasis.AVERAGE.value, "Average: the daily counts' average over the period"),
         (QuantityBasis.END.value, "End: the count on the period's last day")]


@bp.get("/recurring")
@roles(read=ANYONE)
def recurring_list():
    organization_id = filter_id("organization_id", Organization, "Organization")
    organization = db.session.get(Organization, organization_id) if organization_id else None
    items = recurring.list_recurring_invoices(organization.id if organization else None)
    organizations = organization_choices()
    names = dict(organizations)
    line_counts = dict(db.session.execute(
        db.select(RecurringLine.recurring_invoice_id, db.func.count(RecurringLine.id))
        .where(RecurringLine.archived_at.is_(None)).group_by(RecurringLine.recurring_invoice_id)).all())
    return render_template("billing_web/recurring_list.html", items=items, names=names, organization=organization,
                           line_counts=line_counts, organizations=organizations, today=utcnow().date())


def _recurring_form(item, values, errors, status=200):
    return render_template("billing_web/recurring_form.html", item=item, values=values, errors=errors,
                           organizations=organization_choices(), frequencies=FREQUENCIES,
                           period_modes=PERIOD_MODES, prorations=PRORATIONS), status


@bp.route("/recurring/new", methods=["GET", "POST"])
@roles(read=BILLING, change=BILLING)
def recurring_create():
    if request.method == "GET":
        values = {"organization_id": request.args.get("organization_id", ""), "name": "Recurring services",
                  "frequency": "monthly", "period_mode": "in_advance", "currency": "USD", "proration": "off",
                  "due_days": str(default_due_days()),
                  "auto_issue": "true", "next_run_date": utcnow().date().isoformat()}
        return _recurring_form(None, values, {})
    values = form_values(RECURRING_TEXT + ("organization_id",), checkboxes=("auto_issue",))
    done = call(recurring.create_recurring_invoice, values["organization_id"], actor(),
                next_run_date=values["next_run_date"], frequency=values["frequency"],
                period_mode=values["period_mode"], currency=values["currency"], memo=values["memo"] or None,
                name=values["name"], due_days=values["due_days"], auto_issue=values["auto_issue"],
                proration=values["proration"] or "off", form_fields=RECURRING_FIELDS)
    if not done.ok:
        return _recurring_form(None, values, done.errors, 400)
    flash("Recurring invoice created. Add its lines below.", "success")
    return redirect(url_for(".recurring_detail", recurring_id=done.result.id))


@bp.get("/recurring/<int:recurring_id>")
@roles(read=ANYONE)
def recurring_detail(recurring_id: int):
    item = db.get_or_404(RecurringInvoice, recurring_id)
    current = preview.preview_invoice(item.id)
    lines = {ln.id: ln for ln in item.lines}
    return render_template("billing_web/recurring_detail.html", item=item, preview=current, lines=lines,
                           today=utcnow().date())


@bp.route("/recurring/<int:recurring_id>/edit", methods=["GET", "POST"])
@roles(read=BILLING, change=BILLING)
def recurring_edit(recurring_id: int):
    item = db.get_or_404(RecurringInvoice, recurring_id)
    if request.method == "GET":
        values = {k: "" if getattr(item, k) is None else str(getattr(item, k)) for k in RECURRING_TEXT}
        values.update(auto_issue=str(item.auto_issue).lower(), active=str(item.active).lower())
        return _recurring_form(item, values, {})
    values = form_values(RECURRING_TEXT, checkboxes=("auto_issue", "active"))
    changes = dict(values, memo=values["memo"] or None)
    if not changes["proration"]:
        changes.pop("proration")  # a form without the field leaves it as it is
    done = call(recurring.update_recurring_invoice, item.id, actor(), form_fields=RECURRING_FIELDS, **changes)
    if not done.ok:
        return _recurring_form(db.get_or_404(RecurringInvoice, recurring_id), values, done.errors, 400)
    flash("Recurring invoice saved.", "success")
    return redirect(url_for(".recurring_detail", recurring_id=item.id))


@bp.post("/recurring/<int:recurring_id>/delete")
@roles(read=ANYONE, change=BILLING)
def recurring_delete(recurring_id: int):
    item = db.get_or_404(RecurringInvoice, recurring_id)
    organization_id = item.organization_id
    done = call(recurring.delete_recurring_invoice, item.id, actor())
    if not done.ok:
        flash(next(iter(done.errors.values())), "error")
        return redirect(url_for(".recurring_detail", recurring_id=recurring_id), 303)
    flash("Recurring invoice deleted.", "success")
    return redirect(url_for(".recurring_list", organization_id=organization_id), 303)


# -- lines -------------------------------------------------------------------------------------------

def _line_form(item, line, values, errors, status=200):
    return render_template("billing_web/line_form.html", item=item, line=line, values=values, errors=errors,
                           products=product_choices(), integrations=integration_choices(), bases=BASES,
                           kinds=[(LineKind.STANDARD.value, "Standard (fixed quantity)"),
                                  (LineKind.VENDOR.value, "Third-party vendor (follows the license count)")]), status


def _line_changes(values: dict[str, str]) -> dict[str, str | None]:
    """Form values as the line services take them: blanks are "not set"; a vendor line has no typed quantity."""
    changes = {k: (v if v != "" else None) for k, v in values.items()}
    if values["kind"] == LineKind.VENDOR.value:
        changes.pop("quantity")
    else:
        changes["integration_id"] = None
        changes["basis"] = QuantityBasis.AT_ISSUE.value  # the field is hidden with the other vendor fields
    return changes


@bp.route("/recurring/<int:recurring_id>/lines/new", methods=["GET", "POST"])
@roles(read=BILLING, change=BILLING)
def line_add(recurring_id: int):
    item = db.get_or_404(RecurringInvoice, recurring_id)
    if request.method == "GET":
        kind = request.args.get("kind") if request.args.get("kind") in ("standard", "vendor") else "standard"
        return _line_form(item, None, {"kind": kind, "quantity": "1", "basis": "at_issue"}, {})
    values = form_values(LINE_TEXT, checkboxes=LINE_CHECKS)
    changes = _line_changes(values)
    kind, product_id = changes.pop("kind"), changes.pop("product_id")  # blank ones: the service says so
    done = call(recurring.add_line, item.id, actor(), kind=kind, product_id=product_id, form_fields=LINE_FIELDS,
                **{k: v for k, v in changes.items() if v is not None})
    if not done.ok:
        return _line_form(db.get_or_404(RecurringInvoice, recurring_id), None, values, done.errors, 400)
    flash("Line added." + (f" Its quantity is {done.result.quantity.normalize():f}, counted from the vendor."
                           if done.result.is_vendor else ""), "success")
    return redirect(url_for(".recurring_detail", recurring_id=item.id))


def _live_line(recurring_id: int, line_id: int) -> tuple[RecurringInvoice, RecurringLine]:
    item = db.get_or_404(RecurringInvoice, recurring_id)
    line = db.session.get(RecurringLine, line_id)
    if line is None or line.recurring_invoice_id != item.id or line.archived_at is not None:
        abort(404, "no such line on this recurring invoice")
    return item, line


@bp.route("/recurring/<int:recurring_id>/lines/<int:line_id>/edit", methods=["GET", "POST"])
@roles(read=BILLING, change=BILLING)
def line_edit(recurring_id: int, line_id: int):
    item, line = _live_line(recurring_id, line_id)
    if request.method == "GET":
        values = {k: "" if getattr(line, k) is None else str(getattr(line, k)) for k in LINE_TEXT}
        values["quantity"] = format(line.quantity.normalize(), "f")
        values.update({k: str(getattr(line, k)).lower() for k in LINE_CHECKS})
        return _line_form(item, line, values, {})
    values = form_values(LINE_TEXT, checkboxes=LINE_CHECKS)
    changes = _line_changes(values)
    for required in ("kind", "product_id", "basis"):
        if changes[required] is None:
            changes.pop(required)
    done = call(recurring.update_line, line.id, actor(), form_fields=LINE_FIELDS, **changes)
    if not done.ok:
        item, line = _live_line(recurring_id, line_id)
        return _line_form(item, line, values, done.errors, 400)
    flash("Line saved.", "success")
    return redirect(url_for(".recurring_detail", recurring_id=item.id))


@bp.post("/recurring/<int:recurring_id>/lines/<int:line_id>/remove")
@roles(read=ANYONE, change=BILLING)
def line_remove(recurring_id: int, line_id: int):
    item, line = _live_line(recurring_id, line_id)
    done = call(recurring.remove_line, line.id, actor())
    flash("Line removed." if done.ok else next(iter(done.errors.values())), "success" if done.ok else "error")
    return redirect(url_for(".recurring_detail", recurring_id=item.id), 303)
