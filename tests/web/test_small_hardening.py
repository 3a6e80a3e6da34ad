"""Issue 9, defect 9 and the health check: the session cookie's name, HSTS behind HTTPS, no Werkzeug in the
Server header, closed reviews offer no buttons, ``base_url`` must be a URL, ``/healthz`` checks the database."""

from __future__ import annotations

import threading

import pytest
import requests
from werkzeug.serving import make_server

from hub import create_app, integrations
from hub.commands.serve import HubRequestHandler
from hub.audit import Actor
from hub.extensions import db
from hub.models import SyncRun, SyncStatus
from hub.plugins import VendorConfigError
from hub.sync import confirm_review, dismiss_review, run_sync, SyncNotPossible
from tests.conftest import make_test_config
from tests.fakes.fake_vendor import FAKE_CONFIG
from tests.web.conftest import PASSWORD


def test_the_session_cookie_is_called_hub_session(client, users):
    response = client.post("/login", data={"email": "viewer@example.com", "password": PASSWORD})
    assert response.headers["Set-Cookie"].startswith("hub_session=")


def _app(tmp_path, database_url, **config):
    return create_app(make_test_config(tmp_path, database_url, **config))


def test_hsts_only_when_cookies_are_secure(tmp_path, database_url, client):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    secure = _app(tmp_path / "secure", database_url, SESSION_COOKIE_SECURE=True)
    with secure.app_context():
        response = secure.test_client().get("/login")
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")
        db.engine.dispose()


@pytest.fixture
def dev_server(app):
    """The app behind Werkzeug's development server as ``hub serve`` runs it, on a free loopback port."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=HubRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


def test_the_development_server_does_not_name_werkzeug(dev_server):
    for path in ("/login", "/healthz", "/no/such/page"):
        response = requests.get(dev_server + path, timeout=10)
        assert response.headers["Server"] == "hub", path


def test_healthz_answers_503_when_the_database_is_gone(tmp_path):
    broken = create_app(make_test_config(tmp_path, "sqlite:////nonexistent-folder/x/hub.sqlite3"))
    with broken.app_context():
        response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "unreachable"}
    assert response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("url", ["https://x.example/<b>hi</b>", 'https://x.example/"onmouseover=x', "ftp://x.example",
                                 "https://x.example/a b", "https://x.example:port/"])
def test_a_base_url_with_markup_or_another_scheme_fails_validation_naming_the_field(app_ctx, fake_vendor, url):
    with pytest.raises(VendorConfigError) as err:
        integrations.test_connection("fake", {**FAKE_CONFIG, "base_url": url})
    assert err.value.field == "base_url" and "base_url" in str(err.value)


def test_the_configure_form_shows_the_url_error_next_to_base_url(client, auth, users, fake_vendor):
    auth.login("admin")
    response = client.post("/admin/apps/fake/configure", data={**FAKE_CONFIG, "base_url": "http://x.example/<b>"})
    assert response.status_code == 400
    assert 'id="base_url-error"' in response.get_data(as_text=True)
    assert integrations.get_integration("fake") is None


def _review(fake_vendor) -> SyncRun:
    """Five customers synced, then a listing without three of them: a run that needs review."""
    for n in range(5):
        fake_vendor.add(f"c-{n}", f"Customer {n}")
    run_sync("fake")
    for n in range(3):
        fake_vendor.remove(f"c-{n}")
    review = run_sync("fake")
    assert review.status == SyncStatus.NEEDS_REVIEW.value
    return review


@pytest.fixture
def superseded_review(fake_integration, fake_vendor):
    """A needs-review run, then a later sync that succeeded (the vendor listed everyone again)."""
    review = _review(fake_vendor)
    for n in range(3):
        fake_vendor.add(f"c-{n}", f"Customer {n}")
    assert run_sync("fake", allow_mass_detach=False).status == SyncStatus.SUCCEEDED.value
    return review


def test_a_review_superseded_by_a_successful_sync_offers_no_confirm_or_dismiss(client, auth, users,
                                                                              superseded_review):
    auth.login("admin")
    run_page = client.get(f"/admin/sync-runs/{superseded_review.id}").get_data(as_text=True)
    assert "Confirm: detach them" not in run_page and "Dismiss: change nothing" not in run_page
    assert "needs no decision" in run_page
    assert "Confirm: detach them" not in client.get("/admin/apps/fake").get_data(as_text=True)
    client.post(f"/admin/apps/runs/{superseded_review.id}/confirm")
    client.post(f"/admin/apps/runs/{superseded_review.id}/dismiss")
    db.session.expire_all()
    assert db.session.get(SyncRun, superseded_review.id).status == SyncStatus.NEEDS_REVIEW.value
    for decide in (confirm_review, dismiss_review):
        with pytest.raises(SyncNotPossible, match="later sync succeeded"):
            decide(superseded_review.id, Actor.cli("admin"))


def test_an_open_review_still_offers_both(client, auth, users, fake_integration, fake_vendor):
    review = _review(fake_vendor)
    auth.login("admin")
    page = client.get(f"/admin/sync-runs/{review.id}").get_data(as_text=True)
    assert "Confirm: detach them" in page and "Dismiss: change nothing" in page
