"""The margin view: revenue, cost, margin and margin % per product, vendor or Organization, per currency,
over a period, from issued invoices minus credit notes; JSON or CSV (the panel's figures)."""

from __future__ import annotations

import marshmallow as ma
from flask import Response

from hub.api.fields import DecimalText
from hub.api.problems import service_error
from hub.api.spec import Blueprint, offers_csv
from hub.billing import margin as service
from hub.billing.errors import BillingError
from hub.web.access import ANYONE, roles

blp = Blueprint("v1_margin", __name__, tag="Reports")


class MarginRowSchema(ma.Schema):
    key = ma.fields.String(metadata={"description": "product id, vendor slug or Organization id; '' for none"})
    label = ma.fields.String()
    currency = ma.fields.String()
    revenue = DecimalText(dump_only=True)
    cost = DecimalText(dump_only=True)
    margin = DecimalText(dump_only=True)
    margin_pct = DecimalText(dump_only=True, allow_none=True, metadata={"description": "null when revenue is 0"})
    lines = ma.fields.Integer()
    credited_lines = ma.fields.Integer()
    estimated_lines = ma.fields.Integer(metadata={"description": "lines costed at the product's cost now"})


class MarginSchema(ma.Schema):
    by = ma.fields.String()
    date_from = ma.fields.Date()
    date_to = ma.fields.Date()
    rows = ma.fields.List(ma.fields.Nested(MarginRowSchema))
    totals = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Nested(MarginRowSchema),
                            metadata={"description": "per currency"})


class MarginArgs(ma.Schema):
    by = ma.fields.String(load_default="product", validate=ma.validate.OneOf(service.DIMENSIONS))
    date_from = ma.fields.Date(required=True)
    date_to = ma.fields.Date(required=True)
    currency = ma.fields.String(load_default=None, validate=ma.validate.Regexp(r"^[A-Za-z]{3}$"))
    format = ma.fields.String(load_default="json", validate=ma.validate.OneOf(["json", "csv"]))


@blp.route("/reports/margin", methods=["GET"])
@roles(read=ANYONE)
@blp.arguments(MarginArgs, location="query")
@blp.response(200, MarginSchema, content_type="application/json")
@offers_csv
def margin(args):
    """Revenue, cost and margin per product, vendor or Organization, per currency."""
    try:
        report = service.margin_report(args["by"], args["date_from"], args["date_to"], currency=args["currency"])
    except BillingError as err:
        raise service_error(err) from None
    if args["format"] == "csv":
        return Response(service.margin_csv(report), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{service.csv_filename(report)}"'})
    return {"by": report.by, "date_from": report.date_from, "date_to": report.date_to,
            "rows": [r.as_dict() for r in report.rows],
            "totals": {c: t.as_dict() for c, t in report.totals.items()}}
