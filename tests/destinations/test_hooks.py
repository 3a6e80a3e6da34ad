"""Each destination hook called through DestinationHandle against the QuickBooks simulator, the way
the core calls it (one test per hook, as the guide's doc test asks)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hub.destinations import connections
from hub.destinations.calls import call_with_auth
from hub.plugins import (ConnectionCheck, CreditNoteToPush, CustomerToPush, DemoSimulator, DestinationAccount,
                         DestinationInfo, ExternalRecord, InvoiceToPush, LineToPush, PaymentStatus, ProductToPush,
                         PushResult)


def call(fn):
    return call_with_auth(connections.get_connection("quickbooks"), fn)


def an_item() -> str:
    return call(lambda h, c, s, a: list(h.list_records(c, s, a, "item")))[0].external_id


def invoice(customer: str, item: str, number: str = "T-1") -> InvoiceToPush:
    line = LineToPush("Endpoints", Decimal("3"), Decimal("12.5"), Decimal("37.50"), item)
    return InvoiceToPush(1, number, date(2026, 5, 1), date(2026, 5, 31), "USD", customer, (line,), Decimal("37.50"),
                         "key-1")


def test_hook_hub_destination_info(app, qbo_plugin):
    info = app.extensions["hub.plugins"].destination_handle("quickbooks").info
    assert isinstance(info, DestinationInfo) and info.max_batch == 30 and "client_secret" in info.secret_fields


def test_hook_hub_destination_accounts(qbo):
    assert call(lambda h, c, s, a: h.accounts(c, s, a, {"realmId": "9130350000000001"})) == [
        DestinationAccount("9130350000000001", "Sandbox Company_US_1")]


def test_hook_hub_destination_test_connection(qbo):
    check = call(lambda h, c, s, a: h.test_connection(c, s, a))
    assert isinstance(check, ConnectionCheck) and check.ok and check.account_name == "Sandbox Company_US_1"


def test_hook_hub_destination_list(qbo):
    names = {r.name for r in call(lambda h, c, s, a: list(h.list_records(c, s, a, "customer")))}
    assert "O'Brien IT" in names and len(names) == 6
    codes = {r.external_id: r.extra["percent"] for r in call(lambda h, c, s, a: list(h.list_records(c, s, a, "tax_code")))}
    assert codes == {"TAX": 0, "NON": 0, "5": 15}  # each code's percent: the sum of its sales TaxRates


def test_hook_hub_destination_customer(qbo, qbo_sim):
    made = call(lambda h, c, s, a: h.customer(c, s, a, CustomerToPush(7, "New Co", "hub-org-7")))
    assert isinstance(made, ExternalRecord) and qbo_sim.app.state.customers[made.external_id]["DisplayName"] == "New Co"


def test_hook_hub_destination_item(qbo, qbo_sim):
    made = call(lambda h, c, s, a: h.item(c, s, a, ProductToPush(3, "BK", "Backup", Decimal("4.5"))))
    assert qbo_sim.app.state.items[made.external_id]["IncomeAccountRef"] == {"value": "79"}


def test_hook_hub_destination_push_invoices(qbo, qbo_sim):
    customer = call(lambda h, c, s, a: h.customer(c, s, a, CustomerToPush(7, "New Co", "hub-org-7")))
    [result] = call(lambda h, c, s, a: h.push_invoices(c, s, a, [invoice(customer.external_id, an_item())]))
    assert isinstance(result, PushResult) and result.external_number == "T-1"
    assert qbo_sim.app.invoice_state(result.external_id) == "open"


def test_hook_hub_destination_push_credit_notes(qbo, qbo_sim):
    customer = call(lambda h, c, s, a: h.customer(c, s, a, CustomerToPush(7, "New Co", "hub-org-7")))
    item = an_item()
    [pushed] = call(lambda h, c, s, a: h.push_invoices(c, s, a, [invoice(customer.external_id, item)]))
    line = LineToPush("Endpoints", Decimal("1"), Decimal("12.5"), Decimal("12.50"), item)
    note = CreditNoteToPush(4, "CN-000004", date(2026, 5, 2), "USD", customer.external_id, (line,), Decimal("12.50"),
                            Decimal("0"), "key-c4", invoice_number="T-1", invoice_external_id=pushed.external_id,
                            reason="one seat unused")
    assert connections.handle_for("quickbooks").can_push_credit_notes()
    [result] = call(lambda h, c, s, a: h.push_credit_notes(c, s, a, [note]))
    assert isinstance(result, PushResult) and result.invoice_id == 4 and result.external_number == "CN-000004"
    [memo] = qbo_sim.app.credit_notes_numbered("CN-000004")
    assert memo["Id"] == result.external_id and result.total == Decimal("12.50")
    assert memo["CustomerMemo"] == {"value": "Credit for invoice T-1: one seat unused"}


def test_hook_hub_destination_void_invoice(qbo, qbo_sim):
    customer = call(lambda h, c, s, a: h.customer(c, s, a, CustomerToPush(7, "New Co", "hub-org-7")))
    [result] = call(lambda h, c, s, a: h.push_invoices(c, s, a, [invoice(customer.external_id, an_item())]))
    call(lambda h, c, s, a: h.void_invoice(c, s, a, result.external_id))
    assert qbo_sim.app.invoice_state(result.external_id) == "voided"


def test_hook_hub_destination_payment_status(qbo):
    customer = call(lambda h, c, s, a: h.customer(c, s, a, CustomerToPush(7, "New Co", "hub-org-7")))
    [result] = call(lambda h, c, s, a: h.push_invoices(c, s, a, [invoice(customer.external_id, an_item())]))
    [status] = call(lambda h, c, s, a: h.payment_status(c, s, a, [result.external_id]))
    assert status == PaymentStatus(result.external_id, paid=False, balance=Decimal("37.5"))


def test_hook_hub_destination_revoke_tokens(qbo, qbo_sim):
    from hub import integrations
    from hub.destinations import tokens

    connection = connections.get_connection("quickbooks")
    held = tokens.read_tokens(connection)
    handle = connections.handle_for("quickbooks")
    config = handle.load_config(integrations.stored_config(connection))
    assert handle.can_revoke()
    with handle.make_session(config) as session:
        handle.revoke_tokens(config, session, held.refresh_token, held.access_token)
    assert qbo_sim.app.state.revoked == 1 and qbo_sim.app.state.refresh_token is None
    [(method, path, _)] = [r for r in qbo_sim.app.state.requests if "revoke" in r[1]]
    assert (method, path) == ("POST", "/v2/oauth2/tokens/revoke")


def test_hook_hub_destination_simulator(app, qbo_plugin):
    demo = app.extensions["hub.plugins"].destination_handle("quickbooks").demo_simulator()
    assert isinstance(demo, DemoSimulator) and demo.config_for("http://x")["token_url"] == "http://x/oauth2/v1/tokens/bearer"
