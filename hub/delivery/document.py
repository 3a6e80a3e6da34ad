"""The billing documents: one Jinja template each for the printable page and the PDF (the invoice,
``billing/invoice.html``; the credit note, ``billing/credit_note.html``), sharing the MSP's header and style.

The context is built here once: the invoice as billing exports it, the MSP's details, and a tax
summary when the invoice carries tax (read defensively: invoices without tax have none).
"""

from __future__ import annotations

from typing import Any

from flask import render_template

from hub.billing.export import invoice_to_dict
from hub.delivery.company import get_company, logo_data_uri
from hub.models import CreditNote, Invoice

TEMPLATE = "billing/invoice.html"
CREDIT_NOTE_TEMPLATE = "billing/credit_note.html"


def company_context() -> dict[str, Any]:
    """The MSP's details as every billing document shows them (invoice, credit note)."""
    company = get_company()
    return {"name": company.name, "address": company.address, "tax_id": company.tax_id,
            "payment_instructions": company.payment_instructions, "footer": company.footer,
            "logo": logo_data_uri(company)}


def document_context(invoice: Invoice, *, for_pdf: bool = False) -> dict[str, Any]:
    data = invoice_to_dict(invoice)
    return {
        "invoice": data,
        "company": company_context(),
        "terms_days": max((invoice.due_date - invoice.invoice_date).days, 0),
        "for_pdf": for_pdf,
        # the PDF's creation date: the issue date, so re-rendering gives the same bytes
        "created": (invoice.issued_at or invoice.created_at).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def render_invoice_document(invoice: Invoice, *, for_pdf: bool = False) -> str:
    """The document's HTML. Needs an app context."""
    return render_template(TEMPLATE, **document_context(invoice, for_pdf=for_pdf))


def render_credit_note_document(note: CreditNote, *, for_pdf: bool = False) -> str:
    """The credit note's HTML (``billing/credit_note.html``), the printable page and the PDF alike. Needs an
    app context."""
    from hub.billing.credit_notes import credit_note_to_dict

    return render_template(CREDIT_NOTE_TEMPLATE, note=credit_note_to_dict(note), company=company_context(),
                           for_pdf=for_pdf, created=note.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"))
