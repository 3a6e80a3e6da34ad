"""Credit notes: make one against an issued invoice (the whole invoice, or chosen lines), list, read,
export as JSON or CSV, print as PDF, send (or resend) its e-mail.

Thin over ``hub.billing.credit_notes``, the service the panel's invoice page calls (the rules: only an
issued invoice, each line credited whole and at most once, a gapless number; the audit), and
``hub.delivery.outbox`` for the e-mail, as for invoices. Each credit note carries its e-mail delivery
state (``hub.delivery.status``). Roles as the panel's: everyone reads, billing and admins make and send
them. A credit note never changes, so it has no ETag.
"""

from __future__ import annotations

import json

import marshmallow as ma
from sqlalchemy import select

from hub.api.auth import actor
from hub.api.fields import Id
from hub.api.idempotency import idempotent
from hub.api.invoices import DeliveryStateSchema, EmailSchema, PushSchema, SendSchema
from hub.api.invoices import _call as call_service
from hub.api.paging import Key, PageArgs, keyset_page, page_response, page_schema
from hub.api.problems import clash_or_invalid, get_or_404
from hub.api.spec import Blueprint, ExportArgs, export_file, offers_csv
from hub.billing import credit_notes
from hub.billing.errors import BillingError
from hub.delivery import outbox
from hub.delivery import status as delivery_status
from hub.delivery.pdf import credit_note_pdf_download
from hub.destinations import queue
from hub.extensions import db
from hub.models import CreditNote, Invoice
from hub.web.access import ANYONE, BILLING, roles

blp = Blueprint("v1_credit_notes", __name__, tag="Credit notes")


class CreditNoteLineSchema(ma.Schema):
    position = ma.fields.Integer()
    invoice_line_id = ma.fields.Integer()
    product_code = ma.fields.String(allow_none=True)
    description = ma.fields.String()
    quantity = ma.fields.String()
    unit_price = ma.fields.String()
    amount = ma.fields.String()
    tax_amount = ma.fields.String()


class OrganizationNameSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()


class CreditNoteSchema(ma.Schema):
    id = ma.fields.Integer()
    number = ma.fields.String(metadata={"description": "its own gapless series, e.g. CN-000001"})
    invoice_id = ma.fields.Integer()
    invoice_number = ma.fields.String()
    organization = ma.fields.Nested(OrganizationNameSchema)
    credit_date = ma.fields.String()
    currency = ma.fields.String()
    reason = ma.fields.String()
    subtotal = ma.fields.String()
    tax_total = ma.fields.String()
    total = ma.fields.String()
    lines = ma.fields.List(ma.fields.Nested(CreditNoteLineSchema))
    delivery = ma.fields.Nested(DeliveryStateSchema, metadata={"description": "the e-mail delivery state"})
    pushes = ma.fields.List(ma.fields.Nested(PushSchema), dump_only=True, metadata={
        "description": "one per accounting destination enabled when it was issued: `queued` (also while it waits "
                       "for its invoice to reach the destination: `error_field` \"invoice\"), `pushed`, `retrying`, "
                       "`blocked` (the reason and field), or `unsupported` (that destination takes no credit notes)"})


class NewCreditNoteSchema(ma.Schema):
    reason = ma.fields.String(required=True, validate=ma.validate.Length(1, 2000))
    line_ids = ma.fields.List(Id(), load_default=None, allow_none=True,
                              metadata={"description": "the invoice lines to credit; left out: every line not "
                                                       "credited yet"})
    send_on_issue = ma.fields.Boolean(load_default=False, metadata={
        "description": "queue its e-mail to the Organization's billing contacts (it is queued anyway when the "
                       "invoice's recurring invoice sends on issue)"})


class CreditNoteFilter(PageArgs):
    invoice_id = Id(load_default=None)
    organization_id = Id(load_default=None)


CreditNotePage = page_schema(CreditNoteSchema, "CreditNotePage")


def _note(note_id: int) -> CreditNote:
    return get_or_404(CreditNote, note_id, "credit note")


def _described(notes: list[CreditNote]) -> list[dict]:
    """The credit notes as the API shows them: the export's dict with their e-mail state and their pushes
    (one query each for all)."""
    ids = [n.id for n in notes]
    states, pushes = delivery_status.credit_note_states(ids), queue.pushes_of_credit_notes(ids)
    return [{**credit_notes.credit_note_to_dict(n), "delivery": states[n.id], "pushes": pushes[n.id]} for n in notes]


@blp.route("/credit-notes", methods=["GET"])
@roles(read=ANYONE)
@blp.arguments(CreditNoteFilter, location="query")
@blp.response(200, CreditNotePage)
def list_credit_notes(args):
    """Credit notes, newest first (filter by invoice or Organization)."""
    stmt = select(CreditNote)
    if args["invoice_id"] is not None:
        stmt = stmt.where(CreditNote.invoice_id == args["invoice_id"])
    if args["organization_id"] is not None:
        stmt = stmt.where(CreditNote.organization_id == args["organization_id"])
    rows, cursor = keyset_page(stmt, [Key(CreditNote.id, True)], args["limit"], args["cursor"], "credit-notes")
    return page_response(_described([r.CreditNote for r in rows]), cursor)


@blp.route("/invoices/<id:invoice_id>/credit-notes", methods=["POST"])
@roles(read=ANYONE, change=BILLING)
@idempotent
@blp.arguments(NewCreditNoteSchema)
@blp.response(201, CreditNoteSchema)
def create_credit_note(args, invoice_id: int):
    """Credit an issued invoice: the chosen lines, or every line not credited yet (409 for a draft or void
    invoice). Its e-mail is queued when the invoice's recurring invoice sends on issue or `send_on_issue`
    asks (sent by the outbox within a minute)."""
    get_or_404(Invoice, invoice_id, "invoice")
    try:
        note = credit_notes.create_credit_note(invoice_id, actor(), args["reason"], line_ids=args["line_ids"],
                                               send_on_issue=args["send_on_issue"])
    except BillingError as err:
        db.session.rollback()
        raise clash_or_invalid(err, "invoice_id") from None
    return _described([note])[0], 201, {"Location": f"/api/v1/credit-notes/{note.id}"}


@blp.route("/credit-notes/<id:note_id>", methods=["GET"])
@roles(read=ANYONE)
@blp.response(200, CreditNoteSchema)
def get_credit_note(note_id: int):
    """Read a credit note with its lines, its e-mail delivery state and its push state at each accounting
    destination."""
    return _described([_note(note_id)])[0]


@blp.route("/credit-notes/<id:note_id>/send", methods=["POST"])
@roles(read=BILLING, change=BILLING)
@blp.arguments(SendSchema)
@blp.response(200, EmailSchema)
def send_credit_note(args, note_id: int):
    """E-mail a credit note, its PDF attached, to its Organization's billing contacts now (as the panel's Send
    button); a failure stays queued for the retries and shows in `status` and `last_error`. 409 while
    another e-mail of it is queued."""
    _note(note_id)
    return call_service(outbox.send_credit_note, note_id, "credit_note_id",
                        trigger="resend" if args["resend"] else "manual")


@blp.route("/credit-notes/<id:note_id>/export", methods=["GET"])
@roles(read=ANYONE)
@blp.arguments(ExportArgs, location="query")
@blp.response(200, CreditNoteSchema, content_type="application/json")
@offers_csv
def export_credit_note(args, note_id: int):
    """The credit note as a file: JSON (the default) or CSV, as the panel exports it."""
    note = _note(note_id)
    return export_file(args["format"], f"credit-note-{credit_notes.label(note.number)}",
                       lambda: credit_notes.credit_note_csv(note),
                       lambda: json.dumps(credit_notes.credit_note_to_dict(note), indent=2))


@blp.route("/credit-notes/<id:note_id>/pdf", methods=["GET"])
@roles(read=ANYONE)
@blp.doc(responses={"200": {"description": "the credit note as a PDF, laid out like its invoice's",
                            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}})
def credit_note_pdf(note_id: int):
    """The credit note as a PDF, the same bytes as the panel's download (byte-stable)."""
    return credit_note_pdf_download(_note(note_id))
