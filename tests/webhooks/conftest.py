"""Webhook fixtures: a real receiver on 127.0.0.1 (private targets allowed), an endpoint registered to it.

The retry schedule is shortened to zero waits, so a test runs every attempt of a delivery at once.
"""

from __future__ import annotations

import pytest

from hub.audit import Actor
from hub.extensions import db
from hub.models import WebhookDelivery, WebhookEvent
from hub.webhooks import endpoints
from tests.billing.conftest import billed, contoso, make_org, make_product, seats, vendor  # noqa: F401
from tests.conftest import make_test_config
from tests.webhooks.receiver import Receiver

ADMIN = Actor.cli("webhook-test")


@pytest.fixture
def app_config(tmp_path, database_url):
    return make_test_config(tmp_path, database_url, HUB_WEBHOOKS_ALLOW_PRIVATE=True,
                            HUB_WEBHOOK_RETRY_SCHEDULE="0,0,0,0,0")


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


@pytest.fixture
def endpoint(app_ctx, receiver):
    """An endpoint for every event type; the receiver knows its secret."""
    registered = endpoints.add_endpoint(receiver.url, "*", ADMIN)
    receiver.secret = registered.secret
    return registered.endpoint


def events(event_type: str | None = None) -> list[WebhookEvent]:
    query = db.select(WebhookEvent).order_by(WebhookEvent.id)
    if event_type:
        query = query.where(WebhookEvent.type == event_type)
    return list(db.session.execute(query).scalars())


def event_types() -> list[str]:
    return [e.type for e in events()]


def deliveries() -> list[WebhookDelivery]:
    return list(db.session.execute(db.select(WebhookDelivery).order_by(WebhookDelivery.id)).scalars())
