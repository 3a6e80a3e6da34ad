"""Delivery models: the MSP's company details, SMTP settings, the e-mail template, billing contacts,
the per-recurring-invoice send choice, and the outbox of document e-mails (an invoice's or a credit
note's) with one row per attempt.

Settings tables hold one row (id 1). Nothing here touches the invoice or credit note tables: an issued
document never changes, so how it was delivered lives beside it.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.extensions import db
from hub.timeutil import utcnow


class CompanySettings(db.Model):
    """The MSP's own details, printed on every invoice document."""

    __tablename__ = "company_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str | None] = mapped_column(Text)
    tax_id: Mapped[str | None] = mapped_column(String(100))
    #: payment terms: the due days new recurring invoices start with
    payment_due_days: Mapped[int] = mapped_column(default=30)
    payment_instructions: Mapped[str | None] = mapped_column(Text)
    footer: Mapped[str | None] = mapped_column(Text)
    logo: Mapped[bytes | None] = mapped_column(LargeBinary)
    logo_mime: Mapped[str | None] = mapped_column(String(40))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SmtpSecurity(str, enum.Enum):
    STARTTLS = "starttls"
    TLS = "tls"      # implicit TLS (SMTPS, usually port 465)
    NONE = "none"


class SmtpSettings(db.Model):
    """How the hub sends e-mail. The password is Fernet-encrypted and never shown back."""

    __tablename__ = "smtp_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    port: Mapped[int]
    security: Mapped[str] = mapped_column(String(10), default=SmtpSecurity.STARTTLS.value)
    username: Mapped[str | None] = mapped_column(String(255))
    password_token: Mapped[str | None] = mapped_column(Text)
    from_address: Mapped[str] = mapped_column(String(320))
    from_name: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class EmailTemplate(db.Model):
    """Subject and body of a kind of e-mail ("invoice"), with {placeholders} filled at send time."""

    __tablename__ = "email_templates"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class BillingContact(db.Model):
    """Where an Organization's invoices go: one or more To addresses and any CC addresses."""

    __tablename__ = "billing_contacts"

    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"),
                                                 primary_key=True)
    to_addresses: Mapped[list] = mapped_column(JSON, default=list)
    cc_addresses: Mapped[list] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class RecurringDelivery(db.Model):
    """A recurring invoice's delivery choice. No row means "hold for manual sending"."""

    __tablename__ = "recurring_delivery"

    recurring_invoice_id: Mapped[int] = mapped_column(
        ForeignKey("recurring_invoices.id", ondelete="CASCADE"), primary_key=True)
    send_on_issue: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class DeliveryStatus(str, enum.Enum):
    QUEUED = "queued"        # waiting for the sending job (first try, or a retry at next_attempt_at)
    SENDING = "sending"      # claimed by a sender until claimed_until
    SENT = "sent"
    FAILED = "failed"        # given up: a permanent refusal, or too many attempts; "resend" makes a new one


class InvoiceDelivery(db.Model):
    """One e-mail of one document: the outbox row and, once done, the record of where it went.

    The document is an invoice (``invoice_id``) or a credit note (``credit_note_id``), exactly one of
    them: one outbox, one sender, one attempt log for both kinds."""

    __tablename__ = "invoice_deliveries"
    __table_args__ = (
        Index("ix_invoice_deliveries_due", "status", "next_attempt_at"),
        # at most one e-mail of a document waits at a time: two "send" clicks cannot both queue
        Index("uq_invoice_deliveries_open", "invoice_id", unique=True,
              sqlite_where=text("status IN ('queued', 'sending')"),
              postgresql_where=text("status IN ('queued', 'sending')")),
        Index("uq_invoice_deliveries_open_credit_note", "credit_note_id", unique=True,
              sqlite_where=text("status IN ('queued', 'sending')"),
              postgresql_where=text("status IN ('queued', 'sending')")),
        CheckConstraint("(invoice_id IS NULL) <> (credit_note_id IS NULL)", name="one_document"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), index=True)
    credit_note_id: Mapped[int | None] = mapped_column(ForeignKey("credit_notes.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default=DeliveryStatus.QUEUED.value)
    #: auto (sent on issue), manual (send button), resend
    trigger: Mapped[str] = mapped_column(String(10))
    to_addresses: Mapped[list] = mapped_column(JSON, default=list)
    cc_addresses: Mapped[list] = mapped_column(JSON, default=list)
    subject: Mapped[str | None] = mapped_column(String(300))
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str | None] = mapped_column(String(300))
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))

    invoice = relationship("Invoice")
    credit_note = relationship("CreditNote")
    attempt_log = relationship("DeliveryAttempt", order_by="DeliveryAttempt.number", viewonly=True)

    @property
    def entity(self) -> tuple[str, int]:
        """(audit entity type, id) of the document this e-mail carries."""
        return ("invoice", self.invoice_id) if self.invoice_id is not None else ("credit_note", self.credit_note_id)


class DeliveryAttempt(db.Model):
    """One try at sending a delivery: when, to whom, the server's answer."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("invoice_deliveries.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow)
    ok: Mapped[bool]
    message_id: Mapped[str | None] = mapped_column(String(300))
    #: the server's reply or the error, never a credential
    result: Mapped[str] = mapped_column(Text)
