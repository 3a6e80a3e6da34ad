"""The destinations API: connection state (needs reconnect included), settings, disconnect with revoke,
the mapping tables and the push queue, over the QuickBooks plugin and its simulator (the provider's HTTP
is the only thing faked)."""

from __future__ import annotations

import sqlalchemy as sa

from hub.destinations import tokens
from hub.destinations.push import run_pushes
from hub.extensions import db
from hub.models import AuditEvent, DestinationConnection, DestinationMapping, DestinationPush
from hub.plugins import VendorAuthError
from tests.destinations.conftest import ADMIN, books, qbo, qbo_plugin, qbo_sim  # noqa: F401  (fixtures)

QUIET = {"sleep": lambda s: None}
BASE = "/api/v1/destinations/quickbooks"


def audit(action: str) -> list[AuditEvent]:
    return list(db.session.execute(sa.select(AuditEvent).filter_by(action=action).order_by(AuditEvent.id)).scalars())


def connection() -> DestinationConnection:
    db.session.expire_all()
    return db.session.execute(sa.select(DestinationConnection).filter_by(slug="quickbooks")).scalar_one()


def test_destinations_are_listed_with_their_state_and_where_to_connect(api, qbo):
    answer = api.as_role("viewer").get("/api/v1/destinations")
    assert answer.status_code == 200, answer.json
    [found] = [d for d in answer.json["items"] if d["slug"] == "quickbooks"]
    assert found["state"] == "connected" and found["enabled"] and found["account_id"] == qbo.account_id
    assert found["connect"]["connect_page"].endswith("/admin/destinations/quickbooks")
    assert found["connect"]["callback_url"].endswith("/admin/destinations/quickbooks/callback")
    assert api.get("/api/v1/destinations/nosuch").status_code == 404


def test_a_refused_refresh_shows_as_needs_reconnect(api, qbo, qbo_sim):
    qbo_sim.app.faults.refuse_refresh = True
    try:
        tokens.refresh(qbo.id, connection().token_version)
    except VendorAuthError:
        pass
    found = api.get(BASE).json
    assert found["state"] == "needs_reconnect" and "connect again" in found["state_message"]


def test_settings_are_validated_naming_the_field_and_secrets_never_shown(api, qbo):
    before = dict(connection().settings)
    bad = api.put(f"{BASE}/configuration", json={"settings": {"minor_version": 12, "base_url": "javascript:x"}})
    assert bad.status_code == 422 and bad.content_type == "application/problem+json"
    assert {e["field"] for e in bad.json["errors"]} == {"settings.minor_version", "settings.base_url"}
    assert connection().settings == before
    assert api.as_role("billing").put(f"{BASE}/configuration", json={"settings": {}}).status_code == 403
    good = api.put(f"{BASE}/configuration", json={"settings": {**before, "minor_version": 76}})
    assert good.status_code == 200, good.json
    shown = api.as_role("viewer").get(f"{BASE}/configuration").json
    assert shown["settings"]["minor_version"] == 76 and shown["secrets_set"] == ["client_secret"]
    assert "client_secret" not in shown["settings"]
    assert [e.new_value for e in audit("destination.configure") if e.field == "minor_version"][-1] == "76"


def test_disconnect_revokes_the_tokens_at_the_provider(api, qbo, qbo_sim):
    refresh_token = qbo_sim.app.state.refresh_token
    answer = api.post(f"{BASE}/disconnect")
    assert answer.status_code == 200, answer.json
    assert answer.json["revoked"] is True and answer.json["message"] is None
    assert answer.json["destination"]["state"] == "not_connected" and not answer.json["destination"]["enabled"]
    assert qbo_sim.app.state.revoked == 1 and qbo_sim.app.state.refresh_token is None
    assert refresh_token and connection().tokens_token is None
    assert audit("destination.disconnect")[-1].details["revoked"] is True


def test_a_failed_revoke_still_forgets_the_tokens_and_tells_the_admin(api, qbo, qbo_sim):
    qbo_sim.app.faults.revoke_status = 503
    answer = api.post(f"{BASE}/disconnect")
    assert answer.status_code == 200, answer.json
    assert answer.json["revoked"] is False and "connected apps" in answer.json["message"]
    assert qbo_sim.app.state.revoked == 0 and qbo_sim.app.state.refresh_token  # still alive at the provider
    assert connection().tokens_token is None and connection().state == "not_connected"
    assert "connected apps" in connection().state_message
    assert audit("destination.disconnect")[-1].details["revoked"] is False


def test_mapping_tables_list_suggest_confirm_change_and_clear(api, qbo, books):
    exact, nobody = books.org("Customer 001"), books.org("Nobody Ltd")
    rows = {r["label"]: r for r in api.as_role("viewer").get(f"{BASE}/mappings/customer").json["items"]}
    assert rows["Customer 001"]["status"] == "not_mapped"
    assert api.as_role("viewer").post(f"{BASE}/mappings/customer/auto-match").status_code == 403
    matched = api.as_role("billing").post(f"{BASE}/mappings/customer/auto-match")
    assert matched.status_code == 200 and matched.json["suggested"] == 1
    rows = {r["local_key"]: r for r in matched.json["items"]}
    assert rows[str(exact.id)]["status"] == "suggested" and rows[str(exact.id)]["source"] == "auto"
    assert rows[str(nobody.id)]["status"] == "not_mapped"

    refused = api.post(f"{BASE}/mappings/customer/confirm", json={"local_keys": [str(exact.id), str(nobody.id)]})
    assert refused.status_code == 422 and refused.json["errors"][0]["field"] == "local_key"
    assert api.post(f"{BASE}/mappings/customer/confirm", json={"local_keys": [str(exact.id)]}).json == {"confirmed": 1}

    changed = api.put(f"{BASE}/mappings/customer/{nobody.id}", json={"external_id": "58", "external_name": "Nobody"})
    assert changed.status_code == 200 and changed.json["status"] == "mapped" and changed.json["source"] == "manual"
    blank = api.put(f"{BASE}/mappings/customer/{nobody.id}", json={"external_id": ""})
    assert blank.status_code == 422 and blank.json["errors"][0]["field"] == "external_id"
    assert api.put(f"{BASE}/mappings/customer/99999", json={"external_id": "58"}).status_code == 404
    assert api.get(f"{BASE}/mappings/planet").status_code == 404

    assert api.delete(f"{BASE}/mappings/customer/{nobody.id}").status_code == 204
    assert api.delete(f"{BASE}/mappings/customer/{nobody.id}").status_code == 204  # idempotent
    db.session.expire_all()
    assert db.session.execute(sa.select(DestinationMapping).filter_by(local_key=str(nobody.id))).first() is None
    assert [e.old_value for e in audit("destination.unmap")] == ["58 (Nobody)"]
    assert len(audit("destination.map_confirm")) == 1


def test_tax_codes_are_chosen_not_created(api, qbo):
    answer = api.post(f"{BASE}/mappings/tax_code/exempt/create-at-provider")
    assert answer.status_code == 422 and answer.json["errors"][0]["field"] == "kind"


def test_the_push_queue_shows_why_a_push_waits_and_pushes_after_the_fix(api, qbo, books, qbo_sim):
    org, product = books.org("Contoso"), books.product("EP", "Managed Endpoint")
    invoice_id = books.issue(org, product)
    run_pushes(session_options=QUIET)
    listed = api.as_role("viewer").get("/api/v1/destination-pushes?state=blocked")
    assert listed.status_code == 200
    [push] = listed.json["items"]
    assert push["invoice_id"] == invoice_id and push["error_field"] == "customer" and "Contoso" in push["reason"]
    assert push["destination"] == "quickbooks"

    made = api.post(f"{BASE}/mappings/customer/{org.id}/create-at-provider")
    assert made.status_code == 200 and made.json["status"] == "mapped"
    api.post(f"{BASE}/mappings/item/{product.id}/create-at-provider")
    assert api.as_role("viewer").post(f"/api/v1/destination-pushes/{push['id']}/push-now").status_code == 403
    again = api.as_role("billing").post(f"/api/v1/destination-pushes/{push['id']}/push-now")
    assert again.status_code == 200 and again.json["state"] == "queued"
    assert run_pushes(session_options=QUIET)[0].pushed == [invoice_id]
    done = api.post(f"/api/v1/destination-pushes/{push['id']}/push-now")
    assert done.status_code == 409
    assert api.post("/api/v1/destination-pushes/99999/push-now").status_code == 404


def test_push_all_pending_makes_every_waiting_push_due(api, qbo, books):
    org, product = books.org("Contoso"), books.product("EP")
    ids = [books.issue(org, product) for _ in range(3)]
    run_pushes(session_options=QUIET)
    answer = api.post("/api/v1/destination-pushes/push-all", json={"destination": "quickbooks"})
    assert answer.status_code == 200 and answer.json == {"count": 3}
    db.session.expire_all()
    states = db.session.execute(sa.select(DestinationPush.state).where(DestinationPush.invoice_id.in_(ids))).scalars()
    assert set(states) == {"queued"}
    unknown = api.post("/api/v1/destination-pushes/push-all", json={"destination": "nosuch"})
    assert unknown.status_code == 422 and unknown.json["errors"][0]["field"] == "destination"
