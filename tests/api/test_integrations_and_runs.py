"""Integrations (schema, configure with validation and test, secrets write-only, enable/disable, sync) and
sync runs (list, read, review confirm/dismiss), through the API with the fake vendor."""

from __future__ import annotations

from hub.extensions import db
from hub.models import SyncRun, VendorIntegration
from hub.plugins import ConnectionCheck
from tests.fakes.fake_vendor import FAKE_CONFIG


def test_schema_configure_test_and_secrets_write_only(api, fake_vendor):
    listed = api.get("/api/v1/integrations").json["items"]
    assert [(i["slug"], i["state"], i["configured"]) for i in listed] == [("fake", "not_configured", False)]
    fields = {f["name"]: f for f in api.get("/api/v1/integrations/fake/schema").json["fields"]}
    assert fields["api_key"]["secret"] and fields["base_url"]["required"]

    bad = api.put("/api/v1/integrations/fake/configuration", json={"settings": {"base_url": "nope"}})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json["errors"]} == {"settings.base_url", "settings.api_key"}
    assert db.session.execute(db.select(VendorIntegration)).first() is None

    fake_vendor.connection_check = ConnectionCheck(ok=False, message="key refused")
    refused = api.put("/api/v1/integrations/fake/configuration", json={"settings": FAKE_CONFIG})
    assert refused.status_code == 422 and "key refused" in refused.json["detail"]
    assert db.session.execute(db.select(VendorIntegration)).first() is None  # tested before saving
    tried = api.post("/api/v1/integrations/fake/test", json={"settings": FAKE_CONFIG})
    assert tried.json == {"ok": False, "message": "key refused"}

    fake_vendor.connection_check = ConnectionCheck(ok=True, message="ok")
    saved = api.put("/api/v1/integrations/fake/configuration",
                    json={"settings": FAKE_CONFIG, "enable": True, "interval_minutes": 60})
    assert saved.status_code == 200, saved.json
    assert saved.json["enabled"] and saved.json["state"] == "ready" and saved.json["interval_minutes"] == 60
    config = api.get("/api/v1/integrations/fake/configuration")
    assert config.json == {"settings": {"base_url": FAKE_CONFIG["base_url"]}, "secrets_set": ["api_key"]}
    assert FAKE_CONFIG["api_key"] not in config.get_data(as_text=True)
    assert api.as_role("billing").get("/api/v1/integrations/fake/configuration").status_code == 403
    # a secret left out keeps its stored value
    again = api.put("/api/v1/integrations/fake/configuration",
                    json={"settings": {"base_url": "http://other.example"}})
    assert again.status_code == 200
    assert api.get("/api/v1/integrations/fake/configuration").json["secrets_set"] == ["api_key"]

    assert api.post("/api/v1/integrations/fake/disable").json["state"] == "disabled"
    assert api.post("/api/v1/integrations/fake/enable").json["enabled"] is True
    assert api.get("/api/v1/integrations/nope").status_code == 404


def test_start_a_sync_and_follow_its_run(api, fake_integration, fake_vendor):
    fake_vendor.add("c-1", "Contoso Ltd", seats=3)
    started = api.post("/api/v1/integrations/fake/syncs")
    assert started.status_code == 200  # tests run syncs inside the request
    run_url = started.headers["Location"]
    run = api.get(run_url).json
    assert run["status"] == "succeeded" and run["customers_added"] == 1 and run["vendor"] == "fake"
    assert run["triggered_by"].startswith("API token")
    state = api.get("/api/v1/integrations/fake").json
    assert state["last_run"]["id"] == run["id"] and state["last_sync_at"]
    assert api.as_role("billing").post("/api/v1/integrations/fake/syncs").status_code == 403
    listed = api.get("/api/v1/sync-runs?vendor=fake&status=succeeded").json["items"]
    assert [r["id"] for r in listed] == [run["id"]]
    assert api.get("/api/v1/sync-runs/9999").status_code == 404


def test_review_confirm_and_dismiss(api, fake_integration, fake_vendor):
    for n in range(5):
        fake_vendor.add(f"c-{n}", f"Customer {n}")
    api.post("/api/v1/integrations/fake/syncs")
    for n in range(3):
        fake_vendor.remove(f"c-{n}")
    held = api.post("/api/v1/integrations/fake/syncs").json["run"]
    assert held["status"] == "needs_review" and held["review"]
    dismissed = api.post(f"/api/v1/sync-runs/{held['id']}/dismiss")
    assert dismissed.status_code == 200 and dismissed.json["status"] == "dismissed"
    assert api.post(f"/api/v1/sync-runs/{held['id']}/dismiss").status_code == 409
    second = api.post("/api/v1/integrations/fake/syncs").json["run"]
    confirmed = api.post(f"/api/v1/sync-runs/{second['id']}/confirm")
    assert confirmed.status_code == 200, confirmed.json
    assert confirmed.json["run"]["customers_detached"] == 3
    assert db.session.get(SyncRun, second["id"]).status == "confirmed"
