"""Invoices: list (Organization, status, recurring invoice, period), read, issue a draft, void, export."""

from __future__ import annotations

import marshmallow as ma
from flask import Response
from sqlalchemy import select

from hub.api.auth import actor
from hub.api.fields import DecimalText, Id
from hub.api.paging import Key, PageArgs, keyset_page, page_response, page_schema
from hub.api.problems import clash_or_invalid, get_or_404
from hub.api.spec import Blueprint, offers_csv
from hub.api.vendor_customers import OrganizationRefSchema
from hub.billing import export, invoices
from hub.billing.errors import BillingError
from hub.extensions import db
from hub.models import Invoice, InvoiceStatus
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
    unit_price = DecimalText(dump_only=True)
    amount = DecimalText(dump_only=True)
    taxable = ma.fields.Boolean()
    source = ma.fields.String(allow_none=True)
    evidence = ma.fields.Nested(EvidenceSchema)


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


class InvoiceFilter(PageArgs):
    organization_id = Id(load_default=None)
    status = ma.fields.String(load_default=None, validate=ma.validate.OneOf([s.value for s in InvoiceStatus]))
    recurring_invoice_id = Id(load_default=None)
    period_from = ma.fields.Date(load_default=None, metadata={"description": "periods ending on or after"})
    period_to = ma.fields.Date(load_default=None, metadata={"description": "periods starting on or before"})


class VoidSchema(ma.Schema):
    reason = ma.fields.String(required=True, validate=ma.validate.Length(1, 2000))


class ExportArgs(ma.Schema):
    format = ma.fields.String(load_default="json", validate=ma.validate.OneOf(["json", "csv"]))


InvoicePage = page_schema(InvoiceSchema, "InvoicePage")


def _invoice(invoice_id: int) -> Invoice:
    return get_or_404(Invoice, invoice_id, "invoice")


@blp.route("/invoices", methods=["GET"])
@roles(read=ANYONE)
@blp.arguments(InvoiceFilter, location="query")
@blp.response(200, InvoicePage)
def list_invoices(args):
    """Invoices, newest invoice date first."""
    stmt = select(Invoice)
    for field in ("organization_id", "status", "recurring_invoice_id"):
        if args[field] is not None:
            stmt = stmt.where(getattr(Invoice, field) == args[field])
    if args["period_from"] is not None:
        stmt = stmt.where(Invoice.period_end >= args["period_from"])
    if args["period_to"] is not None:
        stmt = stmt.where(Invoice.period_start <= args["period_to"])
    rows, cursor = keyset_page(stmt, [Key(Invoice.invoice_date, True), Key(Invoice.id, True)], args["limit"],
                               args["cursor"], "invoices")
    return page_response([export.invoice_to_dict(r.Invoice) for r in rows], cursor)


@blp.route("/invoices/<id:invoice_id>", methods=["GET"])
@roles(read=ANYONE)
@blp.response(200, InvoiceSchema)
def get_invoice(invoice_id: int):
    """One invoice with its lines and each line's evidence."""
    return export.invoice_to_dict(_invoice(invoice_id))


def _change(call, invoice_id: int, *args):
    _invoice(invoice_id)
    try:
        return export.invoice_to_dict(call(invoice_id, actor(), *args))
    except BillingError as err:
        db.session.rollback()
        raise clash_or_invalid(err, "invoice_id") from None


@blp.route("/invoices/<id:invoice_id>/issue", methods=["POST"])
@roles(read=BILLING, change=BILLING)
@blp.response(200, InvoiceSchema)
def issue(invoice_id: int):
    """Issue a draft: it gets the next number and never changes again (409 if it is not a draft)."""
    return _change(invoices.issue_invoice, invoice_id)


@blp.route("/invoices/<id:invoice_id>/void", methods=["POST"])
@roles(read=BILLING, change=BILLING)
@blp.arguments(VoidSchema)
@blp.response(200, InvoiceSchema)
def void(args, invoice_id: int):
    """Void a draft or an issued invoice; it keeps its number and period."""
    return _change(invoices.void_invoice, invoice_id, args["reason"])


@blp.route("/invoices/<id:invoice_id>/export", methods=["GET"])
@roles(read=ANYONE)
@blp.arguments(ExportArgs, location="query")
@blp.response(200, InvoiceSchema, content_type="application/json")
@offers_csv
def export_invoice(args, invoice_id: int):
    """The invoice as a file: JSON (the default) or CSV, as the panel exports it."""
    invoice = _invoice(invoice_id)
    name = f"invoice-{invoice.number or invoice.id}.{args['format']}"
    body, mimetype = ((export.invoice_csv(invoice), "text/csv") if args["format"] == "csv"
                      else (export.invoice_json(invoice), "application/json"))
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'})
