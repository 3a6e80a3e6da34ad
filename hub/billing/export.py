"""An invoice as CSV, JSON and printable HTML. Money and quantities are written as exact decimal strings."""

from __future__ import annotations

import csv
import io
import json

from hub.billing.money import fmt_money, fmt_price, fmt_quantity
from hub.billing.numbering import label
from hub.models import Invoice

CSV_COLUMNS = ["invoice_number", "invoice_date", "due_date", "period_start", "period_end", "organization",
               "currency", "status", "position", "product_code", "description", "quantity", "unit", "unit_price",
               "amount",
               "taxable", "tax_amount", "source", "quantity_change_id", "sync_run_id"]


def invoice_to_dict(invoice: Invoice) -> dict:
    return {
        "id": invoice.id, "number": label(invoice.number) if invoice.number else None, "status": invoice.status,
        "organization": {"id": invoice.organization_id, "name": invoice.organization.name},
        "recurring_invoice_id": invoice.recurring_invoice_id,
        "invoice_date": invoice.invoice_date.isoformat(), "due_date": invoice.due_date.isoformat(),
        "period_start": invoice.period_start.isoformat(), "period_end": invoice.period_end.isoformat(),
        "currency": invoice.currency, "memo": invoice.memo,
        "subtotal": fmt_money(invoice.subtotal), "taxable_subtotal": fmt_money(invoice.taxable_subtotal),
        "tax_total": fmt_money(invoice.tax_total), "tax_summary": list(invoice.tax_summary or []),
        "total": fmt_money(invoice.total),
        "issued_at": invoice.issued_at.isoformat(timespec="seconds") if invoice.issued_at else None,
        "voided_at": invoice.voided_at.isoformat(timespec="seconds") if invoice.voided_at else None,
        "void_reason": invoice.void_reason,
        "lines": [{
            "position": ln.position, "kind": ln.kind, "product_code": ln.product_code, "description": ln.description,
            "quantity": fmt_quantity(ln.quantity), "unit": (ln.details or {}).get("unit") or "",
            "unit_price": fmt_price(ln.unit_price), "amount": fmt_money(ln.amount), "taxable": ln.taxable, "tax_amount": fmt_money(ln.tax_amount),
            "source": ln.source,
            "evidence": {"quantity_change_id": ln.quantity_change_id, "sync_run_id": ln.sync_run_id,
                         "recurring_line_id": ln.recurring_line_id},
        } for ln in invoice.lines],
    }


def invoice_json(invoice: Invoice) -> str:
    return json.dumps(invoice_to_dict(invoice), indent=2)


def invoice_csv(invoice: Invoice) -> str:
    """One row per line, with the invoice's header fields repeated (what accounting imports expect)."""
    data = invoice_to_dict(invoice)
    out = io.StringIO()
    writer = csv.DictWriter(out, CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for ln in data["lines"]:
        writer.writerow({
            "invoice_number": data["number"] or "", "invoice_date": data["invoice_date"], "due_date": data["due_date"],
            "period_start": data["period_start"], "period_end": data["period_end"],
            "organization": safe_cell(data["organization"]["name"]), "currency": data["currency"],
            "status": data["status"], "position": ln["position"], "product_code": safe_cell(ln["product_code"]),
            "description": safe_cell(ln["description"]), "quantity": ln["quantity"], "unit": safe_cell(ln["unit"]),
            "unit_price": ln["unit_price"],
            "amount": ln["amount"], "taxable": "yes" if ln["taxable"] else "no", "tax_amount": ln["tax_amount"],
            "source": safe_cell(ln["source"] or ""),
            "quantity_change_id": ln["evidence"]["quantity_change_id"] or "",
            "sync_run_id": ln["evidence"]["sync_run_id"] or "",
        })
    return out.getvalue()


def safe_cell(value: str) -> str:
    """Vendor-supplied text must not run as a spreadsheet formula (CSV injection)."""
    return "'" + value if value and value[0] in "=+-@\t\r" else value


def render_invoice_html(invoice: Invoice) -> str:
    """The printable page: the invoice document that the PDF is also made from (``hub.delivery.document``,
    template ``billing/invoice.html``, standalone with its own print CSS). Needs an app context."""
    from hub.delivery.document import render_invoice_document

    return render_invoice_document(invoice)
