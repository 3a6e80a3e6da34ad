"""The Third-Party Vendor Usage Report: what vendors count against what recurring invoices bill.

Filters (vendor, Organization, billing status, map status), totals per vendor and overall, the
unbilled monthly value in front, a chart of license counts over time and a CSV of the same rows.
Figures come from ``hub.billing.usage_report``; rows are paged here only for display.
"""

from __future__ import annotations

from flask import Response, abort, render_template

from hub import mapping
from hub.billing import usage_report as service
from hub.extensions import db
from hub.integrations import display_names
from hub.models import Organization, VendorCustomer, VendorSku
from hub.timeutil import utcnow
from hub.web.access import ANYONE, roles
from hub.web.billing_pages import bp
from hub.web.billing_pages.forms import integration_choices, optional_int, organization_choices
from hub.web.helpers import filter_choice, filter_id
from hub.web.billing_pages.usage_chart import build_chart, customer_series, relabelled, report_series
from hub.web.paging import Page, int_arg, page_args

STATUS_LABELS = {"billed": "Billed", "under_billed": "Under-billed", "over_billed": "Over-billed",
                 "no_line": "No invoice line", "not_mapped": "Customer not mapped", "sku_unmapped": "SKU not mapped",
                 "detached": "Detached", "do_not_bill": "Do not bill", "not_billable": "Not billable",
                 "no_count": "Billed, no vendor count", "still_billed": "Unmapped, still billed"}
MAP_STATUSES = (("mapped", "Mapped"), ("not_mapped", "Not mapped"), ("detached", "Detached"))
CHART_DAYS = (30, 90, 365)


def _filters() -> dict:
    """The report's filters; an unknown value is a 400 naming the filter and its valid values."""
    return {"vendor": filter_choice("vendor", [i.slug for i in integration_choices()]),
            "organization_id": filter_id("organization_id", Organization, "Organization"),
            "status": filter_choice("status", service.STATUS_VALUES),
            "map_status": filter_choice("map_status", service.MAP_STATUS_VALUES),
            "line_state": filter_choice("line_state", service.LINE_STATES)}


def _report(filters: dict):
    return service.usage_report(vendor=filters["vendor"] or None, organization_id=filters["organization_id"],
                                status=filters["status"] or None, map_status=filters["map_status"] or None,
                                line_state=filters["line_state"] or None)


@bp.get("/reports/usage")
@roles(read=ANYONE)
def usage_report():
    filters = _filters()
    report = _report(filters)
    number, per_page = page_args(100)
    page = Page(number, per_page, len(report.rows))
    if page.number > page.pages:
        page = Page(page.pages, per_page, len(report.rows))
    days = int_arg("days", 90, 1, 366)
    days = days if days in CHART_DAYS else 90
    # customers that left (archived; for one Organization also moved or unmapped) belong to the trend of
    # a report filtered by no more than vendor and Organization: they were counted in the past
    unfiltered = not (filters["status"] or filters["map_status"] or filters["line_state"])
    series = report_series(report.rows, days, utcnow().date(), filters["organization_id"],
                           include_archived=unfiltered, vendor=filters["vendor"] or None)
    chart = build_chart(relabelled(series, display_names()))  # "Acronis Cyber Protect Cloud", not "acronis"
    return render_template("billing_web/usage_report.html", report=report, filters=filters, page=page,
                           rows=report.rows[page.offset:page.offset + per_page], chart=chart, days=days,
                           chart_days=CHART_DAYS, integrations=integration_choices(),
                           organizations=organization_choices(), status_labels=STATUS_LABELS,
                           map_statuses=MAP_STATUSES, unbilled_statuses=service.UNBILLED_STATUSES,
                           line_states=service.LINE_STATES)


@bp.get("/reports/usage.csv")
@roles(read=ANYONE)
def usage_report_csv():
    filters = _filters()
    stamp = utcnow().strftime("%Y%m%d")
    return Response(service.usage_report_csv(_report(filters)), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="usage-report-{stamp}.csv"'})


@bp.get("/reports/usage/customers/<int:customer_id>")
@roles(read=ANYONE)
def usage_history(customer_id: int):
    """One vendor customer's counts over time, per SKU (``sku`` narrows it to one)."""
    customer = db.get_or_404(VendorCustomer, customer_id)
    sku_id = optional_int("sku")
    if sku_id is not None and db.session.get(VendorSku, sku_id) is None:
        abort(404, f"no SKU with id {sku_id}")
    history = service.count_history(customer.id, sku_id)
    sku_names = dict(db.session.execute(db.select(VendorSku.sku, VendorSku.name).where(
        VendorSku.integration_id == customer.integration_id, VendorSku.name.is_not(None))).all())
    chart = build_chart(relabelled(customer_series(history, utcnow().date()), sku_names))
    organization = db.session.get(Organization, customer.organization_id) if customer.organization_id else None
    return render_template("billing_web/usage_history.html", customer=customer, organization=organization,
                           history=history[::-1], chart=chart, sku_id=sku_id,
                           past_mappings=mapping.past_mappings(customer.id))
