"""One-off charges and manual invoices in the panel.

Charges: list (per Organization, pending or billed), add, edit and delete while pending. Manual
invoice: choose the Organization, type lines and/or tick its pending charges, issue. The views only
read forms and call ``hub.billing.one_off`` and ``hub.billing.manual_invoices``.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from hub.billing import manual_invoices, one_off
from hub.billing.numbering import label
from hub.delivery.company import default_due_days
from hub.extensions import db
from hub.inputs import whole_number
from hub.models import Invoice, OneOffCharge, Organization, RecurringInvoice
from hub.timeutil import utcnow
from hub.web.access import ANYONE, BILLING, roles
from hub.web.billing_pages import bp
from hub.web.billing_pages.forms import call, form_values, organization_choices, product_choices
from hub.web.helpers import actor, filter_choice, filter_id

CHARGE_TEXT = ("organization_id", "recurring_invoice_id", "product_id", "description", "quantity", "unit_price",
               "unit_cost", "currency")
CHARGE_FIELDS = CHARGE_TEXT + ("taxable",)
#: empty line rows the manual invoice form offers
LINE_ROWS = 5
LINE_TEXT = ("description", "quantity", "unit_price", "product_id")
MANUAL_TEXT = ("currency", "invoice_date", "period_start", "period_end", "due_days", "memo")


def _recurring_choices(organization_id=None) -> list[tuple[int, str]]:
    query = (db.select(RecurringInvoice.id, RecurringInvoice.name, RecurringInvoice.currency, Organization.name)
             .join(Organization, Organization.id == RecurringInvoice.organization_id)
             .where(RecurringInvoice.active.is_(True)).order_by(Organization.name, RecurringInvoice.id))
    organization_id = whole_number(str(organization_id or ""), minimum=1)
    if organization_id:
        query = query.where(RecurringInvoice.organization_id == organization_id)
    return [(rid, f"{org} — {name} ({currency}, #{rid})") for rid, name, currency, org in db.session.execute(query)]


@bp.get("/charges")
@roles(read=ANYONE)
def charge_list():
    organization_id = filter_id("organization_id", Organization, "Organization")
    state = filter_choice("state", ["pending", "billed"])
    charges = one_off.list_charges(organization_id=organization_id,
                                   pending={"pending": True, "billed": False}.get(state))
    invoice_ids = {c.invoice_id for c in charges if c.invoice_id}
    numbers = dict(db.session.execute(db.select(Invoice.id, Invoice.number).where(Invoice.id.in_(invoice_ids)))
                   .all()) if invoice_ids else {}
    return render_template("billing_web/charges.html", charges=charges, numbers=numbers, state=state,
                           organization_id=organization_id, organizations=organization_choices(),
                           names=dict(organization_choices()))


def _charge_form(item, values, errors, status=200):
    organization_id = item.organization_id if item else values.get("organization_id")
    return render_template("billing_web/charge_form.html", item=item, values=values, errors=errors,
                           organizations=organization_choices(),
                           recurring=_recurring_choices(organization_id or None),
                           products=[(p.id, f"{p.code} — {p.name} ({p.currency})") for p in product_choices(True)]
                           ), status


@bp.route("/charges/new", methods=["GET", "POST"])
@roles(read=BILLING, change=BILLING)
def charge_create():
    if request.method == "GET":
        return _charge_form(None, {"organization_id": request.args.get("organization_id", ""), "quantity": "1",
                                   "taxable": "true"}, {})
    values = form_values(CHARGE_TEXT, checkboxes=("taxable",))
    done = call(one_off.create_charge, values["organization_id"], actor(), description=values["description"],
                quantity=values["quantity"], unit_price=values["unit_price"], product_id=values["product_id"] or None,
                recurring_invoice_id=values["recurring_invoice_id"] or None, currency=values["currency"] or None,
                unit_cost=values["unit_cost"] or None, taxable=values["taxable"], form_fields=CHARGE_FIELDS)
    if not done.ok:
        return _charge_form(None, values, done.errors, 400)
    flash(f"One-off charge added: the next invoice of {done.result.organization.name} bills it.", "success")
    return redirect(url_for(".charge_list", organization_id=done.result.organization_id), 303)


@bp.route("/charges/<int:charge_id>/edit", methods=["GET", "POST"])
@roles(read=BILLING, change=BILLING)
def charge_edit(charge_id: int):
    item = db.get_or_404(OneOffCharge, charge_id)
    if request.method == "GET":
        data = one_off.charge_to_dict(item)
        values = {k: "" if data.get(k) is None else str(data[k]) for k in CHARGE_TEXT}
        values["taxable"] = "true" if item.taxable else "false"
        return _charge_form(item, values, {} if item.pending else {"_form": "This charge is billed; it can no "
                                                                              "longer change."})
    values = form_values(CHARGE_TEXT[1:], checkboxes=("taxable",))
    changes = {k: (v or None) for k, v in values.items() if k != "taxable"}
    changes["taxable"] = values["taxable"]
    done = call(one_off.update_charge, item.id, actor(), form_fields=CHARGE_FIELDS, **changes)
    if not done.ok:
        return _charge_form(item, values, done.errors, 400)
    flash("One-off charge saved.", "success")
    return redirect(url_for(".charge_list", organization_id=item.organization_id), 303)


@bp.post("/charges/<int:charge_id>/delete")
@roles(read=ANYONE, change=BILLING)
def charge_delete(charge_id: int):
    item = db.get_or_404(OneOffCharge, charge_id)
    organization_id = item.organization_id
    done = call(one_off.delete_charge, item.id, actor())
    if done.ok:
        flash("One-off charge deleted.", "success")
    else:
        flash(next(iter(done.errors.values())), "error")
    return redirect(url_for(".charge_list", organization_id=organization_id), 303)


def _manual_form(organization, values, errors, status=200):
    pending = one_off.list_charges(organization_id=organization.id, pending=True) if organization else []
    return render_template("billing_web/manual_invoice.html", organization=organization, values=values,
                           errors=errors, organizations=organization_choices(), pending=pending,
                           rows=range(LINE_ROWS), chosen=set(request.form.getlist("charge_ids")),
                           products=[(p.id, f"{p.code} — {p.name} ({p.currency})")
                                     for p in product_choices(True)]), status


@bp.route("/invoices/manual", methods=["GET", "POST"])
@roles(read=BILLING, change=BILLING)
def manual_invoice():
    """Step one (GET without an Organization): choose it. Step two: lines, charges, dates; issue."""
    source = request.form if request.method == "POST" else request.args
    organization = None
    if request.method == "GET":
        organization_id = filter_id("organization_id", Organization, "Organization")
        organization = db.session.get(Organization, organization_id) if organization_id else None
    else:
        organization_id = whole_number(source.get("organization_id") or "", minimum=1)
        organization = db.session.get(Organization, organization_id) if organization_id else None
    if request.method == "GET" or organization is None:
        values = {"currency": "USD", "invoice_date": utcnow().date().isoformat(), "due_days": str(default_due_days())}
        errors = {} if request.method == "GET" else {"_form": "Organization: choose one"}
        return _manual_form(organization, values, errors, 200 if request.method == "GET" else 400)
    values = form_values(MANUAL_TEXT + tuple(f"lines.{n}.{k}" for n in range(LINE_ROWS) for k in LINE_TEXT),
                         checkboxes=("send_on_issue",) + tuple(f"lines.{n}.taxable" for n in range(LINE_ROWS)))
    lines, rows_used = [], []
    for n in range(LINE_ROWS):
        row = {k: values[f"lines.{n}.{k}"] for k in LINE_TEXT}
        if any(row.values()):
            row["taxable"] = values[f"lines.{n}.taxable"]
            row["product_id"] = row["product_id"] or None
            lines.append(row)
            rows_used.append(n)
    fields = set(values) | {"charge_ids", "lines"}
    done = call(manual_invoices.create_manual_invoice, organization.id, actor(), currency=values["currency"],
                lines=lines, charge_ids=request.form.getlist("charge_ids"), invoice_date=values["invoice_date"] or None,
                period_start=values["period_start"] or None, period_end=values["period_end"] or None,
                due_days=values["due_days"] or None, memo=values["memo"] or None,
                send_on_issue=values["send_on_issue"], form_fields=fields)
    if not done.ok:
        return _manual_form(organization, values, _line_errors(done.errors, rows_used), 400)
    flash(f"Manual invoice {label(done.result.number)} issued.", "success")
    return redirect(url_for(".invoice_detail", invoice_id=done.result.id), 303)


def _line_errors(errors: dict[str, str], rows_used: list[int]) -> dict[str, str]:
    """The service numbers the lines it was given (filled rows only): key each error by its form row."""
    out = {}
    for key, message in errors.items():
        parts = key.split(".")
        if len(parts) == 3 and parts[0] == "lines" and parts[1].isdigit() and int(parts[1]) < len(rows_used):
            row = rows_used[int(parts[1])]
            key = f"lines.{row}.{parts[2]}"
            message = message.replace(f"line {int(parts[1]) + 1}:", f"line {row + 1}:", 1)
        out[key] = message
    return out
