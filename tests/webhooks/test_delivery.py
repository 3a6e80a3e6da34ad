"""Delivery to a real receiver: signed per Standard Webhooks, retried with the same id, logged, resendable."""

from __future__ import annotations

from datetime import timedelta

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from hub.extensions import db
from hub.models import WebhookAttempt, WebhookEndpoint
from hub.timeutil import utcnow
from hub.webhooks import deliveries as delivery_log
from hub.webhooks import endpoints
from hub.webhooks.outbox import emit
from hub.webhooks.signing import new_secret
from hub.webhooks.worker import FAILING_AFTER, deliver_due
from tests.webhooks.conftest import ADMIN, deliveries
from tests.webhooks.receiver import Receiver


def _emit_one(data=None) -> None:
    emit("invoice.voided", data or {"invoice_id": 7, "number": 12})
    db.session.commit()


def test_the_receiver_verifies_each_delivery_with_the_library(endpoint, receiver):
    _emit_one({"invoice_id": 7, "total": "10.50"})
    report = deliver_due()
    assert (report.attempted, report.succeeded) == (1, 1)
    [got] = receiver.requests
    assert got.verified and got.answered == 200
    assert got.type == "invoice.voided" and got.data == {"invoice_id": 7, "total": "10.50"}
    assert got.msg_id.startswith("msg_") and got.headers["content-type"] == "application/json"
    [delivery] = deliveries()
    assert (delivery.status, delivery.attempts, delivery.last_response_code) == ("succeeded", 1, 200)
    assert got.msg_id == delivery.event.msg_id


def test_a_wrong_secret_does_not_verify(app, endpoint, receiver):
    app.extensions["hub.webhooks.schedule"] = (3600,)
    receiver.secret = new_secret()  # not the endpoint's
    _emit_one()
    deliver_due()
    [got] = receiver.requests
    assert not got.verified and got.answered == 401
    assert deliveries()[0].status == "pending"  # a 401 is a failure: retried


def test_fails_three_times_then_gets_the_event_exactly_once_more_with_the_same_id(app_ctx):
    with Receiver(fail_first=3) as receiver:
        registered = endpoints.add_endpoint(receiver.url, ["invoice.voided"], ADMIN)
        receiver.secret = registered.secret
        _emit_one()
        deliver_due()  # zero waits in the test schedule: every retry happens in this one call
        deliver_due()  # and nothing is left for a second call
        assert [r.answered for r in receiver.requests] == [500, 500, 500, 200]
        assert len(set(receiver.ids())) == 1 and all(r.verified for r in receiver.requests)
    [delivery] = deliveries()
    assert (delivery.status, delivery.attempts) == ("succeeded", 4)
    log = delivery_log.attempts_of([delivery.id])[delivery.id]
    assert [(a.attempt, a.succeeded, a.response_code) for a in log] == [
        (1, False, 500), (2, False, 500), (3, False, 500), (4, True, 200)]
    assert all(a.duration_ms >= 0 for a in log)
    assert len(log[0].response_excerpt) <= 300 and log[0].response_excerpt.startswith("nope")
    endpoint = db.session.get(WebhookEndpoint, registered.endpoint.id)
    assert (endpoint.state, endpoint.consecutive_failures) == ("active", 0)  # recovered


def test_retries_wait_for_the_schedule(app, app_ctx, receiver):
    app.extensions["hub.webhooks.schedule"] = (60, 600)
    receiver.status = 503
    receiver.secret = endpoints.add_endpoint(receiver.url, "*", ADMIN).secret
    _emit_one()
    deliver_due()
    [delivery] = deliveries()
    assert (delivery.status, delivery.attempts, receiver.count) == ("pending", 1, 1)
    wait = (delivery.next_attempt_at - delivery.last_attempt_at).total_seconds()
    assert 54 <= wait <= 66  # 60 s with up to 10% jitter
    deliver_due()
    assert receiver.count == 1  # not due yet


def test_an_endpoint_that_keeps_failing_is_marked_failing_then_disabled(app, app_ctx, receiver):
    receiver.status = 500
    registered = endpoints.add_endpoint(receiver.url, "*", ADMIN)
    receiver.secret = registered.secret
    app.extensions["hub.webhooks.schedule"] = (0,) * (FAILING_AFTER - 1) + (3600,)
    _emit_one()
    deliver_due()
    endpoint = db.session.get(WebhookEndpoint, registered.endpoint.id)
    assert (endpoint.state, endpoint.enabled) == ("failing", True)
    assert "500" in endpoint.state_reason
    # the last retry comes due: it fails too, the schedule is used up, the endpoint is switched off
    for d in deliveries():
        d.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    report = deliver_due()
    db.session.expire_all()
    endpoint = db.session.get(WebhookEndpoint, registered.endpoint.id)
    assert report.disabled_endpoints == [endpoint.id]
    assert (endpoint.state, endpoint.enabled) == ("disabled", False)
    assert "over its whole retry schedule" in endpoint.state_reason and "HTTP 500" in endpoint.state_reason
    assert deliveries()[0].status == "failed"
    # nothing new is queued for a disabled endpoint, and nothing is attempted
    _emit_one()
    assert len(deliveries()) == 1 and deliver_due().attempted == 0


def test_enabling_again_resumes_and_resend_sends_the_same_id(endpoint, receiver):
    _emit_one()
    deliver_due()
    [first] = deliveries()
    again = delivery_log.resend(first.id, ADMIN)
    assert again.resend_of == first.id and again.status == "pending"
    deliver_due()
    assert receiver.count == 2 and len(set(receiver.ids())) == 1
    endpoints.set_enabled(endpoint.id, False, ADMIN)
    with pytest.raises(endpoints.WebhookError) as err:
        delivery_log.resend(first.id, ADMIN)
    assert err.value.field == "delivery_id"


def test_a_rotated_secret_signs_alongside_the_old_one_for_a_while(endpoint, receiver):
    old = receiver.secret
    rotated = endpoints.rotate_secret(endpoint.id, ADMIN)
    assert rotated.secret != old and rotated.secret.startswith("whsec_")
    _emit_one()
    deliver_due()
    [got] = receiver.requests
    assert got.verified  # still verified with the old secret
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    stored = db.session.get(WebhookEndpoint, endpoint.id)
    assert rotated.secret not in (stored.secret_token or "") and old not in (stored.secret_token or "")
    stored.previous_secret_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    receiver.secret = rotated.secret
    _emit_one()
    deliver_due()
    assert receiver.requests[-1].verified
    assert len(receiver.requests[-1].headers["webhook-signature"].split(" ")) == 1
    with pytest.raises(WebhookVerificationError):
        r = receiver.requests[-1]
        Webhook(old).verify(b"{}", r.headers)


def test_a_refused_connection_is_recorded_not_raised(app_ctx):
    with Receiver() as receiver:
        endpoints.add_endpoint(receiver.url, "*", ADMIN)
    _emit_one()  # the receiver is gone: connection refused
    report = deliver_due(max_seconds=0.01)
    assert report.failed >= 1
    attempt = db.session.execute(db.select(WebhookAttempt)).scalars().first()
    assert attempt.response_code is None and attempt.error.startswith("could not connect")
