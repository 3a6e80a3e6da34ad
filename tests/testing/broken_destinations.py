"""Deliberately broken destination plugins, each breaking one rule of the destination contract.

Each wraps the bundled QuickBooks plugin (a correct destination) and changes only what its docstring
says. ``BROKEN`` lists ``(plugin class, the check that must fail, a fragment of its message)``.
"""

from __future__ import annotations

import dataclasses
import logging
import uuid

import hub_quickbooks.plugin as qbo
from marshmallow import fields

from hub.plugins import (ConnectionCheck, ExternalRecord, PushRejected, VendorDataError, VendorError,
                         hookimpl)
from hub_quickbooks.client import QboClient
from hub_quickbooks.credit_memos import credit_memo_body
from hub_quickbooks.credit_memos import result as credit_memo_result
from hub_quickbooks.invoices import invoice_body, result
from hub_quickbooks.schema import QuickBooksConfig

log = logging.getLogger("hub_books_broken")


class Books:
    """Correct: every hook is the QuickBooks plugin's."""

    @hookimpl
    def hub_destination_info(self):
        return qbo.hub_destination_info()

    @hookimpl
    def hub_destination_accounts(self, config, session, auth, callback):
        return qbo.hub_destination_accounts(config, session, auth, callback)

    @hookimpl
    def hub_destination_test_connection(self, config, session, auth):
        return qbo.hub_destination_test_connection(config, session, auth)

    @hookimpl
    def hub_destination_list(self, config, session, auth, kind):
        return qbo.hub_destination_list(config, session, auth, kind)

    @hookimpl
    def hub_destination_customer(self, config, session, auth, customer):
        return qbo.hub_destination_customer(config, session, auth, customer)

    @hookimpl
    def hub_destination_item(self, config, session, auth, product):
        return qbo.hub_destination_item(config, session, auth, product)

    @hookimpl
    def hub_destination_push_invoices(self, config, session, auth, invoices):
        return qbo.hub_destination_push_invoices(config, session, auth, invoices)

    @hookimpl
    def hub_destination_push_credit_notes(self, config, session, auth, credit_notes):
        return qbo.hub_destination_push_credit_notes(config, session, auth, credit_notes)

    @hookimpl
    def hub_destination_void_invoice(self, config, session, auth, external_id):
        return qbo.hub_destination_void_invoice(config, session, auth, external_id)

    @hookimpl
    def hub_destination_revoke_tokens(self, config, session, refresh_token, access_token):
        return qbo.hub_destination_revoke_tokens(config, session, refresh_token, access_token)

    @hookimpl
    def hub_destination_simulator(self):
        return qbo.hub_destination_simulator()


class WrongSlug(Books):
    """Describes itself under another slug."""

    @hookimpl
    def hub_destination_info(self):
        return dataclasses.replace(qbo.hub_destination_info(), slug="qbo")


class PlainSecretConfig(QuickBooksConfig):
    client_secret = fields.String(required=True)


class UnflaggedSecret(Books):
    """Forgets to flag the client secret as secret."""

    @hookimpl
    def hub_destination_info(self):
        return dataclasses.replace(qbo.hub_destination_info(), config_schema=PlainSecretConfig)


class NoAccounts(Books):
    """Answers the account question with names, not DestinationAccount records."""

    @hookimpl
    def hub_destination_accounts(self, config, session, auth, callback):
        return [callback.get("realmId")]


class RefusesHealthyProvider(Books):
    @hookimpl
    def hub_destination_test_connection(self, config, session, auth):
        return ConnectionCheck(ok=False, message="not sure")


class CustomerEveryTime(Books):
    """Creates a new customer on every call (no lookup first)."""

    @hookimpl
    def hub_destination_customer(self, config, session, auth, customer):
        made = qbo.hub_destination_customer(config, session, auth,
                                            dataclasses.replace(customer, name=f"{customer.name} {uuid.uuid4().hex[:6]}"))
        return ExternalRecord(made.external_id, customer.name)


class ItemEveryTime(Books):
    @hookimpl
    def hub_destination_item(self, config, session, auth, product):
        return qbo.hub_destination_item(config, session, auth,
                                        dataclasses.replace(product, name=f"{product.name} {uuid.uuid4().hex[:6]}"))


class DropsAnswers(Books):
    """Returns only the first invoice's answer of a batch."""

    @hookimpl
    def hub_destination_push_invoices(self, config, session, auth, invoices):
        return list(qbo.hub_destination_push_invoices(config, session, auth, invoices))[:1]


class NewKeyEveryTime(Books):
    """Makes up a new requestid per call and never looks up what an earlier attempt made."""

    @hookimpl
    def hub_destination_push_invoices(self, config, session, auth, invoices):
        client = QboClient(config, session, auth)
        items = [{"bId": str(i.invoice_id), "operation": "create", "Invoice": invoice_body(i, config)}
                 for i in invoices]
        answers = client.batch(items, uuid.uuid4().hex[:30])
        out = []
        for invoice in invoices:
            answer = answers.get(str(invoice.invoice_id), {})
            if "Invoice" in answer:
                out.append(result(config, invoice, answer["Invoice"]))
            else:
                out.append(PushRejected(invoice.invoice_id, str(answer.get("Fault"))))
        return out


class RejectionAsError(Books):
    """Raises on a provider validation error instead of returning PushRejected."""

    @hookimpl
    def hub_destination_push_invoices(self, config, session, auth, invoices):
        answers = list(qbo.hub_destination_push_invoices(config, session, auth, invoices))
        for answer in answers:
            if isinstance(answer, PushRejected):
                raise VendorDataError(answer.message)
        return answers


class VoidDoesNothing(Books):
    @hookimpl
    def hub_destination_void_invoice(self, config, session, auth, external_id):
        return None


class AuthAsDataError(Books):
    """Reports a refused token as bad data."""

    @hookimpl
    def hub_destination_test_connection(self, config, session, auth):
        try:
            return qbo.hub_destination_test_connection(config, session, auth)
        except VendorError as err:
            raise VendorDataError(f"unexpected answer: {err}") from None


class UnavailableAsRejection(Books):
    """Turns an unavailable provider into a rejection (the invoice would wait for a person, forever)."""

    @hookimpl
    def hub_destination_push_invoices(self, config, session, auth, invoices):
        try:
            return qbo.hub_destination_push_invoices(config, session, auth, invoices)
        except VendorError as err:
            return [PushRejected(i.invoice_id, str(err)) for i in invoices]


class LogsToken(Books):
    @hookimpl
    def hub_destination_push_invoices(self, config, session, auth, invoices):
        log.info("pushing with token %s", auth.access_token)
        return qbo.hub_destination_push_invoices(config, session, auth, invoices)


class RevokeDoesNothing(Books):
    """Implements the optional revoke hook but never calls the provider: the grant lives on."""

    @hookimpl
    def hub_destination_revoke_tokens(self, config, session, refresh_token, access_token):
        return None


#: every check name -> at least one broken plugin that fails it
class CreditNoteNewKeyEveryTime(Books):
    """Creates each credit memo with a made-up requestid and never looks up what an earlier attempt made."""

    @hookimpl
    def hub_destination_push_credit_notes(self, config, session, auth, credit_notes):
        client = QboClient(config, session, auth)
        return [credit_memo_result(config, note, client.request(
            "POST", "/creditmemo", params={"requestid": uuid.uuid4().hex}, body=credit_memo_body(note, config))[
            "CreditMemo"]) for note in credit_notes]


BROKEN = [
    (CreditNoteNewKeyEveryTime, "credit_notes_pushed_once", "the retry with the same key"),
    (WrongSlug, "destination_loads", "does not match the entry-point name"),
    (UnflaggedSecret, "destination_info_valid", "client_secret is not flagged"),
    (NoAccounts, "oauth_connects", "DestinationAccount"),
    (RefusesHealthyProvider, "test_connection_ok", "expected ConnectionCheck(ok=True)"),
    (CustomerEveryTime, "customer_find_or_create_is_idempotent", "made a second customer"),
    (ItemEveryTime, "item_find_or_create_is_idempotent", "made a second item"),
    (DropsAnswers, "push_answers_every_invoice", "gave no PushResult"),
    (NewKeyEveryTime, "retry_after_lost_answer_does_not_duplicate",
     "the retry with the same key returned 1 item(s) without raising; expected a PushResult"),
    (RejectionAsError, "rejection_names_the_field", "return PushRejected"),
    (VoidDoesNothing, "void_voids_once_and_again", "after the first void the provider's invoice is 'open'"),
    (AuthAsDataError, "auth_error_maps_to_VendorAuthError", "test_connection raised VendorDataError"),
    (UnavailableAsRejection, "transient_maps_to_VendorUnavailableError", "push_invoices returned"),
    (LogsToken, "no_token_in_logs_or_errors", "log record hub_books_broken"),
    (RevokeDoesNothing, "revoke_ends_the_grant", "the provider still accepts the refresh token"),
]
