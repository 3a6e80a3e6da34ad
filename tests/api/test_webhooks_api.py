"""Webhooks over the API: register (secret once, and it signs), list, read, enable/disable and event types with
If-Match, rotate the secret, the delivery log with paging, resend; admins only. A real receiver on loopback."""

from __future__ import annotations

from hub.extensions import db
from hub.models import AuditEvent, WebhookEndpoint
from hub.webhooks.catalog import EVENT_TYPES
from hub.webhooks.outbox import emit
from hub.webhooks.worker import deliver_due
from tests.webhooks.conftest import app_config, receiver  # noqa: F401  (private targets allowed, a receiver)
from tests.webhooks.receiver import Receiver


def _emit(n: int = 1) -> None:
    for i in range(n):
        emit("invoice.voided", {"invoice_id": i + 1})
    db.session.commit()


def test_register_and_the_secret_shown_once_signs_the_deliveries(api, receiver):
    created = api.post("/api/v1/webhooks", json={"url": receiver.url, "events": ["invoice.voided"],
                                                 "description": "books"})
    assert created.status_code == 201, created.json
    secret = created.json["secret"]
    assert secret.startswith("whsec_") and created.json["events"] == ["invoice.voided"]
    assert created.json["state"] == "active" and created.json["enabled"] is True
    url = created.headers["Location"]
    read = api.get(url)
    assert read.status_code == 200 and "secret" not in read.json and read.headers["ETag"]
    assert all("secret" not in e for e in api.get("/api/v1/webhooks").json["items"])
    stored = db.session.get(WebhookEndpoint, created.json["id"])
    assert secret not in stored.secret_token  # kept sealed, never in clear
    receiver.secret = secret
    _emit()
    deliver_due()
    [got] = receiver.requests
    assert got.verified and got.type == "invoice.voided"
    audit = db.session.execute(db.select(AuditEvent).filter_by(action="webhook.add")).scalar_one()
    assert audit.actor_type == "api" and secret not in str(audit.details)


def test_bad_input_names_the_field_and_registers_nothing(api):
    bad_url = api.post("/api/v1/webhooks", json={"url": "ftp://example.com/x", "events": ["*"]})
    assert bad_url.status_code == 422 and bad_url.json["errors"][0]["field"] == "url"
    before = db.session.execute(db.select(db.func.count(WebhookEndpoint.id))).scalar_one()
    unknown = api.post("/api/v1/webhooks", json={"url": "https://93.184.216.34/hook", "events": ["nope.never"]})
    assert unknown.status_code == 422 and unknown.json["errors"][0]["field"].startswith("events")
    empty = api.post("/api/v1/webhooks", json={"url": "https://93.184.216.34/hook", "events": []})
    assert empty.status_code == 422 and empty.json["errors"][0]["field"] == "events"
    assert db.session.execute(db.select(db.func.count(WebhookEndpoint.id))).scalar_one() == before


def test_disable_enable_and_event_types_with_if_match(api, receiver):
    created = api.post("/api/v1/webhooks", json={"url": receiver.url, "events": ["*"]}).json
    url = f"/api/v1/webhooks/{created['id']}"
    tag = api.get(url).headers["ETag"]
    off = api.patch(url, json={"enabled": False}, headers={"If-Match": tag})
    assert off.status_code == 200 and off.json["state"] == "disabled" and off.json["enabled"] is False
    stale = api.patch(url, json={"enabled": True}, headers={"If-Match": tag})
    assert stale.status_code == 412
    assert db.session.get(WebhookEndpoint, created["id"]).enabled is False  # the stale write changed nothing
    _emit()
    deliver_due()
    assert receiver.requests == []  # disabled: nothing is sent
    types = api.patch(url, json={"events": ["sync.failed", "invoice.issued"], "enabled": True},
                      headers={"If-Match": off.headers["ETag"]})
    assert types.status_code == 200 and types.json["events"] == ["sync.failed", "invoice.issued"]
    assert types.json["state"] == "active"
    actions = set(db.session.execute(db.select(AuditEvent.action).filter_by(
        entity_type="webhook_endpoint", entity_id=str(created["id"]))).scalars())
    assert {"webhook.disable", "webhook.enable", "webhook.events"} <= actions
    assert api.patch(url, json={"events": ["bogus"]}).status_code == 422
    assert api.patch("/api/v1/webhooks/999999", json={"enabled": True}).status_code == 404


def test_rotate_gives_a_new_secret_once_and_the_old_one_still_signs_for_a_while(api, receiver):
    created = api.post("/api/v1/webhooks", json={"url": receiver.url, "events": ["*"]}).json
    rotated = api.post(f"/api/v1/webhooks/{created['id']}/rotate-secret")
    assert rotated.status_code == 200
    new = rotated.json["secret"]
    assert new != created["secret"] and rotated.json["previous_secret_until"]
    receiver.secret = new
    _emit()
    deliver_due()
    [got] = receiver.requests
    assert got.verified  # signed with the new secret (and the old one, during the grace time)
    signatures = got.headers["webhook-signature"].split()
    assert len(signatures) == 2
    assert "secret" not in api.get(f"/api/v1/webhooks/{created['id']}").json


def test_delivery_log_pages_newest_first_with_attempts_and_resend(api, app):
    with Receiver(fail_first=1) as receiver:
        created = api.post("/api/v1/webhooks", json={"url": receiver.url, "events": ["invoice.voided"]}).json
        receiver.secret = created["secret"]
        _emit(3)
        deliver_due()
        url = f"/api/v1/webhooks/{created['id']}/deliveries"
        first = api.get(f"{url}?limit=2")
        assert first.status_code == 200 and len(first.json["items"]) == 2 and first.json["next"]
        rest = api.get(first.json["next"])
        ids = [d["id"] for d in first.json["items"] + rest.json["items"]]
        assert len(ids) == 3 and ids == sorted(ids, reverse=True) and rest.json["next"] is None
        by_id = {d["id"]: d for d in first.json["items"] + rest.json["items"]}
        oldest = by_id[min(ids)]
        # the first attempt of the first delivery got the receiver's 500, its retry a 200
        assert [(a["attempt"], a["response_code"]) for a in oldest["attempt_log"]] == [(1, 500), (2, 200)]
        assert oldest["status"] == "succeeded" and oldest["attempts"] == 2
        assert all(isinstance(a["duration_ms"], int) for a in oldest["attempt_log"])
        assert api.get(f"{url}?status=failed").json["items"] == []
        assert api.get(f"{url}?status=nope").status_code == 422
        again = api.post(f"/api/v1/webhooks/deliveries/{oldest['id']}/resend")
        assert again.status_code == 201 and again.json["resend_of"] == oldest["id"]
        assert again.json["webhook_id"] == oldest["webhook_id"] and again.json["status"] == "pending"
        deliver_due()
        assert receiver.ids().count(oldest["webhook_id"]) == 3  # 500, 200, and the resend
        api.patch(f"/api/v1/webhooks/{created['id']}", json={"enabled": False})
        refused = api.post(f"/api/v1/webhooks/deliveries/{oldest['id']}/resend")
        assert refused.status_code == 409 and "disabled" in refused.json["detail"]
    assert api.post("/api/v1/webhooks/deliveries/999999/resend").status_code == 404
    assert api.get("/api/v1/webhooks/999999/deliveries").status_code == 404


def test_event_types_and_admins_only(api):
    listed = api.get("/api/v1/webhooks/event-types")
    assert [t["type"] for t in listed.json["items"]] == list(EVENT_TYPES)
    for role in ("billing", "viewer"):
        assert api.as_role(role).get("/api/v1/webhooks").status_code == 403
        assert api.as_role(role).post("/api/v1/webhooks", json={"url": "https://93.184.216.34/", "events": ["*"]}
                                      ).status_code == 403
    assert db.session.execute(db.select(db.func.count(WebhookEndpoint.id))).scalar_one() == 0
