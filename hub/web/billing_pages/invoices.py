"""Invoices: the preview of a recurring invoice's next one, "issue now" when it is due, issued invoices
(list, detail, printable HTML, CSV and JSON), issuing a draft, voiding and
reissuing a void invoice's period.

Issued invoices never change (the database refuses it); the pages only read them, and the
actions (issue a draft, void, reissue) are the services' own.
"""

from __future__ import annotations

import base64
import hashlib
import re

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for

from hub.billing import export, invoices, preview
from hub.billing.errors import BillingError
from hub.billing.invoicing import issue_now, reissue_invoice
from hub.billing.credit_notes import credited_line_ids
from hub.billing.credit_notes import label as credit_label
from hub.billing.numbering import label
from hub.delivery import status as delivery_status
from hub.destinations import queue
from hub.destinations.payments import PAYMENT_FILTERS
from hub.destinations.queue import PUSH_FILTERS
from hub.extensions import db
from hub.models import CreditNote, Invoice, InvoiceStatus, Organization, RecurringInvoice
from hub.timeutil import utcnow
from hub.web.access import ANYONE, BILLING, roles
from hub.web.billing_pages import bp
from hub.web.billing_pages.forms import call
from hub.web.helpers import actor, filter_choice, filter_id
from hub.web.paging import int_arg

PER_PAGE = 50
NONE = "'none'"


@bp.get("/recurring/<int:recurring_id>/preview")
@roles(read=ANYONE)
def recurring_preview(recurring_id: int):
    item = db.get_or_404(RecurringInvoice, recurring_id)
    errors = {}
    run_date = (request.args.get("run_date") or "").strip() or None
    done = call(preview.preview_invoice, item.id, run_date, form_fields=("run_date",))
    if not done.ok:
        errors = done.errors
        done = call(preview.preview_invoice, item.id)
    return render_template("billing_web/preview.html", item=item, preview=done.result, errors=errors,
                           run_date=run_date or "", today=utcnow().date()), (400 if errors else 200)


@bp.post("/recurring/<int:recurring_id>/issue-now")
@roles(read=ANYONE, change=BILLING)
def recurring_issue_now(recurring_id: int):
    """Run the invoice run for this one recurring invoice, today: only when it is due (the service decides
    what is due and never issues two invoices for one period)."""
    item = db.get_or_404(RecurringInvoice, recurring_id)
    try:
        result = issue_now(item.id, actor())
    except BillingError as err:
        flash(err.message, "error")
        return redirect(url_for(".recurring_detail", recurring_id=item.id), 303)
    made = result.issued + result.drafts
    if made:
        flash(f"{len(result.issued)} invoice(s) issued, {len(result.drafts)} draft(s) made.", "success")
    elif result.empty:
        flash("Nothing to bill for this period: no invoice was made and the next run date moved on.", "info")
    for _rid, why in result.skipped:
        flash(f"Not issued: {why}", "error")
    if len(made) == 1:
        return redirect(url_for(".invoice_detail", invoice_id=made[0]), 303)
    return redirect(url_for(".recurring_detail", recurring_id=item.id), 303)


@bp.get("/invoices")
@roles(read=ANYONE)
def invoice_list():
    organization_id = filter_id("organization_id", Organization, "Organization")
    recurring_id = filter_id("recurring_id", RecurringInvoice, "recurring invoice")
    status = filter_choice("status", [s.value for s in InvoiceStatus])
    delivery = filter_choice("delivery", list(delivery_status.FILTERS))
    push_state = filter_choice("push_state", list(PUSH_FILTERS))
    payment = filter_choice("payment", list(PAYMENT_FILTERS))
    page = int_arg("page", 1, 1, 1_000_000)
    found = invoices.list_invoices(organization_id=organization_id, status=status or None,
                                   recurring_invoice_id=recurring_id, delivery_state=delivery or None,
                                   push_state=push_state or None, payment=payment or None, limit=PER_PAGE + 1,
                                   offset=(page - 1) * PER_PAGE)
    has_next, found = len(found) > PER_PAGE, found[:PER_PAGE]
    org_ids = {i.organization_id for i in found}
    names = dict(db.session.execute(db.select(Organization.id, Organization.name)
                                    .where(Organization.id.in_(org_ids))).all()) if org_ids else {}
    organization = db.session.get(Organization, organization_id) if organization_id else None
    return render_template("billing_web/invoices.html", invoices=found, names=names, status=status,
                           statuses=[s.value for s in InvoiceStatus], organization=organization,
                           recurring_id=recurring_id, page=page, has_next=has_next, delivery=delivery,
                           delivery_filters=delivery_status.FILTERS,
                           deliveries=delivery_status.states([i.id for i in found]),
                           push_state=push_state, push_filters=PUSH_FILTERS, payment=payment,
                           payment_filters=PAYMENT_FILTERS)


def _invoice(invoice_id: int) -> Invoice:
    return db.get_or_404(Invoice, invoice_id)


@bp.get("/invoices/<int:invoice_id>")
@roles(read=ANYONE)
def invoice_detail(invoice_id: int, errors=None, status=200):
    invoice = _invoice(invoice_id)
    notes = db.session.execute(db.select(CreditNote).filter_by(invoice_id=invoice.id).order_by(CreditNote.id)
                               ).scalars().all()
    return render_template("billing_web/invoice_detail.html", invoice=invoice, errors=errors or {},
                           reason=request.form.get("reason", "") if errors else "", notes=notes,
                           credited=credited_line_ids(invoice.id), credit_label=credit_label,
                           pushes=queue.pushes_of_invoice(invoice.id), destination_names=destination_names(),
                           note_pushes=queue.pushes_of_credit_notes([n.id for n in notes])), status


def destination_names() -> dict[str, str]:
    return {p.slug: p.info.display_name for p in current_app.extensions["hub.plugins"].destinations.values()}


def _filename(invoice: Invoice, ext: str) -> str:
    name = label(invoice.number) if invoice.number else f"draft-{invoice.id}"
    return f"invoice-{re.sub(r'[^A-Za-z0-9_.-]', '_', name)}.{ext}"


@bp.get("/invoices/<int:invoice_id>.csv")
@roles(read=ANYONE)
def invoice_csv(invoice_id: int):
    invoice = _invoice(invoice_id)
    return Response(export.invoice_csv(invoice), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{_filename(invoice, "csv")}"'})


@bp.get("/invoices/<int:invoice_id>.json")
@roles(read=ANYONE)
def invoice_json(invoice_id: int):
    invoice = _invoice(invoice_id)
    return Response(export.invoice_json(invoice), mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{_filename(invoice, "json")}"'})


@bp.get("/invoices/<int:invoice_id>/print")
@roles(read=ANYONE)
def invoice_print(invoice_id: int):
    return printable_response(export.render_invoice_html(_invoice(invoice_id)))


def printable_response(html: str) -> Response:
    """A standalone printable page (invoice, credit note). Its one inline <style> is allowed by hash, so the
    page stays under a Content-Security-Policy with no inline scripts and no other inline styles."""
    hashes = [f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'"
              for s in re.findall(r"<style>(.*?)</style>", html, flags=re.S)]
    csp = (f"default-src 'none'; style-src {' '.join(hashes) or NONE}; "
           "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
    return Response(html, mimetype="text/html", headers={"Content-Security-Policy": csp})


@bp.post("/invoices/<int:invoice_id>/void")
@roles(read=ANYONE, change=BILLING)
def invoice_void(invoice_id: int):
    invoice = _invoice(invoice_id)
    done = call(invoices.void_invoice, invoice.id, actor(), request.form.get("reason", ""), form_fields=("reason",))
    if not done.ok:
        return invoice_detail(invoice_id, errors=done.errors, status=400)
    flash(f"Invoice {label(done.result.number)} is void.", "success")
    return redirect(url_for(".invoice_detail", invoice_id=invoice.id), 303)


@bp.post("/invoices/<int:invoice_id>/reissue")
@roles(read=ANYONE, change=BILLING)
def invoice_reissue(invoice_id: int):
    """Bill a void invoice's period again (the service refuses while the period has a live invoice)."""
    invoice = _invoice(invoice_id)
    done = call(reissue_invoice, invoice.id, actor())
    if not done.ok:
        flash(next(iter(done.errors.values())), "error")
        return redirect(url_for(".invoice_detail", invoice_id=invoice.id), 303)
    flash(f"The period of invoice {label(invoice.number)} was billed again.", "success")
    return redirect(url_for(".invoice_detail", invoice_id=done.result), 303)


@bp.post("/invoices/<int:invoice_id>/issue")
@roles(read=ANYONE, change=BILLING)
def invoice_issue(invoice_id: int):
    invoice = _invoice(invoice_id)
    if invoice.status != InvoiceStatus.DRAFT.value:
        abort(409, f"invoice {invoice.id} is {invoice.status}; only a draft can be issued")
    done = call(invoices.issue_invoice, invoice.id, actor())
    if done.ok:
        flash(f"Invoice {label(done.result.number)} issued.", "success")
    else:
        flash(next(iter(done.errors.values())), "error")
    return redirect(url_for(".invoice_detail", invoice_id=invoice.id), 303)
