"""The Webhooks page: admins register endpoints (secret shown once), read the delivery log, resend, rotate."""

from __future__ import annotations

import re

import pytest

from hub.extensions import db
from hub.models import WebhookDelivery, WebhookEndpoint
from hub.webhooks import endpoints
from hub.webhooks.outbox import emit
from hub.webhooks.worker import deliver_due
from tests.conftest import make_test_config
from tests.webhooks.receiver import Receiver


@pytest.fixture
def app_config(tmp_path, database_url):
    return make_test_config(tmp_path, database_url, HUB_WEBHOOKS_ALLOW_PRIVATE=True,
                            HUB_WEBHOOK_RETRY_SCHEDULE="3600")


@pytest.fixture
def receiver():
    with Receiver(fail_first=1) as running:
        yield running


def _secret_on(html: str) -> str:
    match = re.search(r'<code id="signing-secret">(whsec_[A-Za-z0-9+/=]+)</code>', html)
    assert match, "no secret on the page"
    return match.group(1)


def test_register_shows_the_secret_once(client, auth, receiver):
    auth.login("admin")
    page = client.post("/admin/webhooks/new", data={"url": receiver.url, "description": "PSA <flow>",
                                                    "events": ["sync.failed", "invoice.issued"]})
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    secret = _secret_on(page.get_data(as_text=True))
    endpoint = db.session.execute(db.select(WebhookEndpoint)).scalar_one()
    assert endpoint.event_types == ["sync.failed", "invoice.issued"]
    assert endpoints.signing_secrets(endpoint, endpoint.created_at) == [secret]  # stored, encrypted
    for url in ("/admin/webhooks/", f"/admin/webhooks/{endpoint.id}"):
        html = client.get(url).get_data(as_text=True)
        assert secret not in html and receiver.url in html and "PSA &lt;flow&gt;" in html


def test_bad_input_is_shown_next_to_its_field_and_saves_nothing(client, auth):
    auth.login("admin")
    page = client.post("/admin/webhooks/new", data={"url": "ftp://x.example/", "events": ["sync.failed"]})
    assert page.status_code == 400 and "must start with https://" in page.get_data(as_text=True)
    page = client.post("/admin/webhooks/new", data={"url": "http://127.0.0.1:9/"})
    assert page.status_code == 400 and "choose at least one event type" in page.get_data(as_text=True)
    assert db.session.execute(db.select(WebhookEndpoint)).first() is None


def test_private_targets_are_refused_by_default(app, client, auth):
    app.config["HUB_WEBHOOKS_ALLOW_PRIVATE"] = False  # the default (this module turns it on)
    auth.login("admin")
    page = client.post("/admin/webhooks/new", data={"url": "https://127.0.0.1/in", "events": ["*"]})
    assert page.status_code == 400 and "loopback" in page.get_data(as_text=True)
    assert db.session.execute(db.select(WebhookEndpoint)).first() is None


@pytest.mark.parametrize("role", ["billing", "viewer"])
def test_only_admins_see_or_change_webhooks(client, auth, role):
    auth.login(role)
    assert client.get("/admin/webhooks/").status_code == 403
    assert client.post("/admin/webhooks/new", data={"url": "https://example.com/", "events": ["*"]}).status_code == 403
    assert "/admin/webhooks/" not in client.get("/").get_data(as_text=True)  # no link they cannot use
    assert db.session.execute(db.select(WebhookEndpoint)).first() is None


def test_the_delivery_log_resend_disable_and_rotate(client, auth, receiver, users):
    auth.login("admin")
    assert "/admin/webhooks/" in client.get("/").get_data(as_text=True)
    page = client.post("/admin/webhooks/new", data={"url": receiver.url, "events": ["*"]})
    receiver.secret = _secret_on(page.get_data(as_text=True))
    endpoint_id = db.session.execute(db.select(WebhookEndpoint.id)).scalar_one()
    emit("invoice.voided", {"invoice_id": 1})
    db.session.commit()
    deliver_due()  # the receiver fails the first attempt; the next is an hour away
    html = client.get(f"/admin/webhooks/{endpoint_id}").get_data(as_text=True)
    assert "HTTP 500" in html and "pending" in html and " ms" in html
    delivery = db.session.execute(db.select(WebhookDelivery)).scalar_one()
    assert f"/admin/webhooks/deliveries/{delivery.id}/resend" not in html  # still being retried
    delivery.next_attempt_at = delivery.created_at
    db.session.commit()
    deliver_due()
    html = client.get(f"/admin/webhooks/{endpoint_id}").get_data(as_text=True)
    assert "succeeded" in html and "2 attempts" in html and '{"ok":true}' in html.replace("&#34;", '"')
    answer = client.post(f"/admin/webhooks/deliveries/{delivery.id}/resend", follow_redirects=True)
    assert "queued again" in answer.get_data(as_text=True)
    deliver_due()
    assert receiver.ids().count(receiver.ids()[0]) == 3 and receiver.requests[-1].verified

    client.post(f"/admin/webhooks/{endpoint_id}/disable")
    html = client.get("/admin/webhooks/").get_data(as_text=True)
    assert "disabled by admin@example.com" in html
    client.post(f"/admin/webhooks/{endpoint_id}/enable")
    rotated = _secret_on(client.post(f"/admin/webhooks/{endpoint_id}/rotate").get_data(as_text=True))
    assert rotated != receiver.secret
    client.post(f"/admin/webhooks/{endpoint_id}/events", data={"events": ["invoice.issued"]})
    assert db.session.get(WebhookEndpoint, endpoint_id).event_types == ["invoice.issued"]
