"""The invoice and the credit note as PDFs (WeasyPrint), each from the same document as its printable page.

Byte-stable: the same invoice renders to the same bytes. WeasyPrint writes no dates of its own; the
document's creation date is the invoice's issue date and the PDF file identifier is derived from
the invoice, so nothing in the file depends on when or how often it is rendered.
"""

from __future__ import annotations

import hashlib
import logging

from hub.delivery.document import render_credit_note_document, render_invoice_document
from hub.models import CreditNote, Invoice

# WeasyPrint reports every unsupported CSS property at WARNING; they are not the hub's problem
logging.getLogger("weasyprint").setLevel(logging.ERROR)
logging.getLogger("fontTools").setLevel(logging.ERROR)


def _identifier(invoice: Invoice) -> bytes:
    seed = f"hub-invoice:{invoice.id}:{invoice.number}:{invoice.status}"
    return hashlib.sha256(seed.encode()).hexdigest()[:32].encode()


def render_invoice_pdf(invoice: Invoice) -> bytes:
    """The PDF document of ``invoice``. Needs an app context."""
    return _pdf(render_invoice_document(invoice, for_pdf=True), _identifier(invoice))


def render_credit_note_pdf(note: CreditNote) -> bytes:
    """The PDF document of a credit note, byte-stable like the invoice's (created at its making, an identifier
    derived from it). Needs an app context."""
    seed = f"hub-credit-note:{note.id}:{note.number}"
    return _pdf(render_credit_note_document(note, for_pdf=True),
                hashlib.sha256(seed.encode()).hexdigest()[:32].encode())


def _pdf(html: str, identifier: bytes) -> bytes:
    # imported when used: it loads Pango through cffi
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    # the only resource is the inline logo: never fetch a file or a URL
    fetcher = URLFetcher(allowed_protocols={"data"})
    return HTML(string=html, base_url=None, url_fetcher=fetcher).write_pdf(pdf_identifier=identifier)


def pdf_filename(invoice: Invoice) -> str:
    from hub.billing.numbering import label

    name = label(invoice.number) if invoice.number else f"draft-{invoice.id}"
    return f"invoice-{_safe_name(name)}.pdf"


def pdf_download(invoice: Invoice):
    """The invoice's PDF as a download (the panel's link and the API's ``/invoices/{id}/pdf``)."""
    return _download(render_invoice_pdf(invoice), pdf_filename(invoice))


def credit_note_pdf_filename(note: CreditNote) -> str:
    from hub.billing.credit_notes import label

    return _safe_name(f"credit-note-{label(note.number)}") + ".pdf"


def credit_note_pdf_download(note: CreditNote):
    """The credit note's PDF as a download (the panel's link and the API's ``/credit-notes/{id}/pdf``)."""
    return _download(render_credit_note_pdf(note), credit_note_pdf_filename(note))


def _safe_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


def _download(pdf: bytes, filename: str):
    from flask import Response

    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
