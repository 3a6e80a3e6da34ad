"""Typed records of the destination contract: what the hub hands a destination plugin and what it
gets back. Frozen, like the vendor records: the hub never mutates them.

A destination is a system that receives the hub's issued invoices (an accounting package). The core
owns OAuth, the mapping tables, the push state machine, retries and audit; a plugin only speaks the
provider's API.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Mapping

from marshmallow import Schema


@dataclass(frozen=True)
class OAuthSettings:
    """The provider's OAuth 2.0 authorization-code flow, run by the core.

    The URLs are the production defaults; a configuration holding ``authorize_url`` or ``token_url``
    overrides them (sandbox, or the plugin's simulator).
    """

    authorize_url: str
    token_url: str
    scopes: tuple[str, ...]
    #: send ``code_challenge`` (S256) and ``code_verifier`` (RFC 7636)
    pkce: bool = False
    revoke_url: str | None = None
    #: extra query parameters of the authorize URL
    extra_authorize_params: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DestinationInfo:
    """Describes a destination plugin. ``slug`` must equal the entry-point name."""

    slug: str
    display_name: str
    version: str
    description: str
    #: marshmallow schema class; mark secret fields (the OAuth client secret) ``metadata={"secret": True}``
    config_schema: type[Schema]
    oauth: OAuthSettings
    docs_url: str | None = None
    #: the provider's documented request budget per connected account
    requests_per_second: float | None = None
    #: stricter named budgets (e.g. ``{"batch": 40 / 60}``); pass ``rate_key=`` per request
    rate_limits: Mapping[str, float] = field(default_factory=dict)
    max_concurrency: int = 4
    #: most invoices ``hub_destination_push_invoices`` takes in one call (the provider's batch size)
    max_batch: int = 1
    #: what the provider calls a customer and an item, for the panel ("customer"/"contact")
    customer_noun: str = "customer"
    item_noun: str = "item"

    @property
    def secret_fields(self) -> frozenset[str]:
        schema = self.config_schema()
        return frozenset(name for name, f in schema.fields.items() if f.metadata.get("secret"))


@dataclass(frozen=True)
class DestinationAuth:
    """A valid access token and the account (QBO realm, Xero tenant) every call addresses.

    The core refreshes the token before it expires; a plugin raises ``VendorAuthError`` on a 401 and
    the core refreshes once and calls again.
    """

    access_token: str
    account_id: str | None = None

    def __repr__(self) -> str:  # never print the token
        return f"DestinationAuth(account_id={self.account_id!r})"


@dataclass(frozen=True)
class DestinationAccount:
    """One account (company, organisation) a token reaches; the admin picks one."""

    account_id: str
    name: str


@dataclass(frozen=True)
class ExternalRecord:
    """A customer, item or tax code at the provider."""

    external_id: str
    name: str
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CustomerToPush:
    """An Organization as the hub describes it to a destination. ``reference`` is stable per hub
    customer (for providers with an external-reference field, e.g. Xero's ContactNumber)."""

    local_id: int
    name: str
    reference: str
    email: str | None = None


@dataclass(frozen=True)
class ProductToPush:
    """A catalog product as the hub describes it to a destination."""

    local_id: int
    code: str
    name: str
    unit_price: Decimal
    description: str | None = None
    #: the income account to book it on, when the connection's settings name one
    income_account: str | None = None


@dataclass(frozen=True)
class LineToPush:
    description: str
    quantity: Decimal
    unit_price: Decimal
    #: ``round(quantity * unit_price, 2)``, computed by the hub in Decimal
    amount: Decimal
    item_external_id: str
    #: the tax code mapped for this line's tax rate (or, untaxed, the "no tax" code); None for the
    #: plugin's configured default (untaxed lines only: a taxed line always carries its mapped code)
    tax_code_external_id: str | None = None
    item_code: str | None = None
    taxable: bool = True
    #: this line's tax as the hub computed it: send it explicitly so the provider's total is the hub's
    tax_amount: Decimal = Decimal("0")


@dataclass(frozen=True)
class InvoiceToPush:
    """One issued hub invoice, mapped to the provider's ids.

    ``idempotency_key`` is the same for every retry of the same attempt (send it as QBO's
    ``requestid`` / Xero's ``Idempotency-Key``): a retry after a timeout must not create a second
    invoice. ``number`` is the hub's invoice number as the document number.
    """

    invoice_id: int
    number: str
    invoice_date: date
    due_date: date
    currency: str
    customer_external_id: str
    lines: tuple[LineToPush, ...]
    total: Decimal
    idempotency_key: str
    memo: str | None = None
    #: 1 for the first attempt; on a later one an earlier attempt may have created the invoice
    #: though its answer was lost: look it up by number before creating it again
    attempt: int = 1
    #: the sum of the lines' ``tax_amount``; ``total`` = lines' amounts + ``tax_total``
    tax_total: Decimal = Decimal("0")


@dataclass(frozen=True)
class CreditNoteToPush:
    """One hub credit note, mapped to the provider's ids: a credit against an invoice the hub issued.

    As for ``InvoiceToPush``: ``idempotency_key`` is the same for every retry of one attempt (QBO's
    ``requestid``, Xero's ``Idempotency-Key``), ``number`` is the hub's credit note number ("CN-000001")
    as the document number, and on ``attempt`` > 1 the plugin looks the credit note up by number before
    creating it again. Answer with ``PushResult`` / ``PushRejected`` whose ``invoice_id`` is this
    record's ``credit_note_id`` (the id of the hub document the answer is about).

    .. versionadded:: 0.4
    """

    credit_note_id: int
    number: str
    credit_date: date
    currency: str
    customer_external_id: str
    #: the credited invoice lines, amounts positive (the provider's credit document is positive too)
    lines: tuple[LineToPush, ...]
    #: lines' amounts + ``tax_total``
    total: Decimal
    tax_total: Decimal
    idempotency_key: str
    attempt: int = 1
    #: the hub's number of the invoice it credits
    invoice_number: str | None = None
    #: the provider's id of that invoice when the hub pushed it there (None: the invoice never went
    #: to this destination, e.g. it was issued before the destination was connected)
    invoice_external_id: str | None = None
    #: why the credit was given (the hub's reason), for the provider's memo
    reason: str | None = None


@dataclass(frozen=True)
class PushResult:
    """An invoice (or credit note: ``invoice_id`` is then its ``credit_note_id``) the provider holds now
    (created, or found already created by an earlier attempt)."""

    invoice_id: int
    external_id: str
    external_number: str
    #: where a person sees it at the provider, if known
    url: str | None = None
    #: the invoice's total as the provider holds it, when its answer says (the core compares it to the hub's)
    total: Decimal | None = None


@dataclass(frozen=True)
class PushRejected:
    """The provider refused this invoice (or credit note, by its ``credit_note_id``) for a reason a person
    must fix (validation). Nothing was created. ``field`` names what, in the provider's words
    (``Line[0].Amount``, ``Contact``)."""

    invoice_id: int
    message: str
    field: str | None = None


@dataclass(frozen=True)
class PaymentStatus:
    external_id: str
    paid: bool
    balance: Decimal
