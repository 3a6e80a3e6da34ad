"""The invoice document: one Jinja template (``billing/invoice.html``) for the printable page and the PDF.

The context is built here once: the invoice as billing exports it, the MSP's details, and a tax
summary when the invoice carries tax (read defensively: invoices without tax have none).
"""

from __future__ import annotations

from typing import Any

from flask import render_template

from hub.billing.export import invoice_to_dict
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
        "terms_days": max((invoice.due_date - invoice.invoice_date).days, 0),
        "for_pdf": for_pdf,
        # the PDF's creation date: the issue date, so re-rendering gives the same bytes
        "created": (invoice.issued_at or invoice.created_at).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def render_invoice_document(invoice: Invoice, *, for_pdf: bool = False) -> str:
    """The document's HTML. Needs an app context."""
    return render_template(TEMPLATE, **document_context(invoice, for_pdf=for_pdf))
