"""The invoice document: one Jinja template (``billing/invoice.html``) for the printable page and the PDF.

The context is built here once: the invoice as billing exports it, the MSP's details, and a tax
summary when the invoice carries tax (read defensively: invoices without tax have none).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import render_template

from hub.billing.export import invoice_to_dict
from hub.billing.money import fmt_money
from hub.delivery.company import get_company, logo_data_uri
from hub.models import Invoice

TEMPLATE = "billing/invoice.html"


def document_context(invoice: Invoice, *, for_pdf: bool = False) -> dict[str, Any]:
    company = get_company()
    data = invoice_to_dict(invoice)
    return {
        "invoice": data,
        "company": {"name": company.name, "address": company.address, "tax_id": company.tax_id,
                    "payment_instructions": company.payment_instructions, "footer": company.footer,
                    "logo": logo_data_uri(company)},
        "taxes": tax_summary(invoice, data),
        "terms_days": max((invoice.due_date - invoice.invoice_date).days, 0),
        "for_pdf": for_pdf,
        # the PDF's creation date: the issue date, so re-rendering gives the same bytes
        "created": (invoice.issued_at or invoice.created_at).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def render_invoice_document(invoice: Invoice, *, for_pdf: bool = False) -> str:
    """The document's HTML. Needs an app context."""
    return render_template(TEMPLATE, **document_context(invoice, for_pdf=for_pdf))


def _get(item: Any, *names: str) -> Any:
    for name in names:
        value = item.get(name) if isinstance(item, dict) else getattr(item, name, None)
        if value is not None:
            return value
    return None


def _money(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return fmt_money(value) if isinstance(value, Decimal) else str(value)


def tax_summary(invoice: Invoice, data: dict) -> list[dict[str, str | None]]:
    """One row per tax (name, rate, base, amount) when the invoice has tax; [] otherwise.

    Accepts what an invoice with tax may carry: ``taxes`` in the exported dict, or a ``taxes`` /
    ``tax_lines`` relationship on the model, each item with a name (or code/label), a rate, a taxable
    base and an amount."""
    items = data.get("taxes") or getattr(invoice, "taxes", None) or getattr(invoice, "tax_lines", None) or []
    rows = []
    for item in items:
        amount = _money(_get(item, "amount", "tax_amount", "total"))
        if amount is None:
            continue
        rate = _get(item, "rate", "rate_pct", "percent")
        rows.append({"name": str(_get(item, "name", "label", "code", "tax_name") or "Tax"),
                     "rate": format(rate.normalize(), "f") if isinstance(rate, Decimal) else rate,
                     "base": _money(_get(item, "base", "taxable_amount", "taxable")), "amount": amount})
    return rows
