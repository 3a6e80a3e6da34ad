"""Manual invoices: issue an invoice for an Organization outside any schedule, with typed lines and/or its
pending one-off charges. The answer is the invoice as ``GET /invoices/<id>`` shows it.

Thin over ``hub.billing.manual_invoices`` (the panel's service): the same gapless numbers, tax and
currency rules, and the same issue signal (e-mail when asked, accounting pushes, webhooks). Errors name
each field at fault, lines as ``lines.<n>.<field>``.
"""

from __future__ import annotations

import marshmallow as ma

from hub.api.auth import actor
from hub.api.fields import DecimalText, Id
from hub.api.idempotency import idempotent
from hub.api.invoices import InvoiceSchema, _described
from hub.api.problems import get_or_404, service_error
from hub.api.spec import Blueprint
from hub.billing import manual_invoices
from hub.billing.errors import BillingError
from hub.extensions import db
from hub.models import Organization
from hub.web.access import BILLING, roles

blp = Blueprint("v1_manual_invoices", __name__, tag="Manual invoices")


class ManualLineSchema(ma.Schema):
    description = ma.fields.String(validate=ma.validate.Length(max=300),
                                   metadata={"description": "default: the product's name"})
    quantity = DecimalText(required=True)
    unit_price = DecimalText(metadata={"description": "default: the product's price"})
    product_id = Id(allow_none=True)
    taxable = ma.fields.Boolean(metadata={"description": "without a product (default true); with one, the product's"})


class NewManualInvoiceSchema(ma.Schema):
    organization_id = Id(required=True)
    currency = ma.fields.String(required=True, validate=ma.validate.Regexp(r"^[A-Za-z]{3}$"))
    lines = ma.fields.List(ma.fields.Nested(ManualLineSchema), load_default=list,
                           validate=ma.validate.Length(max=manual_invoices.MAX_LINES))
    charge_ids = ma.fields.List(Id(), load_default=list,
                                metadata={"description": "pending one-off charges of the Organization to bill"})
    invoice_date = ma.fields.Date(load_default=None, metadata={"description": "default: today"})
    period_start = ma.fields.Date(load_default=None, metadata={"description": "default: the invoice date"})
    period_end = ma.fields.Date(load_default=None)
    due_days = ma.fields.Integer(load_default=None, validate=ma.validate.Range(0, 365),
                                 metadata={"description": "default: the company's payment terms"})
    memo = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=5000))
    send_on_issue = ma.fields.Boolean(load_default=False, metadata={
        "description": "queue the invoice e-mail to the Organization's billing contacts"})


@blp.route("/manual-invoices", methods=["POST"])
@roles(read=BILLING, change=BILLING)
@idempotent
@blp.arguments(NewManualInvoiceSchema)
@blp.response(201, InvoiceSchema)
def create_manual_invoice(args):
    """Issue a manual invoice now (the next number; never changes afterwards)."""
    organization_id = args.pop("organization_id")
    get_or_404(Organization, organization_id, "Organization")
    try:
        invoice = manual_invoices.create_manual_invoice(organization_id, actor(), **args)
    except BillingError as err:
        db.session.rollback()
        raise service_error(err) from None
    return _described([invoice])[0], 201, {"Location": f"/api/v1/invoices/{invoice.id}"}
