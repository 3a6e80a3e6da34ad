"""The margin view: revenue, cost, margin and margin % per product, vendor or Organization, per currency,
for a chosen period (default: this month), and its CSV. Figures come from ``hub.billing.margin``."""

from __future__ import annotations

from flask import Response, abort, render_template, request

from hub.billing import margin as service
from hub.billing.errors import BillingError
from hub.timeutil import utcnow
from hub.web.access import ANYONE, roles
from hub.web.billing_pages import bp
from hub.web.helpers import filter_choice


def _report():
    """The report for the query's period; a bad value is a 400 naming the field."""
    today = utcnow().date()
    by = filter_choice("by", service.DIMENSIONS) or "product"
    date_from = (request.args.get("date_from") or "").strip() or today.replace(day=1).isoformat()
    date_to = (request.args.get("date_to") or "").strip() or today.isoformat()
    try:
        return service.margin_report(by, date_from, date_to)
    except BillingError as err:
        abort(400, err.message)


@bp.get("/reports/margin")
@roles(read=ANYONE)
def margin_report():
    report = _report()
    return render_template("billing_web/margin.html", report=report, dimensions=service.DIMENSIONS,
                           pct=service.fmt_pct)


@bp.get("/reports/margin.csv")
@roles(read=ANYONE)
def margin_report_csv():
    report = _report()
    return Response(service.margin_csv(report), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{service.csv_filename(report)}"'})
