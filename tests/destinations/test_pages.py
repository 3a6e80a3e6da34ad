"""The destination pages: Connect through the panel (the provider's redirect and the callback), the
account choice, the mapping step (auto-match, confirm), the invoice's delivery state with its external
link, the invoices filter, the queue with "push now" and "push all pending"."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import requests
import sqlalchemy as sa

from hub.destinations import connections, mappings
from hub.destinations.push import run_pushes
from hub.extensions import db
from hub.models import DestinationMapping, DestinationPush
from tests.destinations.conftest import ADMIN, sim_config, xero_config
from tests.web.conftest import Auth, add_user

QUIET = {"sleep": lambda s: None}


def login(client, role="admin"):
    add_user(f"{role}@example.com", role)
    Auth(client).login(role)


def connect_through_the_panel(client, slug: str) -> str:
    """Press Connect, let the provider (simulator) answer, follow it back to the hub's callback."""
    pressed = client.post(f"/admin/destinations/{slug}/connect")
    assert pressed.status_code == 303
    provider = requests.get(pressed.headers["Location"], allow_redirects=False, timeout=10)
    back = urlsplit(provider.headers["Location"])
    assert back.path == f"/admin/destinations/{slug}/callback"
    answer = client.get(f"{back.path}?{back.query}", follow_redirects=True)
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def test_connect_from_the_app_center_and_pick_a_realm(client, app_ctx, qbo_plugin, qbo_sim):
    login(client)
    page = client.get("/admin/apps/").get_data(as_text=True)
    assert 'data-destination="quickbooks"' in page and "Not connected" in page
    saved = client.post("/admin/destinations/quickbooks", data={**sim_config(qbo_sim), "client_secret": ""})
    assert saved.status_code == 400  # the secret is required the first time: nothing saved
    assert connections.get_connection("quickbooks") is None
    client.post("/admin/destinations/quickbooks", data=sim_config(qbo_sim))
    html = connect_through_the_panel(client, "quickbooks")
    assert "Connected to Sandbox Company_US_1" in html and "sim-qbo-client-secret" not in html
    assert client.post("/admin/destinations/quickbooks/enable").status_code == 302
    db.session.expire_all()
    assert connections.get_connection("quickbooks").enabled


def test_xero_asks_which_organisation(client, app_ctx, xero_plugin, xero_sim):
    login(client)
    client.post("/admin/destinations/xero", data=xero_config(xero_sim))
    html = connect_through_the_panel(client, "xero")
    assert "Pick the account invoices go to" in html and "Demo Company (AU)" in html and "Practice" not in html
    client.post("/admin/destinations/xero/account", data={"account_id": "3f7a1c2e-0000-4000-8000-000000000002"})
    db.session.expire_all()
    assert connections.get_connection("xero").account_name == "Demo Company (AU)"


def test_a_forged_callback_is_refused(client, app_ctx, qbo_plugin, qbo_sim):
    login(client)
    client.post("/admin/destinations/quickbooks", data=sim_config(qbo_sim))
    client.post("/admin/destinations/quickbooks/connect")
    html = client.get("/admin/destinations/quickbooks/callback?code=x&state=forged&realmId=1",
                      follow_redirects=True).get_data(as_text=True)
    assert "was not connected" in html and connections.get_connection("quickbooks").tokens_token is None


def test_mapping_step_auto_match_then_confirm(client, qbo, books):
    login(client, "billing")
    org = books.org("Customer 001")
    client.post("/admin/destinations/quickbooks/mappings/customer/auto-match")
    page = client.get("/admin/destinations/quickbooks/mappings/customer").get_data(as_text=True)
    assert "Suggested matches" in page and re.search(rf'data-key="{org.id}" data-status="suggested"', page)
    client.post("/admin/destinations/quickbooks/mappings/customer/confirm", data={"local_key": str(org.id)})
    assert db.session.execute(sa.select(DestinationMapping)).scalar_one().confirmed


def test_viewer_cannot_map_or_push(client, qbo, books):
    login(client, "viewer")
    org = books.org("Customer 001")
    assert client.post("/admin/destinations/quickbooks/mappings/customer/auto-match").status_code == 403
    assert client.post("/admin/destinations/push-all").status_code == 403
    assert client.get(f"/admin/destinations/quickbooks/mappings/customer").status_code == 200
    assert db.session.execute(sa.select(DestinationMapping)).first() is None and org


def test_invoice_page_shows_the_delivery_state_and_the_external_link(client, qbo, books, qbo_sim):
    login(client, "billing")
    org, product = books.org("Customer 001"), books.product("EP", "Managed Endpoint")
    blocked = books.issue(org, product)
    run_pushes(session_options=QUIET)
    page = client.get(f"/billing/invoices/{blocked}").get_data(as_text=True)
    assert 'data-push-state="blocked"' in page and "is not mapped" in page and "Push now" in page
    listed = client.get("/billing/invoices?push_state=blocked").get_data(as_text=True)
    assert f"/billing/invoices/{blocked}" in listed
    assert f"/billing/invoices/{blocked}\"" not in client.get("/billing/invoices?push_state=pushed").get_data(as_text=True)
    mappings.auto_match("quickbooks", "customer", ADMIN)
    mappings.confirm("quickbooks", "customer", [str(org.id)], ADMIN)
    mappings.create_at_provider("quickbooks", "item", str(product.id), ADMIN)
    push = db.session.execute(sa.select(DestinationPush)).scalar_one()
    client.post(f"/admin/destinations/pushes/{push.id}/push-now")
    run_pushes(session_options=QUIET)
    db.session.expire_all()
    page = client.get(f"/billing/invoices/{blocked}").get_data(as_text=True)
    assert "Pushed to QuickBooks Online as" in page
    assert re.search(r'href="https://app\.qbo\.intuit\.com/app/invoice\?txnId=\d+"', page)
    assert client.get("/admin/destinations/queue?state=pushed").status_code == 200


def test_push_all_pending_from_the_queue(client, qbo, books):
    login(client, "billing")
    org, product = books.org("Customer 001"), books.product("EP", "Managed Endpoint")
    ids = [books.issue(org, product) for _ in range(2)]
    run_pushes(session_options=QUIET)
    mappings.auto_match("quickbooks", "customer", ADMIN)
    mappings.confirm("quickbooks", "customer", [str(org.id)], ADMIN)
    mappings.create_at_provider("quickbooks", "item", str(product.id), ADMIN)
    html = client.get("/admin/destinations/queue").get_data(as_text=True)
    assert html.count('data-state="blocked"') == 2
    client.post("/admin/destinations/push-all")
    assert sorted(run_pushes(session_options=QUIET)[0].pushed) == sorted(ids)


def test_api_lists_the_queue_and_pushes_now(client, qbo, books):
    login(client, "billing")
    invoice_id = books.issue(books.org("Customer 001"), books.product("EP", "Managed Endpoint"))
    run_pushes(session_options=QUIET)
    body = client.get(f"/api/pushes?invoice_id={invoice_id}").get_json()
    [push] = body["pushes"]
    assert push["state"] == "blocked" and push["error_field"] == "customer" and push["destination"] == "quickbooks"
    assert client.get("/api/pushes?state=nonsense").get_json()["field"] == "state"
    assert [p["id"] for p in client.get("/api/pushes?state=blocked").get_json()["pushes"]] == [push["id"]]
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', client.get("/").get_data(as_text=True))
    headers = {"X-CSRFToken": token.group(1)} if token else {}
    answer = client.post(f"/api/pushes/{push['id']}/push-now", headers=headers)
    assert answer.status_code == 200 and answer.get_json()["push"]["state"] == "queued"
    assert client.post(f"/api/pushes/{push['id']}/push-now", headers=headers).status_code == 200
    assert client.post("/api/pushes/999/push-now", headers=headers).status_code == 404


def test_tax_code_step_lists_the_hubs_rates_and_confirms_a_match(client, qbo, books):
    from hub.billing import tax

    login(client, "billing")
    rate = tax.create_tax_rate("GST", "15", ADMIN)
    client.post("/admin/destinations/quickbooks/mappings/tax_code/auto-match")
    page = client.get("/admin/destinations/quickbooks/mappings/tax_code").get_data(as_text=True)
    assert "GST (15%)" in page and "Lines with no tax" in page
    assert re.search(rf'data-key="{rate.id}" data-status="suggested"', page)
    client.post("/admin/destinations/quickbooks/mappings/tax_code/confirm", data={"local_key": str(rate.id)})
    found = db.session.execute(sa.select(DestinationMapping).filter_by(kind="tax_code")).scalar_one()
    assert found.confirmed and found.external_id == "5"


def test_disconnect_revokes_and_a_failed_revoke_is_shown_to_the_admin(client, qbo, qbo_sim):
    login(client)
    qbo_sim.app.faults.revoke_status = 503
    page = client.post("/admin/destinations/quickbooks/disconnect", follow_redirects=True).get_data(as_text=True)
    assert "Disconnected; queued pushes are kept. But:" in page and 'id="revoke-warning"' in page
    assert "connected apps" in page and qbo_sim.app.state.revoked == 0
    assert connections.get_connection("quickbooks").tokens_token is None  # forgotten here all the same
    qbo_sim.app.faults.revoke_status = None
    connect_through_the_panel(client, "quickbooks")
    page = client.post("/admin/destinations/quickbooks/disconnect", follow_redirects=True).get_data(as_text=True)
    assert "tokens revoked at the provider" in page and 'id="revoke-warning"' not in page
    assert qbo_sim.app.state.revoked == 1


def test_a_destination_that_needs_reconnecting_is_on_the_dashboard(client, qbo, books, qbo_sim):
    """A refused refresh stops the pushes (they stay queued): the dashboard must not say all is clear."""
    from hub.destinations import tokens
    from hub.plugins import VendorAuthError

    login(client)
    assert 'id="all-clear"' in client.get("/").get_data(as_text=True)
    books.issue(books.org("Contoso"), books.product("EP"))
    qbo_sim.app.faults.refuse_refresh = True
    try:
        tokens.refresh(qbo.id, connections.get_connection("quickbooks").token_version)
    except VendorAuthError:
        pass
    assert connections.get_connection("quickbooks").state == "needs_reconnect"
    page = client.get("/").get_data(as_text=True)
    assert 'id="all-clear"' not in page
    item = page[page.index('id="attention-destination-quickbooks"'):].split("</li>")[0]
    assert "QuickBooks Online needs to be connected again" in item and "1 invoice or credit note waiting" in item
    assert 'href="/admin/destinations/quickbooks"' in item
