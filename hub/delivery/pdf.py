"""The invoice as a PDF (WeasyPrint), from the same document as the printable page.

Byte-stable: the same invoice renders to the same bytes. WeasyPrint writes no dates of its own; the
document's creation date is the invoice's issue date and the PDF file identifier is derived from
the invoice, so nothing in the file depends on when or how often it is rendered.
"""

from __future__ import annotations

import hashlib
import logging

from hub.delivery.document import render_invoice_document
from hub.models import Invoice

# WeasyPrint reports every unsupported CSS property at WARNING; they are not the hub's problem
logging.getLogger("weasyprint").setLevel(logging.ERROR)
logging.getLogger("fontTools").setLevel(logging.ERROR)


def _identifier(invoice: Invoice) -> bytes:
    seed = f"hub-invoice:{invoice.id}:{invoice.number}:{invoice.status}"
    return hashlib.sha256(seed.encode()).hexdigest()[:32].encode()


def render_invoice_pdf(invoice: Invoice) -> bytes:
    """The PDF document of ``invoice``. Needs an app context."""
    # imported when used: it loads Pango through cffi
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    html = render_invoice_document(invoice, for_pdf=True)
    # the only resource is the inline logo: never fetch a file or a URL
    fetcher = URLFetcher(allowed_protocols={"data"})
    return HTML(string=html, base_url=None, url_fetcher=fetcher).write_pdf(pdf_identifier=_identifier(invoice))


def pdf_filename(invoice: Invoice) -> str:
    from hub.billing.numbering import label

    name = label(invoice.number) if invoice.number else f"draft-{invoice.id}"
    return f"invoice-{''.join(c if c.isalnum() or c in '-_.' else '_' for c in name)}.pdf"


def pdf_download(invoice: Invoice):
    """The invoice's PDF as a download (the panel's link and the API's ``/invoices/{id}/pdf``)."""
    from flask import Response

    return Response(render_invoice_pdf(invoice), mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{pdf_filename(invoice)}"'})
