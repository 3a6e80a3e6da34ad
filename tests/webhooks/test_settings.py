"""The retry schedule setting and its jitter, and a secret the hub's keys cannot open."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from hub import create_app
from hub.config import ConfigError
from hub.extensions import db
from hub.models import WebhookAttempt, WebhookEndpoint
from hub.webhooks import endpoints
from hub.webhooks.outbox import emit
from hub.webhooks.retry import DEFAULT_SCHEDULE, next_wait, parse_schedule
from hub.webhooks.worker import deliver_due
from tests.conftest import make_test_config
from tests.webhooks.conftest import ADMIN


def test_the_default_schedule_is_the_standard_webhooks_one_and_lasts_over_24_hours():
    waits = parse_schedule(DEFAULT_SCHEDULE)
    assert waits == (5, 300, 1800, 7200, 18000, 36000, 36000)
    assert timedelta(seconds=sum(waits) * 0.9) > timedelta(hours=24)  # even with the most jitter off it


def test_waits_follow_the_schedule_with_bounded_jitter_then_stop():
    rng = random.Random(7)
    schedule = (10, 100)
    firsts = [next_wait(schedule, 1, rng).total_seconds() for _ in range(200)]
    assert 9 <= min(firsts) < max(firsts) <= 11 and len(set(firsts)) > 100  # jittered, within 10%
    assert 90 <= next_wait(schedule, 2, rng).total_seconds() <= 110
    assert next_wait(schedule, 3, rng) is None  # three attempts failed: none left
    assert next_wait((0, 0), 1, rng) == timedelta(0)


@pytest.mark.parametrize("raw", ["5,abc", "5,-1", "1.5"])
def test_a_bad_schedule_setting_names_the_setting(tmp_path, raw):
    with pytest.raises(ConfigError, match="HUB_WEBHOOK_RETRY_SCHEDULE"):
        create_app(make_test_config(tmp_path, None, HUB_WEBHOOK_RETRY_SCHEDULE=raw))


def test_the_environment_setting_is_read(tmp_path, monkeypatch):
    monkeypatch.setenv("HUB_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("HUB_WEBHOOK_RETRY_SCHEDULE", "1, 2,3")
    monkeypatch.setenv("HUB_WEBHOOKS_ALLOW_PRIVATE", "1")
    monkeypatch.setenv("HUB_LOAD_ENTRY_POINTS", "0")
    app = create_app()
    assert app.extensions["hub.webhooks.schedule"] == (1, 2, 3)
    assert app.config["HUB_WEBHOOKS_ALLOW_PRIVATE"] is True


def test_a_secret_the_keys_cannot_open_is_a_failed_attempt_not_an_unsigned_one(app_ctx, receiver):
    endpoint = endpoints.add_endpoint(receiver.url, "*", ADMIN).endpoint
    db.session.get(WebhookEndpoint, endpoint.id).secret_token = "not-a-fernet-token"
    emit("invoice.voided", {"invoice_id": 1})
    db.session.commit()
    deliver_due(max_seconds=0.01)
    attempt = db.session.execute(db.select(WebhookAttempt)).scalars().first()
    assert "cannot be decrypted" in attempt.error and receiver.count == 0


def test_prune_removes_only_settled_events_past_their_retention(app_ctx, receiver):
    from hub.models import WebhookDelivery, WebhookEvent
    from hub.timeutil import utcnow
    from hub.webhooks.deliveries import prune, resend

    receiver.secret = endpoints.add_endpoint(receiver.url, "*", ADMIN).secret
    emit("invoice.voided", [{"invoice_id": 1}, {"invoice_id": 2}, {"invoice_id": 3}])
    db.session.commit()
    deliver_due()
    old, settled_but_resent, recent = db.session.execute(db.select(WebhookEvent).order_by(WebhookEvent.id)).scalars()
    resend(db.session.execute(db.select(WebhookDelivery.id).filter_by(event_id=settled_but_resent.id)).scalar(),
           ADMIN)  # a pending resend keeps its event
    for event in (old, settled_but_resent):
        event.occurred_at = utcnow() - timedelta(days=31)
    db.session.commit()
    old_id = old.id
    assert prune(30) == 1
    left = db.session.execute(db.select(WebhookEvent.id).order_by(WebhookEvent.id)).scalars().all()
    assert left == [settled_but_resent.id, recent.id]
    assert db.session.execute(db.select(WebhookAttempt.delivery_id)).scalars().all()  # the others' log stays
    assert db.session.execute(db.select(db.func.count(WebhookDelivery.id))
                              .filter_by(event_id=old_id)).scalar_one() == 0
