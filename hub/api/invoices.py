"""Invoices: list (Organization, status, recurring invoice, period, e-mail delivery, accounting push), read,
issue a draft, void, bill a void invoice's period again, export, send (or resend) the e-mail, push now.

Each invoice carries its e-mail delivery state (``hub.delivery.status``) and its pushes to accounting
destinations (``hub.destinations.queue``), as the panel's invoice pages show them."""

from __future__ import annotations

import marshmallow as ma
from sqlalchemy import select

from hub.api.auth import actor
from hub.api.fields import DecimalText, Id, UtcDateTime
from hub.api.idempotency import idempotent
from hub.api.paging import Key, PageArgs, keyset_page, page_response, page_schema
from hub.api.problems import clash_or_invalid, fail, get_or_404
from hub.api.spec import Blueprint, ExportArgs, export_file, offers_csv
from hub.api.vendor_customers import OrganizationRefSchema
from hub.billing import export, invoices
from hub.billing.invoicing import reissue_invoice
from hub.billing.errors import BillingError
from hub.delivery import outbox
from hub.delivery.pdf import pdf_download
from hub.delivery import status as delivery_status
from hub.destinations import payments, queue
from hub.extensions import db
from hub.models import DeliveryStatus, DestinationPush, Invoice, InvoiceStatus, PaymentState, PushState
from hub.plugins import VendorError
from hub.web.access import ANYONE, BILLING, roles

blp = Blueprint("v1_invoices", __name__, tag="Invoices")


class EvidenceSchema(ma.Schema):
    quantity_change_id = ma.fields.Integer(allow_none=True)
    sync_run_id = Id(allow_none=True)
    recurring_line_id = ma.fields.Integer(allow_none=True)


class InvoiceLineSchema(ma.Schema):
    position = ma.fields.Integer()
    kind = ma.fields.String()
    product_code = ma.fields.String()
    description = ma.fields.String()
    quantity = DecimalText(dump_only=True)
    unit = ma.fields.String(metadata={"description": "vendor lines: what their SKUs count (license, GB, ...); "
                                                    "empty for other lines"})
    unit_price = DecimalText(dump_only=True)
    amount = DecimalText(dump_only=True)
    taxable = ma.fields.Boolean()
    source = ma.fields.String(allow_none=True)
    evidence = ma.fields.Nested(EvidenceSchema)


class EmailSchema(ma.Schema):
    id = ma.fields.Integer()
    status = ma.fields.String(metadata={"enum": [s.value for s in DeliveryStatus]})
    trigger = ma.fields.String(metadata={"description": "auto (sent on issue), manual or resend"})
    to_addresses = ma.fields.List(ma.fields.String())
    cc_addresses = ma.fields.List(ma.fields.String())
    attempts = ma.fields.Integer()
    next_attempt_at = UtcDateTime(allow_none=True)
    last_error = ma.fields.String(allow_none=True)
    message_id = ma.fields.String(allow_none=True, metadata={
        "description": "the e-mail's Message-ID header (one for every attempt of it); null before the first"})
    sent_at = UtcDateTime(allow_none=True)
    created_at = UtcDateTime()
    created_by = ma.fields.String()


class DeliveryStateSchema(ma.Schema):
    state = ma.fields.String(metadata={"enum": list(delivery_status.LABELS)})
    emails = ma.fields.List(ma.fields.Nested(EmailSchema), attribute="deliveries",
                            metadata={"description": "newest first"})


class PushSchema(ma.Schema):
    id = ma.fields.Integer()
    destination = ma.fields.String(attribute="connection.slug")
    state = ma.fields.String(metadata={"enum": [s.value for s in PushState]})
    attempts = ma.fields.Integer()
    next_attempt_at = UtcDateTime(allow_none=True)
    last_error = ma.fields.String(allow_none=True)
    error_field = ma.fields.String(allow_none=True)
    external_id = ma.fields.String(allow_none=True,
                                   metadata={"description": "the id at the provider of the invoice (or credit note)"})
    external_number = ma.fields.String(allow_none=True)
    external_url = ma.fields.String(allow_none=True)
    pushed_at = UtcDateTime(allow_none=True)
    void_requested_at = UtcDateTime(allow_none=True)
    voided_at = UtcDateTime(allow_none=True)
    payment_state = ma.fields.String(allow_none=True, metadata={
        "enum": [s.value for s in PaymentState] + [None],
        "description": "the payment read back from the provider; null until read"})
    amount_paid = DecimalText(dump_only=True, allow_none=True)
    balance_due = DecimalText(dump_only=True, allow_none=True)
    payment_checked_at = UtcDateTime(allow_none=True)
    paid_at = UtcDateTime(allow_none=True)


class InvoiceSchema(ma.Schema):
    id = ma.fields.Integer()
    number = ma.fields.String(allow_none=True)
    status = ma.fields.String(metadata={"enum": [s.value for s in InvoiceStatus]})
    organization = ma.fields.Nested(OrganizationRefSchema)
    recurring_invoice_id = Id(allow_none=True)
    invoice_date = ma.fields.String(metadata={"format": "date"})
    due_date = ma.fields.String(metadata={"format": "date"})
    period_start = ma.fields.String(metadata={"format": "date"})
    period_end = ma.fields.String(metadata={"format": "date"})
    currency = ma.fields.String()
    memo = ma.fields.String(allow_none=True)
    subtotal = ma.fields.String()
    taxable_subtotal = ma.fields.String()
    total = ma.fields.String()
    issued_at = ma.fields.String(allow_none=True)
    voided_at = ma.fields.String(allow_none=True)
    void_reason = ma.fields.String(allow_none=True)
    lines = ma.fields.List(ma.fields.Nested(InvoiceLineSchema))
    delivery = ma.fields.Nested(DeliveryStateSchema, metadata={"description": "the e-mail delivery state"})
    pushes = ma.fields.List(ma.fields.Nested(PushSchema), metadata={"description": "one per accounting destination"})


class InvoiceFilter(PageArgs):
    organization_id = Id(load_default=None)
    status = ma.fields.String(load_default=None, validate=ma.validate.OneOf([s.value for s in InvoiceStatus]))
    recurring_invoice_id = Id(load_default=None)
    period_from = ma.fields.Date(load_default=None, metadata={"description": "periods ending on or after"})
    period_to = ma.fields.Date(load_default=None, metadata={"description": "periods starting on or before"})
    delivery = ma.fields.String(load_default=None, validate=ma.validate.OneOf(list(delivery_status.FILTERS)),
                                metadata={"description": "e-mail state: emailed, not_sent (issued ones) or failed"})
    push_state = ma.fields.String(load_default=None, validate=ma.validate.OneOf(list(queue.PUSH_FILTERS)),
                                  metadata={"description": "accounting push state"})
    payment = ma.fields.String(load_default=None, validate=ma.validate.OneOf(list(payments.PAYMENT_FILTERS)),
                               metadata={"description": "payment read back from an accounting destination"})


class VoidSchema(ma.Schema):
    reason = ma.fields.String(required=True, validate=ma.validate.Length(1, 2000))


class SendSchema(ma.Schema):
    resend = ma.fields.Boolean(load_default=False, metadata={"description": "record it as a resend (of an e-mail "
                                                                            "already sent or failed)"})


InvoicePage = page_schema(InvoiceSchema, "InvoicePage")


def _invoice(invoice_id: int) -> Invoice:
    return get_or_404(Invoice, invoice_id, "invoice")


def _described(found: list[Invoice]) -> list[dict]:
    """The invoices as the API shows them: export's dict, with e-mail state and pushes (two queries in all)."""
    ids = [i.id for i in found]
    states, pushes = delivery_status.states(ids), queue.pushes_of_invoices(ids)
    return [{**export.invoice_to_dict(i), "delivery": states[i.id], "pushes": pushes[i.id]} for i in found]


@blp.route("/invoices", methods=["GET"])
@roles(read=ANYONE)
@blp.arguments(InvoiceFilter, location="query")
@blp.response(200, InvoicePage)
def list_invoices(args):
    """Invoices, newest invoice date first."""
    stmt = select(Invoice).where(*invoices.invoice_filters(
        organization_id=args["organization_id"], status=args["status"],
        recurring_invoice_id=args["recurring_invoice_id"], delivery_state=args["delivery"],
        push_state=args["push_state"], payment=args["payment"]))
    if args["period_from"] is not None:
        stmt = stmt.where(Invoice.period_end >= args["period_from"])
    if args["period_to"] is not None:
        stmt = stmt.where(Invoice.period_start <= args["period_to"])
    rows, cursor = keyset_page(stmt, [Key(Invoice.invoice_date, True), Key(Invoice.id, True)], args["limit"],
                               args["cursor"], "invoices")
    return page_response(_described([r.Invoice for r in rows]), cursor)


@blp.route("/invoices/<id:invoice_id>", methods=["GET"])
@roles(read=ANYONE)
@blp.response(200, InvoiceSchema)
def get_invoice(invoice_id: int):
    """One invoice with its lines and each line's evidence, its e-mail delivery state and its pushes."""
    return _described([_invoice(invoice_id)])[0]


def _call(call, row_id: int, path_field: str, *args, **kwargs):
    """``call(row_id, actor, ...)``: a service refusing (its state: 409, the input: 422) changes nothing."""
    try:
        return call(row_id, actor(), *args, **kwargs)
    except (BillingError, VendorError) as err:
        db.session.rollback()
        raise clash_or_invalid(err, path_field) from None


def _change(call, invoice_id: int, *args):
    _invoice(invoice_id)
    return _described([_call(call, invoice_id, "invoice_id", *args)])[0]


@blp.route("/invoices/<id:invoice_id>/issue", methods=["POST"])
@roles(read=BILLING, change=BILLING)
@idempotent
@blp.response(200, InvoiceSchema)
def issue(invoice_id: int):
    """Issue a draft: it gets the next number and never changes again (409 if it is not a draft; a retry
    with the first request's `Idempotency-Key` gets the first answer again)."""
    return _change(invoices.issue_invoice, invoice_id)


@blp.route("/invoices/<id:invoice_id>/void", methods=["POST"])
@roles(read=BILLING, change=BILLING)
@blp.arguments(VoidSchema)
@blp.response(200, InvoiceSchema)
def void(args, invoice_id: int):
    """Void a draft or an issued invoice; it keeps its number and period."""
    return _change(invoices.void_invoice, invoice_id, args["reason"])


@blp.route("/invoices/<id:invoice_id>/reissue", methods=["POST"])
@roles(read=BILLING, change=BILLING)
@idempotent
@blp.response(201, InvoiceSchema)
def reissue(invoice_id: int):
    """Bill a void invoice's period again (as the panel's Reissue button): a new invoice of the same
    recurring invoice and period, its lines as they stand now; at `Location`. 409 when the invoice is
    not void, was not made by a recurring invoice, or its period already has a live invoice."""
    _invoice(invoice_id)
    new_id = _call(reissue_invoice, invoice_id, "invoice_id")
    return _described([_invoice(new_id)])[0], 201, {"Location": f"/api/v1/invoices/{new_id}"}


@blp.route("/invoices/<id:invoice_id>/send", methods=["POST"])
@roles(read=BILLING, change=BILLING)
@blp.arguments(SendSchema)
@blp.response(200, EmailSchema)
def send(args, invoice_id: int):
    """E-mail an issued invoice to its Organization's billing contacts now (as the panel's Send button);
    a failure stays queued for the retries and shows in `status` and `last_error`. 409 for a draft or a
    void invoice, or while another e-mail of it is queued."""
    _invoice(invoice_id)
    return _call(outbox.send_invoice, invoice_id, "invoice_id", trigger="resend" if args["resend"] else "manual")


@blp.route("/invoices/<id:invoice_id>/pushes/<id:push_id>/push-now", methods=["POST"])
@roles(read=BILLING, change=BILLING)
@blp.response(200, PushSchema)
def push_now(invoice_id: int, push_id: int):
    """Push a waiting (queued, retrying or blocked) push at the next push run, within a minute; 409 for
    a push in another state."""
    push = db.session.get(DestinationPush, push_id)
    if push is None or push.invoice_id != _invoice(invoice_id).id:
        fail(404, f"invoice {invoice_id} has no push {push_id}")
    return _call(queue.push_now, push.id, "push_id")


@blp.route("/invoices/<id:invoice_id>/export", methods=["GET"])
@roles(read=ANYONE)
@blp.arguments(ExportArgs, location="query")
@blp.response(200, InvoiceSchema, content_type="application/json")
@offers_csv
def export_invoice(args, invoice_id: int):
    """The invoice as a file: JSON (the default) or CSV, as the panel exports it."""
    invoice = _invoice(invoice_id)
    return export_file(args["format"], f"invoice-{invoice.number or invoice.id}", lambda: export.invoice_csv(invoice),
                       lambda: export.invoice_json(invoice))


@blp.route("/invoices/<id:invoice_id>/pdf", methods=["GET"])
@roles(read=ANYONE)
@blp.doc(responses={"200": {"description": "the invoice as a PDF: the document its e-mail attaches",
                            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}})
def invoice_pdf(invoice_id: int):
    """The invoice as a PDF, the same bytes the panel's download and the e-mail give (byte-stable)."""
    return pdf_download(_invoice(invoice_id))
