"""Every hook a destination plugin can implement: the second hook family, beside the vendor hooks.

A destination receives the hub's issued invoices (QuickBooks Online, Xero). It is found through the
same ``hub`` entry-point group and loaded with the same isolation as a vendor plugin; a plugin that
implements ``hub_destination_info`` is a destination. The hub calls each hook on exactly one plugin
(``DestinationHandle``), with:

- ``config``: the plugin's configuration loaded by its own ``config_schema``, secrets decrypted;
- ``session``: a ``hub.plugins.VendorSession`` (timeouts, retries honouring ``Retry-After``, the
  provider's rate limits, redaction of secrets and of the access token);
- ``auth``: a :class:`~hub.plugins.destination_types.DestinationAuth`, a fresh access token and the
  account (realm, tenant) chosen by the admin. The core runs OAuth: plugins never refresh tokens.

Raise the same errors as vendor plugins: ``VendorAuthError`` (401: the core refreshes once and calls
again; a second refusal marks the connection *needs reconnect*), ``VendorUnavailableError`` (retried
with backoff), ``VendorConfigError`` (naming the ``field``), ``VendorDataError``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

import pluggy

if TYPE_CHECKING:
    from .destination_types import (
        CreditNoteToPush,
        CustomerToPush,
        DestinationAccount,
        DestinationAuth,
        DestinationInfo,
        ExternalRecord,
        InvoiceToPush,
        PaymentStatus,
        ProductToPush,
        PushRejected,
        PushResult,
    )
    from .http import VendorSession
    from .types import ConnectionCheck, DemoSimulator

hookspec = pluggy.HookspecMarker("hub")


# -- Description and connection ------------------------------------------------------------------


@hookspec(firstresult=True)
def hub_destination_info() -> DestinationInfo:
    """Describe the destination: slug, name, configuration schema, OAuth settings, rate limits,
    batch size. Called once when the plugin is loaded; ``slug`` must equal the entry-point name.

    .. versionadded:: 0.2
    """


@hookspec(firstresult=True)
def hub_destination_accounts(config: dict, session: VendorSession, auth: DestinationAuth,
                             callback: dict) -> Iterable[DestinationAccount]:
    """The accounts (companies, organisations) the fresh token reaches, for the admin to pick.

    Called once after the OAuth code exchange. ``callback`` holds the callback's query parameters
    (QBO names the realm there as ``realmId``); ``auth.account_id`` is ``None``.

    .. versionadded:: 0.2
    """


@hookspec(firstresult=True)
def hub_destination_test_connection(config: dict, session: VendorSession, auth: DestinationAuth) -> ConnectionCheck:
    """Check that the token reaches the chosen account. Return a ``ConnectionCheck``.

    .. versionadded:: 0.2
    """


# -- Mapping -------------------------------------------------------------------------------------


@hookspec(firstresult=True)
def hub_destination_list(config: dict, session: VendorSession, auth: DestinationAuth,
                         kind: str) -> Iterable[ExternalRecord]:
    """Every active record of ``kind`` ("customer", "item" or "tax_code") at the provider, all
    pages read. The hub auto-matches them to its Organizations, products and tax treatments by name
    and shows the matches for confirmation.

    .. versionadded:: 0.2
    """


@hookspec(firstresult=True)
def hub_destination_customer(config: dict, session: VendorSession, auth: DestinationAuth,
                             customer: CustomerToPush) -> ExternalRecord:
    """Find the provider's customer for this Organization, or create it. Look it up first (by the
    provider's external reference, then by exact name, with the query language's escaping), so a
    retry never creates a second one.

    .. versionadded:: 0.2
    """


@hookspec(firstresult=True)
def hub_destination_item(config: dict, session: VendorSession, auth: DestinationAuth,
                         product: ProductToPush) -> ExternalRecord:
    """Find the provider's item (or income account) for this catalog product, or create it.

    .. versionadded:: 0.2
    """


# -- Invoices ------------------------------------------------------------------------------------


@hookspec(firstresult=True)
def hub_destination_push_invoices(config: dict, session: VendorSession, auth: DestinationAuth,
                                  invoices: list[InvoiceToPush]) -> Iterable[PushResult | PushRejected]:
    """Create these invoices (at most ``DestinationInfo.max_batch``) at the provider, idempotently.

    Send each invoice's ``idempotency_key`` with its create: the hub sends the same key again after
    a timeout, and the provider must answer with the invoice it already made. Return one
    ``PushResult`` (created or found) or ``PushRejected`` (a validation error a person must fix,
    naming the field) per invoice. Raise for failures of the whole call; an invoice with no answer
    is retried.

    .. versionadded:: 0.2
    """


@hookspec(firstresult=True)
def hub_destination_void_invoice(config: dict, session: VendorSession, auth: DestinationAuth,
                                 external_id: str) -> None:
    """Void the provider's invoice ``external_id`` (the invoice stays, its amounts go to zero).
    Voiding an invoice that is void already succeeds.

    .. versionadded:: 0.2
    """


# -- Credit notes --------------------------------------------------------------------------------


@hookspec(firstresult=True)
def hub_destination_push_credit_notes(config: dict, session: VendorSession, auth: DestinationAuth,
                                      credit_notes: list[CreditNoteToPush]) -> Iterable[PushResult | PushRejected]:
    """Optional: create these credit notes (at most ``DestinationInfo.max_batch``) at the provider,
    idempotently, as ``hub_destination_push_invoices`` does invoices (QBO: a CreditMemo; Xero: an
    ACCRECCREDIT credit note).

    The same rules: send each ``idempotency_key`` with its create; on ``attempt`` > 1 look the credit
    note up by its number before creating it; return one ``PushResult`` or ``PushRejected`` per credit
    note with ``invoice_id`` set to its ``credit_note_id``; raise for failures of the whole call. The
    hub sends a credit note only after the invoice it credits reached this destination
    (``invoice_external_id``), so the provider may link or allocate it. A destination without this
    hook shows credit notes as *not supported* there; the hub never marks them pushed.

    .. versionadded:: 0.4
    """


@hookspec(firstresult=True)
def hub_destination_payment_status(config: dict, session: VendorSession, auth: DestinationAuth,
                                   external_ids: list[str]) -> Iterable[PaymentStatus]:
    """Optional: whether these invoices are paid at the provider.

    .. versionadded:: 0.2
    """


@hookspec(firstresult=True)
def hub_destination_revoke_tokens(config: dict, session: VendorSession, refresh_token: str | None,
                                  access_token: str | None) -> None:
    """Optional: revoke the connection's tokens at the provider (RFC 7009), called when an admin
    disconnects. Revoking the refresh token ends the whole grant at both QuickBooks and Xero. Post to
    ``config.get("revoke_url")`` or the plugin's ``OAuthSettings.revoke_url``, authenticated as the
    OAuth client (``config["client_id"]``/``config["client_secret"]``); raise ``VendorAuthError`` or
    ``VendorUnavailableError`` when the provider refuses or fails. The core forgets the tokens either
    way, and tells the admin when the revoke did not succeed.

    .. versionadded:: 0.3
    """


# -- Demo and testing ----------------------------------------------------------------------------


@hookspec(firstresult=True)
def hub_destination_simulator() -> DemoSimulator | None:
    """A local simulator of the provider (API and OAuth endpoints), or ``None``. ``config_for(base_url)``
    returns a configuration pointing the plugin and the core's OAuth at it.

    .. versionadded:: 0.2
    """
