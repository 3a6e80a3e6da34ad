"""Destinations: accounting systems the hub pushes issued invoices to (QuickBooks Online, Xero).

A ``DestinationConnection`` holds one destination plugin's settings, its OAuth tokens (encrypted) and
the account the admin picked. ``DestinationMapping`` maps the hub's Organizations, products and tax
rates to the provider's ids. ``DestinationPush`` is one invoice's (or one credit note's) way to one
destination.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.extensions import db
from hub.timeutil import utcnow


class ConnectionState(str, enum.Enum):
    NOT_CONNECTED = "not_connected"
    #: tokens held, the token reaches several accounts: an admin picks one
    CHOOSE_ACCOUNT = "choose_account"
    CONNECTED = "connected"
    #: the provider refused the refresh token: queued pushes wait until an admin connects again
    NEEDS_RECONNECT = "needs_reconnect"
    DISABLED = "disabled"


class MappingKind(str, enum.Enum):
    CUSTOMER = "customer"  # Organization id -> provider customer / contact
    ITEM = "item"          # product id -> provider item (or income account)
    TAX = "tax_code"       # tax rate id, or "exempt" (lines with no tax) -> provider tax code


class PushState(str, enum.Enum):
    QUEUED = "queued"
    #: sent (or about to be): the outcome is unknown until the provider answers
    PUSHING = "pushing"
    PUSHED = "pushed"
    #: a temporary failure; tried again at ``next_attempt_at``
    RETRYING = "retrying"
    #: cannot go until a person fixes something (mapping, provider validation); ``push now`` retries
    BLOCKED = "blocked"
    VOIDED = "voided"
    #: voided in the hub before it ever reached the provider: nothing to send
    CANCELLED = "cancelled"
    #: a credit note for a destination whose plugin takes no credit notes: never sent, enter it there by hand
    UNSUPPORTED = "unsupported"


class PaymentState(str, enum.Enum):
    """An invoice's payment at the provider, read back after the push (``None`` until first read)."""

    UNPAID = "unpaid"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"


class DestinationConnection(db.Model):
    __tablename__ = "destination_connections"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    enabled: Mapped[bool] = mapped_column(default=False)
    #: non-secret settings, as loaded by the plugin's schema
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    #: Fernet token of the secret settings (the OAuth client secret)
    secrets_token: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20), default=ConnectionState.NOT_CONNECTED.value)
    state_message: Mapped[str | None] = mapped_column(Text)
    account_id: Mapped[str | None] = mapped_column(String(100))
    account_name: Mapped[str | None] = mapped_column(String(300))
    #: accounts the last consent reached, while one is to be picked: [{"account_id", "name"}]
    account_choices: Mapped[list | None] = mapped_column(JSON)
    #: Fernet token of {"access_token", "refresh_token"}
    tokens_token: Mapped[str | None] = mapped_column(Text)
    access_expires_at: Mapped[datetime | None]
    refresh_expires_at: Mapped[datetime | None]
    #: bumped by every token change; a refresh writes only where it still holds what it read
    token_version: Mapped[int] = mapped_column(default=0)
    #: the OAuth flow under way: sha256 of ``state``, and the encrypted PKCE verifier
    oauth_state_hash: Mapped[str | None] = mapped_column(String(64))
    oauth_verifier_token: Mapped[str | None] = mapped_column(Text)
    oauth_started_at: Mapped[datetime | None]
    #: prefix of every idempotency key sent from this hub, so two hubs on one account never collide
    key_prefix: Mapped[str] = mapped_column(String(12))
    connected_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<DestinationConnection {self.slug} {self.state}>"


class DestinationMapping(db.Model):
    """One hub record mapped to a provider record. ``confirmed`` is False for an auto-match a person
    has not confirmed yet; only confirmed mappings are used by a push."""

    __tablename__ = "destination_mappings"
    __table_args__ = (UniqueConstraint("connection_id", "kind", "local_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("destination_connections.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    #: the Organization, product or tax rate id (as text), or "exempt" (the code for lines with no tax)
    local_key: Mapped[str] = mapped_column(String(100))
    external_id: Mapped[str] = mapped_column(String(100))
    external_name: Mapped[str] = mapped_column(String(300))
    confirmed: Mapped[bool] = mapped_column(default=False)
    #: "auto" (matched by name), "created" (made at the provider by the hub), "manual", "migrated"
    #: (carried from an older shape by a migration, unconfirmed)
    source: Mapped[str] = mapped_column(String(20))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class DestinationPush(db.Model):
    """One issued invoice, or one credit note, on its way to one destination (exactly one of
    ``invoice_id`` and ``credit_note_id`` is set). Made in the transaction that issues it; both kinds
    go through the same states, retries and audit."""

    __tablename__ = "destination_pushes"
    __table_args__ = (UniqueConstraint("connection_id", "invoice_id"),
                      UniqueConstraint("connection_id", "credit_note_id"),
                      CheckConstraint("(invoice_id IS NULL) <> (credit_note_id IS NULL)", name="one_document"),
                      Index("ix_destination_pushes_due", "connection_id", "state", "next_attempt_at"),
                      Index("ix_destination_pushes_payment", "connection_id", "state", "payment_checked_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("destination_connections.id", ondelete="CASCADE"))
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), index=True)
    credit_note_id: Mapped[int | None] = mapped_column(ForeignKey("credit_notes.id"), index=True)
    state: Mapped[str] = mapped_column(String(20), default=PushState.QUEUED.value)
    #: part of the idempotency key; moves on only after the provider refused an attempt (nothing made)
    generation: Mapped[int] = mapped_column(default=1)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    claimed_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    error_field: Mapped[str | None] = mapped_column(String(200))
    external_id: Mapped[str | None] = mapped_column(String(100))
    external_number: Mapped[str | None] = mapped_column(String(100))
    external_url: Mapped[str | None] = mapped_column(String(500))
    pushed_at: Mapped[datetime | None]
    #: the hub invoice was voided: void it at the provider too
    void_requested_at: Mapped[datetime | None]
    voided_at: Mapped[datetime | None]
    #: the payment read back from the provider (``PaymentState``); None until read
    payment_state: Mapped[str | None] = mapped_column(String(20))
    #: paid so far and still owed at the provider, in the invoice's currency
    amount_paid: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    balance_due: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    payment_checked_at: Mapped[datetime | None]
    paid_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    connection = relationship("DestinationConnection")
    invoice = relationship("Invoice")
    credit_note = relationship("CreditNote")

    @property
    def entity(self) -> tuple[str, int]:
        """("invoice", id) or ("credit_note", id): what the push carries, as the audit names it."""
        if self.credit_note_id is not None:
            return "credit_note", self.credit_note_id
        return "invoice", self.invoice_id
