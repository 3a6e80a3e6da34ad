"""The destination conformance checks. Each is a function of a ``DestinationHarness`` that returns
when the plugin conforms and raises ``ConformanceFailure`` saying what to fix; each is proven to fail
against a deliberately broken destination (tests/testing/broken_destinations.py)."""

from __future__ import annotations

import re
from typing import Callable

from hub.plugins import (ConnectionCheck, DestinationAccount, DestinationInfo, PushRejected, PushResult,
                         VendorAuthError, VendorUnavailableError)
from hub.testing.destination_harness import DestinationHarness
from hub.testing.harness import fail
from hub.testing.logs import capture_logs, log_text

Check = Callable[[DestinationHarness], None]
#: check name -> function, in the order the suite runs them
DESTINATION_CHECKS: dict[str, Check] = {}
VERSION = re.compile(r"^\d+\.\d+(\.\d+)?([.-]?\w+)?$")


def check(name: str) -> Callable[[Check], Check]:
    def register(fn: Check) -> Check:
        DESTINATION_CHECKS[name] = fn
        return fn
    return register


@check("destination_loads")
def destination_loads(h: DestinationHarness) -> None:
    """The entry point (or object) loads as a destination plugin, with no LoadError."""
    if not h.direct and not h.has_entry_point:
        fail(f"no entry point named {h.name!r} in the 'hub' group: add it under [project.entry-points.hub]")
    if h.record is None:
        fail(f"the {h.name!r} destination did not load: {h.load_error or 'it loaded as a vendor plugin'}")


@check("destination_info_valid")
def destination_info_valid(h: DestinationHarness) -> None:
    """hub_destination_info describes the plugin fully: version, OAuth endpoints, a secret client secret."""
    info = h.handle.info
    if not isinstance(info, DestinationInfo):
        fail(f"hub_destination_info returned {type(info).__name__}")
    problems = []
    if not VERSION.match(info.version or ""):
        problems.append(f"version {info.version!r} is not a version number")
    fields = info.config_schema().fields
    for needed in ("client_id", "client_secret"):
        if needed not in fields:
            problems.append(f"the config schema has no {needed} field (the core's OAuth reads it)")
    if "client_secret" in fields and "client_secret" not in info.secret_fields:
        problems.append("client_secret is not flagged metadata={'secret': True}: it would be stored in clear")
    for url in (info.oauth.authorize_url, info.oauth.token_url):
        if not str(url).startswith("https://"):
            problems.append(f"OAuth URL {url!r} is not https")
    if not info.oauth.scopes:
        problems.append("OAuthSettings.scopes is empty")
    if problems:
        fail("hub_destination_info:\n  " + "\n  ".join(problems))


@check("oauth_connects")
def oauth_connects(h: DestinationHarness) -> None:
    """The core's authorization-code flow works against the simulator and settles one account."""
    h.connect()
    from hub.destinations import connections

    with h.app.app_context():
        connection = connections.require_connection(h.name)
        if not connection.account_id:
            fail("after the OAuth callback no account (company / tenant) is chosen: hub_destination_accounts "
                 "must return DestinationAccount records")


@check("test_connection_ok")
def test_connection_ok(h: DestinationHarness) -> None:
    """hub_destination_test_connection answers ok=True against a healthy simulator."""
    result = h.call("test_connection")
    if result.error is not None or not isinstance(result.value, ConnectionCheck) or not result.value.ok:
        fail(f"hub_destination_test_connection {result.describe()}; expected ConnectionCheck(ok=True)")


@check("customer_find_or_create_is_idempotent")
def customer_find_or_create_is_idempotent(h: DestinationHarness) -> None:
    """Asking twice for one customer (names with quotes too) gives one provider record."""
    for name in ("Kit Customer Ltd", "O'Brien \"Q\" IT"):
        first = h.external("customer", h.customer(name))
        again = h.external("customer", h.customer(name))
        if first.external_id != again.external_id:
            fail(f"hub_destination_customer made a second customer for {name!r} ({first.external_id} then "
                 f"{again.external_id}): look it up (escaping the name) before creating it")


@check("item_find_or_create_is_idempotent")
def item_find_or_create_is_idempotent(h: DestinationHarness) -> None:
    """Asking twice for one product gives one provider item."""
    first = h.external("item", h.product("Kit Service"))
    again = h.external("item", h.product("Kit Service"))
    if first.external_id != again.external_id:
        fail(f"hub_destination_item made a second item ({first.external_id} then {again.external_id})")


@check("push_answers_every_invoice")
def push_answers_every_invoice(h: DestinationHarness) -> None:
    """A batch push answers each invoice with a PushResult carrying the external id and number."""
    customer, item = h.targets()
    size = min(3, h.handle.info.max_batch)
    invoices = [h.invoice(customer, item) for _ in range(size)]
    result = h.call("push_invoices", invoices=invoices)
    if result.error is not None:
        fail(f"hub_destination_push_invoices {result.describe()} against a healthy simulator")
    answers = {a.invoice_id: a for a in result.value if isinstance(a, PushResult)}
    missing = [i.number for i in invoices if i.invoice_id not in answers]
    if missing:
        fail(f"hub_destination_push_invoices gave no PushResult for {missing} (return one per invoice)")
    for invoice in invoices:
        if len(h.simulator().app.invoices_numbered(invoice.number)) != 1:
            fail(f"the provider does not hold exactly one invoice numbered {invoice.number} after the push")


@check("retry_after_lost_answer_does_not_duplicate")
def retry_after_lost_answer_does_not_duplicate(h: DestinationHarness) -> None:
    """The provider commits but the answer is lost (timeout); the hub's retries (same key, then a new
    attempt) end with one invoice at the provider, and the plugin reports it."""
    _one_after_a_lost_answer(h, "push_invoices", "invoices", h.invoice, h.simulator().app.invoices_numbered, "invoice")


def _one_after_a_lost_answer(h: DestinationHarness, hook: str, arg: str, make, numbered, noun: str) -> None:
    customer, item = h.targets()
    document = make(customer, item)
    with h.faults(commit_then_hang=1, hang_seconds=0.8):
        lost = h.call(hook, **{arg: [document]}, session_options={"timeout": (5, 0.3), "max_retries": 0})
    if not isinstance(lost.error, VendorUnavailableError):
        fail(f"a push whose answer timed out {lost.describe()}; expected VendorUnavailableError")
    again = h.call(hook, **{arg: [document]})  # the same key: the provider's idempotency answers
    later = h.call(hook, **{arg: [make(customer, item, attempt=3, number=document.number)]})
    held = numbered(document.number)
    if len(held) != 1:
        fail(f"after a lost answer and retries the provider holds {len(held)} {noun}s numbered {document.number}: "
             f"send {type(document).__name__}.idempotency_key as the provider's idempotency key, and on attempt > 1 "
             f"look the {noun} up by number before creating it")
    for label, result in (("the retry with the same key", again), ("a later attempt with a new key", later)):
        if result.error is not None or not any(isinstance(a, PushResult) for a in result.value):
            fail(f"{label} {result.describe()}; expected a PushResult for the {noun} the provider holds")


@check("credit_notes_pushed_once")
def credit_notes_pushed_once(h: DestinationHarness) -> None:
    """The optional hub_destination_push_credit_notes (skipped when not implemented): each credit note is
    answered by a PushResult naming its credit_note_id, and after a lost answer the hub's retries (same
    key, then a later attempt) leave one credit note at the provider."""
    if not h.handle.can_push_credit_notes():
        return
    sim = h.simulator().app
    if not hasattr(sim, "credit_notes_numbered"):
        fail("the plugin pushes credit notes, but its simulator has no `credit_notes_numbered(number)`: see "
             "hub.testing.destination_harness")
    customer, item = h.targets()
    note = h.credit_note(customer, item)
    first = h.call("push_credit_notes", credit_notes=[note])
    if first.error is not None or not any(isinstance(a, PushResult) and a.invoice_id == note.credit_note_id
                                          for a in first.value):
        fail(f"hub_destination_push_credit_notes {first.describe()}; expected a PushResult whose invoice_id is the "
             "credit note's credit_note_id")
    _one_after_a_lost_answer(h, "push_credit_notes", "credit_notes", h.credit_note, sim.credit_notes_numbered,
                             "credit note")


@check("rejection_names_the_field")
def rejection_names_the_field(h: DestinationHarness) -> None:
    """A provider validation error is a PushRejected naming the field, not an exception."""
    customer, item = h.targets()
    invoice = h.invoice(customer, item)
    with h.faults(reject_invoices_field="TxnDate"):
        result = h.call("push_invoices", invoices=[invoice])
    if result.error is not None:
        fail(f"with the provider refusing the invoice, hub_destination_push_invoices {result.describe()}; return "
             "PushRejected(invoice_id, message, field) so the hub can show it and wait for a person")
    rejected = [a for a in result.value if isinstance(a, PushRejected)]
    if not rejected or "TxnDate" not in f"{rejected[0].field} {rejected[0].message}":
        fail(f"expected a PushRejected naming TxnDate, got {result.value!r}")


@check("void_voids_once_and_again")
def void_voids_once_and_again(h: DestinationHarness) -> None:
    """hub_destination_void_invoice voids at the provider; voiding a void invoice succeeds."""
    customer, item = h.targets()
    pushed = h.call("push_invoices", invoices=[h.invoice(customer, item)])
    result = next((a for a in pushed.value or [] if isinstance(a, PushResult)), None)
    if result is None:
        fail(f"could not push an invoice to void: {pushed.describe()}")
    for round_ in ("first", "second"):
        voided = h.call("void_invoice", external_id=result.external_id)
        if voided.error is not None:
            fail(f"the {round_} void {voided.describe()}")
        if h.simulator().app.invoice_state(result.external_id) != "voided":
            fail(f"after the {round_} void the provider's invoice is {h.simulator().app.invoice_state(result.external_id)!r}")


@check("auth_error_maps_to_VendorAuthError")
def auth_error_maps_to_VendorAuthError(h: DestinationHarness) -> None:
    """With the token refused, each hook raises VendorAuthError with the HTTP status (the core refreshes on 401)."""
    customer, item = h.targets()
    calls = {"test_connection": {}, "list_records": {"kind": "customer"},
             "customer": {"customer": h.customer("Kit Customer Ltd")}, "item": {"product": h.product("Kit Service")},
             "push_invoices": {"invoices": [h.invoice(customer, item)]}, "void_invoice": {"external_id": "1"}}
    problems = []
    with h.faults(auth=True):
        for hook, kwargs in calls.items():
            result = h.call(hook, **kwargs)
            if not isinstance(result.error, VendorAuthError) or result.error.status not in (401, 403):
                problems.append(f"{hook} {result.describe()}; expected VendorAuthError with status 401/403")
    if problems:
        fail("a refused token does not map to VendorAuthError:\n  " + "\n  ".join(problems))


@check("transient_maps_to_VendorUnavailableError")
def transient_maps_to_VendorUnavailableError(h: DestinationHarness) -> None:
    """HTTP 503 and throttling raise VendorUnavailableError from every hook."""
    customer, item = h.targets()
    calls = {"test_connection": {}, "list_records": {"kind": "customer"},
             "push_invoices": {"invoices": [h.invoice(customer, item)]}}
    problems = []
    for label, knobs in (("HTTP 503", {"unavailable": 503}), ("throttled", {"rate_limit_retry_after": 7})):
        with h.faults(**knobs):
            for hook, kwargs in calls.items():
                result = h.call(hook, **kwargs)
                if not isinstance(result.error, VendorUnavailableError):
                    problems.append(f"{label}: {hook} {result.describe()}; expected VendorUnavailableError")
    if problems:
        fail("transient failures do not map to VendorUnavailableError:\n  " + "\n  ".join(problems))


@check("no_token_in_logs_or_errors")
def no_token_in_logs_or_errors(h: DestinationHarness) -> None:
    """Neither the access token, the refresh token nor the client secret reach a log record or an error."""
    customer, item = h.targets()
    secrets = h.secrets()
    with capture_logs() as records:
        outcomes = [h.call("push_invoices", invoices=[h.invoice(customer, item)])]
        with h.faults(auth=True):
            outcomes.append(h.call("push_invoices", invoices=[h.invoice(customer, item)]))
            outcomes.append(h.call("test_connection"))
    leaks = [f"log record {r.name}: {log_text(r)[:120]}" for r in records if any(s in log_text(r) for s in secrets)]
    leaks += [f"error: {o.error}"[:160] for o in outcomes if o.error is not None and any(s in str(o.error) for s in secrets)]
    if leaks:
        text = "\n  ".join(leaks)
        for secret in secrets:
            text = text.replace(secret, "<SECRET>")
        fail("a token or the client secret leaked (use the session's redaction; never log auth):\n  " + text)


@check("revoke_ends_the_grant")
def revoke_ends_the_grant(h: DestinationHarness) -> None:
    """The optional hub_destination_revoke_tokens: a disconnect revokes at the provider, which then
    refuses the refresh token. Runs last: it ends the kit's connection (the next check connects again)."""
    if not h.handle.can_revoke():
        return
    from hub.audit import Actor
    from hub.destinations import connections, oauth, tokens

    h.connect()
    with h.app.app_context():
        connection = connections.require_connection(h.name)
        held = tokens.read_tokens(connection)
        config = connections.load_config(connection)
        result = oauth.disconnect(h.name, Actor.cli("destination conformance"))
        h.forget_connection()
        if not result.revoked:
            fail(f"disconnecting did not revoke the tokens: {result.message}")
        try:
            tokens.token_request(h.handle, config, {"grant_type": "refresh_token", "refresh_token": held.refresh_token},
                                 [held.refresh_token or "", held.access_token])
        except VendorAuthError:
            return
        fail("hub_destination_revoke_tokens returned, but the provider still accepts the refresh token: post it "
             "to the provider's revocation endpoint (config['revoke_url'] or OAuthSettings.revoke_url)")
