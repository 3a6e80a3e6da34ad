"""The invoice e-mail's subject and body, with a few {placeholders}.

Filled by plain substitution of known names: text typed by a user is never run as template code
(no Jinja, no ``str.format`` attribute lookups). ``{{`` and ``}}`` are literal braces. An unknown
placeholder or a stray brace is refused when the template is saved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hub.audit import Actor, record
from hub.billing import validate
from hub.billing.money import fmt_money
from hub.billing.numbering import label
from hub.delivery.errors import DeliveryError, DeliveryFieldErrors
from hub.extensions import db
from hub.models import EmailTemplate, Invoice

INVOICE = "invoice"
PLACEHOLDERS = {
    "invoice_number": "the invoice's number (INV-000042)",
    "organization": "the billed Organization's name",
    "total": "the total with its currency (1234.50 USD)",
    "due_date": "the due date (YYYY-MM-DD)",
    "period": "the billed period (2026-01-01 to 2026-01-31)",
    "company": "your company's name (Company settings)",
}
DEFAULT_SUBJECT = "Invoice {invoice_number} for {period}"
DEFAULT_BODY = ("Hello {organization},\n\n"
                "please find attached invoice {invoice_number} for {period}.\n"
                "The total of {total} is due on {due_date}.\n\n"
                "Thank you,\n{company}\n")
TOKEN = re.compile(r"\{\{|\}\}|\{([a-z_]*)\}|[{}]")


def _clean_field(key: str, value: str) -> str:
    text = validate.text(value, key, max_len=300 if key == "subject" else 20000)
    if key == "subject" and ("\n" in text or "\r" in text):
        raise DeliveryError("Subject: keep it to one line", key)
    _check(text, key)
    return text


def _check(template: str, field: str) -> None:
    for match in TOKEN.finditer(template):
        token = match.group(0)
        if token in ("{{", "}}"):
            continue
        name = match.group(1)
        if name is None:
            raise DeliveryError(f"{validate.label(field)}: a lone {token!r}; write {token * 2!r} for a literal brace", field)
        if name not in PLACEHOLDERS:
            raise DeliveryError(f"{validate.label(field)}: unknown placeholder {{{name}}}; use one of "
                                + ", ".join(f"{{{n}}}" for n in PLACEHOLDERS), field)


def fill(template: str, values: dict[str, str]) -> str:
    """``template`` with each placeholder replaced by its value (checked templates only)."""
    def one(match: re.Match) -> str:
        token = match.group(0)
        if token in ("{{", "}}"):
            return token[0]
        return values.get(match.group(1) or "", token)

    return TOKEN.sub(one, template)


def get_template() -> tuple[str, str]:
    """(subject, body) of the invoice e-mail: the saved ones or the defaults."""
    row = db.session.get(EmailTemplate, INVOICE)
    return (row.subject, row.body) if row else (DEFAULT_SUBJECT, DEFAULT_BODY)


def update_template(subject: str, body: str, actor: Actor) -> EmailTemplate:
    checked = validate.each_field({"subject": subject, "body": body}, _clean_field, DeliveryFieldErrors)
    subject, body = checked["subject"], checked["body"]
    row = db.session.get(EmailTemplate, INVOICE)
    old = (row.subject, row.body) if row else (DEFAULT_SUBJECT, DEFAULT_BODY)
    if row is None:
        row = EmailTemplate(name=INVOICE, subject=subject, body=body)
        db.session.add(row)
    row.subject, row.body = subject, body
    for field, before, after in (("subject", old[0], subject), ("body", old[1], body)):
        if before != after:
            record(actor, "email_template.update", "email_template", INVOICE, field=field, old=before, new=after)
    db.session.commit()
    return row


@dataclass(frozen=True)
class InvoiceEmailTemplate:
    """What filling needs besides the invoice: read once for a batch of invoices."""

    subject: str
    body: str
    company: str


def email_template() -> InvoiceEmailTemplate:
    from hub.delivery.company import get_company

    subject, body = get_template()
    return InvoiceEmailTemplate(subject, body, get_company().name or "")


def invoice_values(invoice: Invoice, company: str) -> dict[str, str]:
    return {
        "invoice_number": label(invoice.number) if invoice.number else f"draft {invoice.id}",
        "organization": invoice.organization.name,
        "total": f"{fmt_money(invoice.total)} {invoice.currency}",
        "due_date": invoice.due_date.isoformat(),
        "period": f"{invoice.period_start.isoformat()} to {invoice.period_end.isoformat()}",
        "company": company,
    }


def render_invoice_email(invoice: Invoice, template: InvoiceEmailTemplate | None = None) -> tuple[str, str]:
    """(subject, body) for ``invoice``; the subject on one line whatever the names hold."""
    template = template or email_template()
    values = invoice_values(invoice, template.company)
    return " ".join(fill(template.subject, values).split()), fill(template.body, values)
