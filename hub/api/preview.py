"""A recurring invoice's next invoice before it is issued (``hub.billing.preview``, the panel's preview page):
each line's quantity, price, where the quantity came from and what changed since the last invoice. Reads only."""

from __future__ import annotations

import marshmallow as ma

from hub.api.fields import DecimalText
from hub.api.problems import service_error
from hub.api.spec import Blueprint
from hub.billing import preview
from hub.billing.errors import BillingError
from hub.web.access import ANYONE, roles

blp = Blueprint("v1_preview", __name__, tag="Recurring invoices")


class ContributionSchema(ma.Schema):
    vendor_customer_id = ma.fields.Integer(attribute="customer_id")
    customer = ma.fields.String()
    external_id = ma.fields.String()
    detached = ma.fields.Boolean(metadata={"description": "shown, not counted: the vendor no longer lists it"})
    sku = ma.fields.String()
    quantity = DecimalText(dump_only=True)
    unit = ma.fields.String(metadata={"description": "what the SKU counts (license, GB, ...)"})


class RemovedLineSchema(ma.Schema):
    product_code = ma.fields.String()
    description = ma.fields.String()
    quantity = DecimalText(dump_only=True)
    amount = DecimalText(dump_only=True)


class PreviewLineSchema(ma.Schema):
    recurring_line_id = ma.fields.Integer(attribute="line.recurring_line_id")
    position = ma.fields.Integer(attribute="line.position")
    kind = ma.fields.String(attribute="line.kind")
    product_code = ma.fields.String(attribute="line.product_code")
    description = ma.fields.String(attribute="line.description")
    vendor = ma.fields.String(attribute="line.vendor", allow_none=True)
    counted_quantity = DecimalText(attribute="line.counted_quantity", dump_only=True)
    quantity = DecimalText(attribute="line.quantity", dump_only=True, metadata={"description": "what it bills"})
    quantity_state = ma.fields.String(attribute="line.quantity_state",
                                      metadata={"description": "vendor lines: counted, held or kept"})
    unit_price = DecimalText(attribute="line.unit_price", dump_only=True)
    amount = DecimalText(attribute="line.amount", dump_only=True)
    price_source = ma.fields.String(attribute="line.price_source")
    source = ma.fields.String(attribute="line.source", metadata={"description": "where the quantity comes from"})
    basis = ma.fields.String(attribute="line.basis", metadata={
        "description": "vendor lines: at_issue, peak, average or end (empty for other lines)"})
    basis_detail = ma.fields.Function(
        lambda pl: pl.line.measure.as_dict() if pl.line.measure else None, allow_none=True,
        metadata={"type": "object", "description": "a period basis: its figure, the day it was reached, the window "
                                                   "and the daily counts behind it, as constant runs"})
    needs_review = ma.fields.String(attribute="line.needs_review", allow_none=True, metadata={
        "description": "no count history for the period: billed at issue, the invoice waits as a draft"})
    on_invoice = ma.fields.Boolean(attribute="line.on_invoice")
    status = ma.fields.String(metadata={"enum": ["new", "changed", "unchanged", "not_billed"],
                                        "description": "against the last invoice"})
    quantity_delta = DecimalText(dump_only=True, allow_none=True)
    amount_delta = DecimalText(dump_only=True, allow_none=True)
    pending_change_id = ma.fields.Function(lambda pl: pl.pending.id if pl.pending else None, allow_none=True,
                                           metadata={"type": "integer",
                                                     "description": "a held change waiting for approval"})
    contributions = ma.fields.List(ma.fields.Nested(ContributionSchema))


class PreviewSchema(ma.Schema):
    recurring_invoice_id = ma.fields.Integer(attribute="recurring.id")
    run_date = ma.fields.Date()
    period_start = ma.fields.Date(attribute="period.start")
    period_end = ma.fields.Date(attribute="period.end")
    currency = ma.fields.String(attribute="recurring.currency")
    total = DecimalText(dump_only=True)
    previous_total = DecimalText(dump_only=True, allow_none=True)
    last_invoice_id = ma.fields.Function(lambda p: p.last_invoice.id if p.last_invoice else None, allow_none=True,
                                         metadata={"type": "integer"})
    lines = ma.fields.List(ma.fields.Nested(PreviewLineSchema))
    removed = ma.fields.List(ma.fields.Nested(RemovedLineSchema),
                             metadata={"description": "lines of the last invoice whose recurring line is gone"})
    warnings = ma.fields.List(ma.fields.String())


class PreviewArgs(ma.Schema):
    run_date = ma.fields.Date(load_default=None, metadata={"description": "default: its next run date"})


@blp.route("/recurring-invoices/<id:recurring_id>/preview", methods=["GET"])
@roles(read=ANYONE)
@blp.arguments(PreviewArgs, location="query")
@blp.response(200, PreviewSchema)
def preview_recurring(args, recurring_id: int):
    """What the next invoice would be if issued on `run_date`, line by line, against the last one."""
    try:
        return preview.preview_invoice(recurring_id, args["run_date"])
    except BillingError as err:
        raise service_error(err, ("recurring_id",)) from None
