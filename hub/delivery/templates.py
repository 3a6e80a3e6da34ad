"""The e-mails' subjects and bodies (one template per kind of document: the invoice's, the credit note's),
with a few {placeholders}.

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
from hub.models import CreditNote, EmailTemplate, Invoice

INVOICE = "invoice"
CREDIT_NOTE = "credit_note"
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
CREDIT_NOTE_PLACEHOLDERS = {
    "credit_note_number": "the credit note's number (CN-000007)",
    "invoice_number": "the number of the invoice it credits (INV-000042)",
    "organization": "the credited Organization's name",
    "total": "the credited total with its currency (123.45 USD)",
    "credit_date": "the credit note's date (YYYY-MM-DD)",
    "company": "your company's name (Company settings)",
}
CREDIT_NOTE_SUBJECT = "Credit note {credit_note_number} for invoice {invoice_number}"
CREDIT_NOTE_BODY = ("Hello {organization},\n\n"
                    "please find attached credit note {credit_note_number} of {credit_date}, "
                    "crediting {total} against invoice {invoice_number}.\n\n"
                    "Thank you,\n{company}\n")


@dataclass(frozen=True)
class Kind:
    """A kind of e-mail: its placeholders and the subject and body it has until one is saved."""

    title: str
    placeholders: dict[str, str]
    subject: str
    body: str


KINDS = {INVOICE: Kind("Invoice e-mail", PLACEHOLDERS, DEFAULT_SUBJECT, DEFAULT_BODY),
         CREDIT_NOTE: Kind("Credit note e-mail", CREDIT_NOTE_PLACEHOLDERS, CREDIT_NOTE_SUBJECT, CREDIT_NOTE_BODY)}


def kind_of(name: str) -> Kind:
    if name not in KINDS:
        raise DeliveryError(f"kind: must be one of {', '.join(KINDS)}, not {name!r}", "kind")
    return KINDS[name]


TOKEN = re.compile(r"\{\{|\}\}|\{([a-z_]*)\}|[{}]")


def _clean_field(key: str, value: str, placeholders: dict[str, str]) -> str:
    text = validate.text(value, key, max_len=300 if key == "subject" else 20000)
    if key == "subject" and ("\n" in text or "\r" in text):
        raise DeliveryError("Subject: keep it to one line", key)
    _check(text, key, placeholders)
    return text


def _check(template: str, field: str, placeholders: dict[str, str]) -> None:
    for match in TOKEN.finditer(template):
        token = match.group(0)
        if token in ("{{", "}}"):
            continue
        name = match.group(1)
        if name is None:
            raise DeliveryError(f"{validate.label(field)}: a lone {token!r}; write {token * 2!r} for a literal brace", field)
        if name not in placeholders:
            raise DeliveryError(f"{validate.label(field)}: unknown placeholder {{{name}}}; use one of "
                                + ", ".join(f"{{{n}}}" for n in placeholders), field)


def fill(template: str, values: dict[str, str]) -> str:
    """``template`` with each placeholder replaced by its value (checked templates only)."""
    def one(match: re.Match) -> str:
        token = match.group(0)
        if token in ("{{", "}}"):
            return token[0]
        return values.get(match.group(1) or "", token)

    return TOKEN.sub(one, template)


def get_template(kind: str = INVOICE) -> tuple[str, str]:
    """(subject, body) of a kind of e-mail: the saved ones or the defaults."""
    defaults = kind_of(kind)
    row = db.session.get(EmailTemplate, kind)
    return (row.subject, row.body) if row else (defaults.subject, defaults.body)


def update_template(subject: str, body: str, actor: Actor, kind: str = INVOICE) -> EmailTemplate:
    placeholders = kind_of(kind).placeholders
    checked = validate.each_field({"subject": subject, "body": body},
                                  lambda key, value: _clean_field(key, value, placeholders), DeliveryFieldErrors)
    subject, body = checked["subject"], checked["body"]
    old = get_template(kind)
    row = db.session.get(EmailTemplate, kind)
    if row is None:
        row = EmailTemplate(name=kind, subject=subject, body=body)
        db.session.add(row)
    row.subject, row.body = subject, body
    for field, before, after in (("subject", old[0], subject), ("body", old[1], body)):
        if before != after:
            record(actor, "email_template.update", "email_template", kind, field=field, old=before, new=after)
    db.session.commit()
    return row


@dataclass(frozen=True)
class LoadedTemplate:
    """What filling needs besides the document: read once for a batch of documents."""

    subject: str
    body: str
    company: str


def email_template(kind: str = INVOICE) -> LoadedTemplate:
    from hub.delivery.company import get_company

    subject, body = get_template(kind)
    return LoadedTemplate(subject, body, get_company().name or "")


def invoice_values(invoice: Invoice, company: str) -> dict[str, str]:
    return {
        "invoice_number": label(invoice.number) if invoice.number else f"draft {invoice.id}",
        "organization": invoice.organization.name,
        "total": f"{fmt_money(invoice.total)} {invoice.currency}",
        "due_date": invoice.due_date.isoformat(),
        "period": f"{invoice.period_start.isoformat()} to {invoice.period_end.isoformat()}",
        "company": company,
    }


def credit_note_values(note: CreditNote, company: str) -> dict[str, str]:
    from hub.billing.credit_notes import label as credit_label

    return {
        "credit_note_number": credit_label(note.number),
        "invoice_number": label(note.invoice.number),
        "organization": note.organization.name,
        "total": f"{fmt_money(note.total)} {note.currency}",
        "credit_date": note.credit_date.isoformat(),
        "company": company,
    }


def render_email(values: dict[str, str], template: LoadedTemplate) -> tuple[str, str]:
    """(subject, body) filled with ``values``; the subject on one line whatever the names hold."""
    return " ".join(fill(template.subject, values).split()), fill(template.body, values)
