"""App Center: plugins and load errors, the schema-generated form, test connection, save, sync now, review."""

from __future__ import annotations

import re

import pytest

from hub import integrations
from hub.extensions import db
from hub.models import AuditEvent, SyncLease, SyncRun, VendorCustomer, VendorIntegration
from hub.plugin_host import LoadError
from hub.plugins import VendorAuthError, VendorConfigError
from hub.timeutil import utcnow
from tests.fakes.fake_vendor import FAKE_CONFIG

SECRET = FAKE_CONFIG["api_key"]


def _count(model) -> int:
    return db.session.execute(db.select(db.func.count()).select_from(model)).scalar_one()


def test_lists_plugins_with_version_and_description_and_load_errors(app, client, auth, fake_vendor):
    app.extensions["hub.plugins"].errors.append(LoadError("broken", "hub_broken.plugin", "could not be imported: boom"))
    auth.login("viewer")
    html = client.get("/admin/apps/").data.decode()
    assert "Fake fake" in html and "version 1.0" in html and "A vendor for tests" in html
    assert "Plugins that failed to load" in html and "broken" in html and "could not be imported: boom" in html
    assert "Set up" not in html  # viewers see no change buttons


def test_the_form_is_generated_from_the_schema(client, auth, fake_vendor):
    auth.login("admin")
    html = client.get("/admin/apps/fake/configure").data.decode()
    base_url = re.search(r'<input type="url" id="f-base_url" name="base_url"[^>]*>', html, flags=re.S)
    assert base_url and "required" in base_url.group(0)
    api_key = re.search(r'<input type="password" id="f-api_key" name="api_key"[^>]*>', html, flags=re.S)
    assert api_key and 'value=""' in api_key.group(0) and "required" in api_key.group(0)


def test_save_tests_the_connection_encrypts_the_secret_and_audits(client, auth, fake_vendor):
    auth.login("admin")
    response = client.post("/admin/apps/fake/configure", data={**FAKE_CONFIG, "interval_minutes": "60",
                                                                "enable": "on"})
    assert response.status_code == 302, response.data
    integration = integrations.get_integration("fake")
    assert integration.enabled and integration.interval_minutes == 60 and integration.state == "ready"
    assert integration.settings == {"base_url": "http://fake.example"}
    assert SECRET not in (integration.secrets_token or "")
    assert integrations.stored_config(integration)["api_key"] == SECRET
    assert "test_connection" in fake_vendor.calls
    actions = {e.field for e in db.session.execute(db.select(AuditEvent).filter_by(action="integration.configure")).scalars()}
    assert actions == {"base_url", "api_key"}
    assert "connection OK" in client.get(response.headers["Location"]).data.decode()


def test_secrets_are_never_rendered_back(client, auth, fake_integration):
    auth.login("admin")
    for url in ("/admin/apps/fake/configure", "/admin/apps/fake", "/admin/apps/", "/admin/audit/", "/"):
        assert SECRET not in client.get(url).data.decode(), url
    html = client.get("/admin/apps/fake/configure").data.decode()
    assert "stored — leave blank to keep" in html
    # a failed save re-renders the form: still no secret
    failed = client.post("/admin/apps/fake/configure", data={"base_url": "not a url", "api_key": "new-secret-456"})
    assert failed.status_code == 400
    assert "new-secret-456" not in failed.data.decode() and SECRET not in failed.data.decode()


def test_blank_secret_on_edit_keeps_the_stored_one(client, auth, fake_integration, fake_vendor):
    auth.login("admin")
    response = client.post("/admin/apps/fake/configure", data={"base_url": "http://other.example", "api_key": ""})
    assert response.status_code == 302
    db.session.expire_all()
    config = integrations.stored_config(integrations.get_integration("fake"))
    assert config == {"base_url": "http://other.example", "api_key": SECRET}


def test_form_errors_name_the_field_and_save_nothing(client, auth, fake_vendor):
    auth.login("admin")
    events = _count(AuditEvent)
    response = client.post("/admin/apps/fake/configure", data={"base_url": "not a url", "api_key": "k"})
    assert response.status_code == 400
    html = response.data.decode()
    error = re.search(r'<p class="field-error" id="base_url-error">([^<]+)</p>', html)
    assert error and "URL" in error.group(1)
    assert integrations.get_integration("fake") is None
    assert _count(AuditEvent) == events

    missing = client.post("/admin/apps/fake/configure", data={"base_url": "http://fake.example"})
    assert re.search(r'id="api_key-error">This field is required.<', missing.data.decode())
    interval = client.post("/admin/apps/fake/configure", data={**FAKE_CONFIG, "interval_minutes": "2"})
    assert re.search(r'id="interval_minutes-error">Enter between 5 and 10080 minutes.<', interval.data.decode())
    assert integrations.get_integration("fake") is None


def test_a_plugin_config_error_shows_next_to_its_field(client, auth, fake_vendor):
    fake_vendor.connection_error = VendorConfigError("unknown tenant at this address", field="base_url")
    auth.login("admin")
    response = client.post("/admin/apps/fake/configure", data=FAKE_CONFIG)
    assert response.status_code == 400
    assert re.search(r'id="base_url-error">unknown tenant at this address<', response.data.decode())
    assert integrations.get_integration("fake") is None


def test_test_connection_answers_json_without_saving(client, auth, fake_vendor):
    auth.login("admin")
    ok = client.post("/admin/apps/fake/test", data=FAKE_CONFIG, headers={"Accept": "application/json"})
    assert ok.status_code == 200 and ok.json == {"ok": True, "message": "ok", "account_name": "Fake MSP", "errors": {}}
    assert integrations.get_integration("fake") is None

    bad = client.post("/admin/apps/fake/test", data={"base_url": "nope", "api_key": "k"},
                      headers={"Accept": "application/json"})
    assert bad.status_code == 400 and "base_url" in bad.json["errors"]

    fake_vendor.connection_error = VendorAuthError("401 Unauthorized")
    refused = client.post("/admin/apps/fake/test", data=FAKE_CONFIG, headers={"Accept": "application/json"})
    assert refused.status_code == 400 and "refused the credentials" in refused.json["message"]
    assert _count(VendorIntegration) == 0


def test_test_connection_without_javascript_re_renders_the_form(client, auth, fake_vendor):
    auth.login("admin")
    response = client.post("/admin/apps/fake/test", data=FAKE_CONFIG)
    html = response.data.decode()
    assert response.status_code == 200 and "Connection OK: ok (Fake MSP)" in html
    assert 'value="http://fake.example"' in html and SECRET not in html


def test_sync_now_runs_and_reports(client, auth, fake_integration, fake_vendor):
    fake_vendor.add("c-1", "Contoso", seats=3)
    auth.login("admin")
    response = client.post("/admin/apps/fake/sync", follow_redirects=True)
    assert "Sync finished: 1 customers seen, 1 added" in response.data.decode()
    run = db.session.execute(db.select(SyncRun)).scalar_one()
    assert run.status == "succeeded" and run.triggered_by == "admin@example.com"
    assert "#%d" % run.id in client.get("/admin/apps/fake").data.decode()


def test_sync_now_when_one_is_running_says_so(client, auth, fake_integration):
    db.session.add(SyncLease(integration_id=fake_integration.id, holder="elsewhere", acquired_at=utcnow(),
                             expires_at=utcnow().replace(year=utcnow().year + 1)))
    db.session.commit()
    auth.login("admin")
    response = client.post("/admin/apps/fake/sync", follow_redirects=True)
    assert "already running" in response.data.decode()
    assert _count(SyncRun) == 0


def _ended_run_holding_its_lease(integration_id: int) -> None:
    """The moment between a run saving its outcome and letting its lease go."""
    db.session.add(SyncRun(integration_id=integration_id, trigger="manual", status="succeeded", started_at=utcnow(),
                           finished_at=utcnow()))
    db.session.add(SyncLease(integration_id=integration_id, holder="finishing", acquired_at=utcnow(),
                             expires_at=utcnow().replace(year=utcnow().year + 1)))
    db.session.commit()


def test_sync_now_while_the_last_run_lets_its_lease_go_waits_for_it(app, client, auth, fake_integration,
                                                                    fake_vendor):
    import threading
    import time

    fake_vendor.add("c-1", "Contoso", seats=3)
    _ended_run_holding_its_lease(fake_integration.id)

    def let_go():
        time.sleep(0.3)
        with app.app_context():
            db.session.execute(db.delete(SyncLease))
            db.session.commit()
            db.session.remove()

    releasing = threading.Thread(target=let_go)
    auth.login("admin")
    releasing.start()
    response = client.post("/admin/apps/fake/sync", follow_redirects=True)
    releasing.join()
    assert "Sync finished: 1 customers seen, 1 added" in response.data.decode()
    assert _count(SyncRun) == 2


def test_a_lease_still_held_after_the_wait_is_already_running(client, auth, fake_integration, monkeypatch):
    from hub.web import sync_runner

    monkeypatch.setattr(sync_runner, "FINISHING_WAIT_SECONDS", 0.2)
    _ended_run_holding_its_lease(fake_integration.id)
    auth.login("admin")
    assert "already running" in client.post("/admin/apps/fake/sync", follow_redirects=True).data.decode()
    assert _count(SyncRun) == 1


def test_sync_now_in_the_background(app, client, auth, fake_integration, fake_vendor):
    from hub.web.sync_runner import join_all

    app.config["HUB_SYNC_IN_BACKGROUND"] = True
    fake_vendor.add("c-1", "Contoso")
    auth.login("admin")
    response = client.post("/admin/apps/fake/sync")
    # the page follows a run whose thread may not have started yet
    assert response.headers["Location"].endswith("/admin/apps/fake?started=1")
    join_all(app)
    assert "Sync started for fake" in client.get(response.headers["Location"]).data.decode()
    db.session.expire_all()
    run = db.session.execute(db.select(SyncRun)).scalar_one()
    assert run.status == "succeeded" and run.customers_added == 1 and run.triggered_by == "admin@example.com"
    assert client.get("/api/integrations/fake/status").json["last_run"] == {"id": run.id, "status": "succeeded",
                                                                             "error": None}


def test_sync_now_from_another_page_still_follows_the_run(app, client, auth, fake_integration, fake_vendor):
    """The vendor console's Sync now goes back to the integration page through ``next``: that page must
    follow the run too (it rendered before the thread took the lease, CI saw it never reload)."""
    from hub.web.sync_runner import join_all

    app.config["HUB_SYNC_IN_BACKGROUND"] = True
    auth.login("admin")
    response = client.post("/admin/apps/fake/sync", data={"next": "/admin/apps/fake?tab=runs"})
    join_all(app)
    assert response.headers["Location"].endswith("/admin/apps/fake?tab=runs&started=1")
    # an outside target is still refused, and gets the marker on the default
    response = client.post("/admin/apps/fake/sync", data={"next": "https://evil.example/x"})
    join_all(app)
    assert response.headers["Location"].endswith("/admin/apps/fake?started=1")


def test_enable_disable_and_schedule(client, auth, fake_integration):
    auth.login("admin")
    client.post("/admin/apps/fake/disable")
    db.session.expire_all()
    assert not integrations.get_integration("fake").enabled
    assert integrations.get_integration("fake").state == "disabled"
    client.post("/admin/apps/fake/enable")
    db.session.expire_all()
    assert integrations.get_integration("fake").enabled
    bad = client.post("/admin/apps/fake/schedule", data={"interval_minutes": "soon"}, follow_redirects=True)
    assert "Sync interval (interval_minutes)" in bad.data.decode()
    client.post("/admin/apps/fake/schedule", data={"interval_minutes": "30"})
    db.session.expire_all()
    assert integrations.get_integration("fake").interval_minutes == 30


def test_needs_reauth_shows_the_re_enter_banner(client, auth, fake_integration, fake_vendor):
    from hub.sync import run_sync

    fake_vendor.connection_error = VendorAuthError("401 Unauthorized: key revoked")
    run_sync("fake")
    auth.login("admin")
    html = client.get("/admin/apps/fake").data.decode()
    assert "Needs credentials" in html and "Re-enter credentials" in html and "key revoked" in html
    assert "re-enter them" in client.get("/admin/apps/").data.decode()


@pytest.fixture
def review_run(fake_integration, fake_vendor):
    from hub.sync import run_sync

    for n in range(4):
        fake_vendor.add(f"c-{n}", f"Customer {n}")
    assert run_sync("fake").status == "succeeded"
    for n in range(3):
        fake_vendor.remove(f"c-{n}")
    run = run_sync("fake")
    assert run.status == "needs_review"
    return run


def test_needs_review_run_can_be_dismissed(client, auth, review_run):
    auth.login("admin")
    html = client.get("/admin/apps/fake").data.decode()
    assert "needs review" in html and "Customer 0" in html
    client.post(f"/admin/apps/runs/{review_run.id}/dismiss")
    db.session.expire_all()
    assert db.session.get(SyncRun, review_run.id).status == "dismissed"
    assert _count_detached() == 0
    again = client.post(f"/admin/apps/runs/{review_run.id}/dismiss", follow_redirects=True)
    assert "not waiting for review" in again.data.decode()


def test_needs_review_run_can_be_confirmed(client, auth, review_run):
    auth.login("admin")
    response = client.post(f"/admin/apps/runs/{review_run.id}/confirm", follow_redirects=True)
    assert "Sync finished" in response.data.decode()
    db.session.expire_all()
    assert db.session.get(SyncRun, review_run.id).status == "confirmed"
    assert _count_detached() == 3


def _count_detached() -> int:
    return db.session.execute(db.select(db.func.count()).select_from(VendorCustomer)
                              .where(VendorCustomer.detached_at.is_not(None))).scalar_one()


def test_unknown_plugin_is_404(client, auth, users):
    auth.login("admin")
    assert client.get("/admin/apps/nosuch").status_code == 404
    assert client.get("/admin/apps/nosuch/configure").status_code == 404
    assert client.post("/admin/apps/nosuch/sync").status_code == 404


def test_actor_of_saved_settings_is_the_user(client, auth, fake_vendor):
    auth.login("admin")
    client.post("/admin/apps/fake/configure", data=FAKE_CONFIG)
    actors = {e.actor for e in db.session.execute(db.select(AuditEvent)).scalars()}
    assert actors == {"admin@example.com"}


def test_admin_releases_a_dead_holders_lease_from_the_integration_page(client, auth, fake_integration):
    from tests.sync.test_release import DEAD_HOLDER, crashed_sync

    run_id = crashed_sync(fake_integration)
    auth.login("viewer")
    assert "Release sync lease" not in client.get("/admin/apps/fake").data.decode()
    assert client.post("/admin/apps/fake/release").status_code == 403
    auth.logout()
    auth.login("admin")
    html = client.get("/admin/apps/fake").data.decode()
    assert "Release sync lease" in html and DEAD_HOLDER in html
    response = client.post("/admin/apps/fake/release")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).data.decode()
    assert "Sync lease of fake released; 1 run(s) marked interrupted." in page
    assert "Release sync lease" not in page
    db.session.expire_all()
    assert db.session.get(SyncLease, fake_integration.id) is None
    assert db.session.get(SyncRun, run_id).error_kind == "interrupted"
    event = db.session.execute(db.select(AuditEvent).filter_by(action="sync.release_lease")).scalar_one()
    assert event.user_id is not None
