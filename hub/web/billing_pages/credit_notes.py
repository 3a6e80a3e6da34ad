"""Credit notes in the panel: made from an issued invoice (whole or chosen lines), shown on their own page
(with their e-mail delivery), printed and exported.

The views only read the form and call ``hub.billing.credit_notes``.
"""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for

from hub.billing import credit_notes
from hub.delivery.pdf import credit_note_pdf_download
from hub.extensions import db
from hub.models import CreditNote
from hub.web.access import ANYONE, BILLING, roles
from hub.web.billing_pages import bp
from hub.web.billing_pages.forms import call
from hub.web.billing_pages.invoices import printable_response
from hub.web.helpers import actor


@bp.post("/invoices/<int:invoice_id>/credit-notes")
@roles(read=ANYONE, change=BILLING)
def credit_note_create(invoice_id: int):
    """Credit the ticked lines (none ticked: every line not credited yet)."""
    line_ids = request.form.getlist("line_ids") or None
    done = call(credit_notes.create_credit_note, invoice_id, actor(), request.form.get("reason", ""),
                line_ids=line_ids, send_on_issue=bool(request.form.get("send_on_issue")))
    if not done.ok:
        flash(f"No credit note was made: {next(iter(done.errors.values()))}", "error")
        return redirect(url_for(".invoice_detail", invoice_id=invoice_id), 303)
    flash(f"Credit note {credit_notes.label(done.result.number)} made.", "success")
    return redirect(url_for(".invoice_detail", invoice_id=invoice_id), 303)


@bp.get("/credit-notes/<int:note_id>")
@roles(read=ANYONE)
def credit_note_detail(note_id: int):
    """The credit note's lines and totals, its documents and its e-mails (send / resend)."""
    note = db.get_or_404(CreditNote, note_id)
    return render_template("billing_web/credit_note_detail.html", note=note, label=credit_notes.label(note.number))


@bp.get("/credit-notes/<int:note_id>/print")
@roles(read=ANYONE)
def credit_note_print(note_id: int):
    return printable_response(credit_notes.render_credit_note_html(db.get_or_404(CreditNote, note_id)))


@bp.get("/credit-notes/<int:note_id>.pdf")
@roles(read=ANYONE)
def credit_note_pdf(note_id: int):
    return credit_note_pdf_download(db.get_or_404(CreditNote, note_id))


@bp.get("/credit-notes/<int:note_id>.csv")
@roles(read=ANYONE)
def credit_note_csv(note_id: int):
    note = db.get_or_404(CreditNote, note_id)
    name = credit_notes.label(note.number)
    return Response(credit_notes.credit_note_csv(note), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="credit-note-{name}.csv"'})
