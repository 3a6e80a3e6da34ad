"""The API's credit note carries its push state at each accounting destination, and the push queue lists
credit notes' pushes beside invoices' (filter by credit note), over the QuickBooks plugin and its simulator."""

from __future__ import annotations

from hub.destinations import connections
from hub.destinations.push import run_pushes
from tests.destinations.conftest import ADMIN, books, qbo, qbo_plugin, qbo_sim  # noqa: F401  (fixtures)

QUIET = {"sleep": lambda s: None}


def test_a_credit_note_shows_its_push_state_and_the_queue_lists_it(api, qbo, books, qbo_sim):
    org, product = books.org("Contoso"), books.product("EP", "Managed Endpoint")
    connections.set_enabled("quickbooks", False, ADMIN)
    invoice_id = books.issue(org, product)
    connections.set_enabled("quickbooks", True, ADMIN)
    made = api.as_role("billing").post(f"/api/v1/invoices/{invoice_id}/credit-notes", json={"reason": "goodwill"})
    assert made.status_code == 201
    [queued] = made.json["pushes"]
    assert queued["state"] == "queued" and queued["destination"] == "quickbooks" and queued["external_id"] is None
    run_pushes(session_options=QUIET)
    read = api.as_role("viewer").get(f"/api/v1/credit-notes/{made.json['id']}")
    [push] = read.json["pushes"]
    assert push["id"] == queued["id"] and push["state"] == "blocked" and push["error_field"] == "customer"
    assert "'Contoso' is not mapped" in push["last_error"]
    listed = api.get(f"/api/v1/credit-notes?invoice_id={invoice_id}").json["items"]
    assert [n["pushes"][0]["state"] for n in listed] == ["blocked"]
    queue = api.get(f"/api/v1/destination-pushes?credit_note_id={made.json['id']}").json["items"]
    assert [(q["id"], q["invoice_id"], q["credit_note_id"], q["credit_note_number"]) for q in queue] == [
        (push["id"], None, made.json["id"], made.json["number"])]
    assert api.get(f"/api/v1/destination-pushes?invoice_id={invoice_id}").json["items"] == []
    exported = api.get(f"/api/v1/credit-notes/{made.json['id']}/export").json
    assert "pushes" not in exported  # the file is the document, not its delivery
    again = api.as_role("billing").post(f"/api/v1/destination-pushes/{push['id']}/push-now")
    assert again.status_code == 200 and again.json["state"] == "queued"
    assert again.json["credit_note_id"] == made.json["id"]
