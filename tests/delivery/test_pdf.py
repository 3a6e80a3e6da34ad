"""The invoice as a PDF: the printable page's document, byte-stable, with the company's details."""

from __future__ import annotations

import io
from datetime import date

import pytest
from pypdf import PdfReader

from hub.billing import credit_notes
from hub.billing.invoicing import run_due_invoices
from hub.delivery import company
from hub.delivery.document import render_credit_note_document, render_invoice_document
from hub.billing.errors import BillingError
from hub.delivery.pdf import render_credit_note_pdf, render_invoice_pdf
from hub.billing.export import invoice_to_dict, render_invoice_html
from hub.extensions import db
from hub.models import AuditEvent, CreditNote, Invoice
from tests.delivery.conftest import SETUP


def png(width=40, height=20) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (20, 90, 160)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def issued(billed):
    recurring_invoice, _line = billed
    company.update_company({"name": "Example MSP GmbH", "address": "1 Main Street\n10115 Berlin",
                            "tax_id": "DE123456789", "payment_due_days": "14",
                            "payment_instructions": "IBAN DE00 1234 5678 9012 3456 78",
                            "footer": "Example MSP GmbH · Registered in Berlin"}, SETUP)
    company.set_logo(png(), SETUP)
    invoice_id = run_due_invoices(date(2024, 1, 31), SETUP, recurring_ids=[recurring_invoice.id]).issued[0]
    return db.session.get(Invoice, invoice_id)


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_the_pdf_carries_the_invoice_and_the_company(issued):
    pdf = render_invoice_pdf(issued)
    assert pdf.startswith(b"%PDF-")
    text = text_of(pdf)
    for expected in ("Example MSP GmbH", "1 Main Street", "DE123456789", "INV-000001", "Contoso",
                     "2024-01-31", "Due date", "Net 30 days", "Product SEATS", "20 license", "10.00", "200.00",
                     "Total USD", "IBAN DE00 1234 5678 9012 3456 78", "Registered in Berlin", "Page 1 of 1"):
        assert expected in text, expected
    reader = PdfReader(io.BytesIO(pdf))
    assert any(reader.pages[0].images), "the logo is drawn"
    assert reader.metadata.title.startswith("Invoice INV-000001")
    assert reader.metadata.creation_date.date() == issued.issued_at.date()


def test_a_credit_note_is_printed_like_its_invoice(issued, app):
    """The credit note's PDF: the MSP's header, logo and footer as on the invoice, the lines credited with their
    tax, the totals; one document with its printable page; byte-stable."""
    note = credit_notes.create_credit_note(issued.id, SETUP, "seats counted twice")
    pdf = render_credit_note_pdf(note)
    assert pdf.startswith(b"%PDF-")
    text = text_of(pdf)
    for expected in ("Example MSP GmbH", "1 Main Street", "DE123456789", "Credit note CN-000001",
                     "Against invoice INV-000001", "Contoso", "Product SEATS", "20", "10.00", "200.00",
                     "Total credited USD", "seats counted twice", "Registered in Berlin", "Page 1 of 1"):
        assert expected in text, expected
    reader = PdfReader(io.BytesIO(pdf))
    assert any(reader.pages[0].images), "the logo is drawn"
    assert reader.metadata.title.startswith("Credit note CN-000001")
    assert credit_notes.render_credit_note_html(note) == render_credit_note_document(note)
    db.session.expire_all()
    with app.test_request_context():
        assert render_credit_note_pdf(db.session.get(CreditNote, note.id)) == pdf


def test_re_rendering_gives_the_same_bytes(issued, app):
    first = render_invoice_pdf(issued)
    db.session.expire_all()
    with app.test_request_context():  # another context, another request: nothing may leak into the file
        again = render_invoice_pdf(db.session.get(Invoice, issued.id))
    assert first == again


def test_pdf_and_printable_page_are_one_document(issued):
    html = render_invoice_html(issued)
    assert html == render_invoice_document(issued)
    assert "Example MSP GmbH" in html and "data:image/png;base64," in html and "IBAN DE00" in html


def test_a_tax_summary_is_shown_when_the_invoice_has_tax(billed):
    """The tax summary billing computes (per rate, rounded half-up per line) is what the PDF prints."""
    from hub.billing import tax

    recurring_invoice, _line = billed
    assert "VAT" not in text_of(render_invoice_pdf(db.session.get(Invoice, run_due_invoices(
        date(2024, 1, 31), SETUP, recurring_ids=[recurring_invoice.id]).issued[0])))  # no tax: no rows
    vat = tax.create_tax_rate("VAT", "19", SETUP)
    tax.set_organization_tax(recurring_invoice.organization_id, SETUP, rate_ids=[vat.id])
    db.session.commit()
    taxed = db.session.get(Invoice, run_due_invoices(date(2024, 2, 29), SETUP,
                                                     recurring_ids=[recurring_invoice.id]).issued[0])
    text = text_of(render_invoice_pdf(taxed))
    assert "VAT 19% on 200.00" in text and "38.00" in text and "238.00" in text


def test_company_name_is_required_and_a_bad_value_changes_nothing(app_ctx):
    with pytest.raises(BillingError) as err:
        company.update_company({"name": "Example", "payment_due_days": "400"}, SETUP)
    assert err.value.field == "payment_due_days"
    db.session.rollback()
    assert company.get_company().name == ""
    with pytest.raises(BillingError) as err:
        company.update_company({"name": " "}, SETUP)
    assert err.value.field == "name"


@pytest.mark.parametrize(("data", "why"), [
    (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "PNG or JPEG"),
    (b"GIF89a" + b"\0" * 20, "PNG or JPEG"),
    (png()[:40], "PNG or JPEG"),                      # truncated
    (png(3000, 10), "at most 2000"),
    (b"\x89PNG" + b"\0" * (600 * 1024), "at most 512 KB"),
])
def test_logo_is_checked_by_content_and_size(app_ctx, data, why):
    with pytest.raises(BillingError) as err:
        company.set_logo(data, SETUP)
    assert err.value.field == "logo" and why in err.value.message
    db.session.rollback()
    assert company.get_company().logo is None


def test_company_changes_are_audited(app_ctx):
    company.update_company({"name": "Example MSP", "tax_id": "X1"}, SETUP)
    company.set_logo(png(), SETUP)
    actions = [(e.action, e.field) for e in db.session.execute(db.select(AuditEvent).order_by(AuditEvent.id)).scalars()]
    assert ("company.update", "name") in actions and ("company.update", "tax_id") in actions
    assert ("company.logo", "logo") in actions


def test_no_text_starts_in_the_right_margin(issued):
    """Everything stays on the page: a fact column that overflowed once started its dates in the margin."""
    page = PdfReader(io.BytesIO(render_invoice_pdf(issued))).pages[0]
    right_edge = float(page.mediabox.width) - 15 / 25.4 * 72  # the @page right margin, 15 mm
    starts = []

    def visit(text, cm, tm, _font, _size):
        if text.strip():
            starts.append((cm[4] + tm[4] * cm[0], text.strip()))

    page.extract_text(visitor_text=visit)
    assert starts and all(x < right_edge for x, _ in starts), [s for s in starts if s[0] >= right_edge]
