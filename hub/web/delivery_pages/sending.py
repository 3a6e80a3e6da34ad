"""An invoice's PDF, "send" / "resend" of an invoice or a credit note, an Organization's billing contacts and
a recurring invoice's send-on-issue choice."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from hub.billing import credit_notes
from hub.billing.numbering import label
from hub.delivery import contacts, outbox
from hub.delivery.pdf import pdf_download
from hub.extensions import db
from hub.models import CreditNote, Invoice, Organization, RecurringInvoice
from hub.web.access import ANYONE, BILLING, roles
from hub.web.billing_pages.forms import call
from hub.web.delivery_pages import bp
from hub.web.helpers import actor


@bp.get("/billing/invoices/<int:invoice_id>.pdf")
@roles(read=ANYONE)
def invoice_pdf(invoice_id: int):
    return pdf_download(db.get_or_404(Invoice, invoice_id))


@bp.post("/billing/invoices/<int:invoice_id>/send")
@roles(read=ANYONE, change=BILLING)
def invoice_send(invoice_id: int):
    """Queue the invoice's e-mail and send it now; a failure stays queued for the retries."""
    invoice = db.get_or_404(Invoice, invoice_id)
    _send(outbox.send_invoice, invoice.id, f"Invoice {label(invoice.number)}")
    return redirect(url_for("billing.invoice_detail", invoice_id=invoice.id), 303)


@bp.post("/billing/credit-notes/<int:note_id>/send")
@roles(read=ANYONE, change=BILLING)
def credit_note_send(note_id: int):
    """Queue the credit note's e-mail and send it now, as an invoice's."""
    note = db.get_or_404(CreditNote, note_id)
    _send(outbox.send_credit_note, note.id, f"Credit note {credit_notes.label(note.number)}")
    return redirect(url_for("billing.credit_note_detail", note_id=note.id), 303)


def _send(send, document_id: int, name: str) -> None:
    trigger = "resend" if request.form.get("resend") else "manual"
    done = call(send, document_id, actor(), trigger=trigger)
    if not done.ok:
        flash(next(iter(done.errors.values())), "error")
    elif done.result.status == "sent":
        flash(f"{name} e-mailed to {', '.join(done.result.to_addresses)}.", "success")
    else:
        flash(f"{name} not sent yet: {done.result.last_error}", "error")


@bp.route("/organizations/<int:organization_id>/billing-contacts", methods=["GET", "POST"])
@roles(read=BILLING, change=BILLING)
def organization_contacts(organization_id: int):
    organization = db.get_or_404(Organization, organization_id)
    errors, status = {}, 200
    if request.method == "POST":
        values = {"to": request.form.get("to", ""), "cc": request.form.get("cc", "")}
        done = call(contacts.set_contacts, organization.id, values["to"], values["cc"], actor(),
                    form_fields=("to", "cc"))
        if done.ok:
            flash("Billing contacts saved.", "success")
            return redirect(url_for("organizations.detail", organization_id=organization.id), 303)
        errors, status = done.errors, 400
    else:
        found = contacts.get_contacts(organization.id)
        values = {"to": "\n".join(found.to_addresses) if found else "",
                  "cc": "\n".join(found.cc_addresses or []) if found else ""}
    return render_template("delivery/contacts.html", organization=organization, values=values,
                           errors=errors), status


@bp.post("/billing/recurring/<int:recurring_id>/delivery")
@roles(read=ANYONE, change=BILLING)
def recurring_delivery(recurring_id: int):
    item = db.get_or_404(RecurringInvoice, recurring_id)
    choice = request.form.get("send_on_issue")
    if choice not in ("true", "false"):
        abort(400, "send_on_issue must be true or false")
    outbox.set_send_on_issue(item.id, choice == "true", actor())
    flash("Invoices of this schedule are e-mailed when issued." if choice == "true"
          else "Invoices of this schedule are held for sending by hand.", "success")
    return redirect(url_for("billing.recurring_detail", recurring_id=item.id), 303)
