"""The Third-Party Vendor Usage Report, as JSON or CSV (the same figures as the panel's page)."""

from __future__ import annotations

import marshmallow as ma
from flask import Response

from hub.api.fields import DecimalText, Id
from hub.api.spec import Blueprint, offers_csv
from hub.api.problems import service_error
from hub.billing import usage_report as service
from hub.billing.errors import BillingError
from hub.models import MapStatus
from hub.timeutil import utcnow
from hub.web.access import ANYONE, roles

blp = Blueprint("v1_reports", __name__, tag="Reports")

STATUSES = [s.rstrip("*") for s in service.STATUSES]


class UsageRowSchema(ma.Schema):
    integration_id = Id()
    vendor = ma.fields.String()
    customer_id = Id(allow_none=True)
    customer = ma.fields.String()
    external_id = ma.fields.String()
    vendor_status = ma.fields.String()
    map_status = ma.fields.String()
    organization_id = Id(allow_none=True)
    organization = ma.fields.String(allow_none=True)
    sku_id = ma.fields.Integer(allow_none=True)
    sku = ma.fields.String()
    sku_name = ma.fields.String(allow_none=True)
    product_id = Id(allow_none=True)
    product_code = ma.fields.String(allow_none=True)
    vendor_quantity = DecimalText(dump_only=True)
    last_quantity = DecimalText(dump_only=True)
    billed_quantity = DecimalText(dump_only=True)
    monthly_unit_price = DecimalText(dump_only=True, allow_none=True)
    unit = ma.fields.String(metadata={"description": "what the SKU counts (license, GB, ...)"})
    currency = ma.fields.String(allow_none=True)
    status = ma.fields.String(metadata={"enum": STATUSES})
    line_state = ma.fields.String(metadata={"description": "held / kept when the line does not bill its counts"})
    unbilled_quantity = DecimalText(dump_only=True)
    unbilled_value = DecimalText(dump_only=True, allow_none=True)
    monthly_unit_cost = DecimalText(dump_only=True, allow_none=True,
                                    metadata={"description": "the product's unit cost, taken as monthly"})
    billed_value = DecimalText(dump_only=True, allow_none=True,
                               metadata={"description": "billed quantity x monthly unit price, a month"})
    monthly_cost = DecimalText(dump_only=True, allow_none=True,
                               metadata={"description": "vendor quantity x unit cost, a month"})
    margin = DecimalText(dump_only=True, allow_none=True,
                         metadata={"description": "billed value less cost, a month"})


class UnitTotalsSchema(ma.Schema):
    vendor_quantity = DecimalText(dump_only=True)
    billed_quantity = DecimalText(dump_only=True)
    difference = DecimalText(dump_only=True)
    unbilled_quantity = DecimalText(dump_only=True)


class TotalsSchema(ma.Schema):
    """Quantities per unit (seats are never added to gigabytes), money per currency."""

    by_unit = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Nested(UnitTotalsSchema))
    unbilled_value = ma.fields.Dict(keys=ma.fields.String(), values=DecimalText(dump_only=True))
    unpriced_rows = ma.fields.Integer()
    billed_value = ma.fields.Dict(keys=ma.fields.String(), values=DecimalText(dump_only=True),
                                  metadata={"description": "currency -> what the rows bill a month"})
    cost = ma.fields.Dict(keys=ma.fields.String(), values=DecimalText(dump_only=True),
                          metadata={"description": "currency -> what the rows' vendor counts cost a month"})
    margin = ma.fields.Dict(keys=ma.fields.String(), values=DecimalText(dump_only=True),
                            metadata={"description": "currency -> billed value less cost, a month"})


class UsageReportSchema(ma.Schema):
    rows = ma.fields.List(ma.fields.Nested(UsageRowSchema))
    totals = ma.fields.Nested(TotalsSchema)
    by_vendor = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Nested(TotalsSchema))


class UsageArgs(ma.Schema):
    vendor = ma.fields.String(load_default=None, validate=ma.validate.Length(1, 100))
    organization_id = Id(load_default=None)
    status = ma.fields.String(load_default=None, validate=ma.validate.OneOf(STATUSES))
    map_status = ma.fields.String(load_default=None, validate=ma.validate.OneOf([s.value for s in MapStatus]))
    line_state = ma.fields.String(load_default=None, validate=ma.validate.OneOf(list(service.LINE_STATES)), metadata={
        "description": "only rows billed at a quantity that is not what the counts say now: held (a change waits "
                       "for approval) or kept (a person rejected the change)"})
    format = ma.fields.String(load_default="json", validate=ma.validate.OneOf(["json", "csv"]))


@blp.route("/reports/usage", methods=["GET"])
@roles(read=ANYONE)
@blp.arguments(UsageArgs, location="query")
@blp.response(200, UsageReportSchema, content_type="application/json")
@offers_csv
def usage(args):
    """What vendors count against what recurring invoices bill, per vendor customer and SKU."""
    fmt = args.pop("format")
    try:
        report = service.usage_report(**args)
    except BillingError as err:  # a filter naming nothing (an unknown vendor or Organization)
        raise service_error(err, status=422) from None
    if fmt == "csv":
        stamp = utcnow().strftime("%Y%m%d")
        return Response(service.usage_report_csv(report), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="usage-report-{stamp}.csv"'})
    return {"rows": report.rows, "totals": report.totals, "by_vendor": report.by_vendor}
