"""Registering webhook endpoints: add (secret shown once), list, enable, disable, rotate the secret.

One service for the panel, the CLI and the API. Each function validates its input, raises
``WebhookError`` naming the field, audits the change and commits.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from hub.audit import Actor, record
from hub.extensions import db
from hub.inputs import check_each
from hub.models import EndpointState, WebhookEndpoint
from hub.timeutil import utcnow
from hub.webhooks import signing
from hub.webhooks.catalog import parse_event_types
from hub.webhooks.targets import TargetError, check_url


class WebhookError(ValueError):
    """Bad input for a webhook service; ``field`` names it."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Registered:
    """An endpoint and its signing secret, which is shown this once and never again."""

    endpoint: WebhookEndpoint
    secret: str


def allow_private() -> bool:
    return bool(current_app.config.get("HUB_WEBHOOKS_ALLOW_PRIVATE"))


def _box():
    return current_app.extensions["hub.secrets"]


def _event_types(raw) -> list[str]:
    try:
        return parse_event_types(raw)
    except ValueError as err:
        raise WebhookError(str(err), "events") from None


def _target(url: str) -> str:
    try:
        return check_url(url, allow_private())
    except TargetError as err:
        raise WebhookError(str(err), "url") from None


def _description(text: str | None) -> str | None:
    text = (text or "").strip() or None
    if text and len(text) > 200:
        raise WebhookError(f"the description has at most 200 characters (this has {len(text):,})", "description")
    return text


def existing(model, row_id, field: str, what: str):
    """The row of ``model`` with id ``row_id``, or a WebhookError naming ``field``."""
    try:
        row = db.session.get(model, int(row_id))
    except (TypeError, ValueError):
        row = None
    if row is None:
        raise WebhookError(f"no {what} with id {row_id}", field)
    return row


def get_endpoint(endpoint_id) -> WebhookEndpoint:
    return existing(WebhookEndpoint, endpoint_id, "endpoint_id", "webhook endpoint")


def list_endpoints() -> list[WebhookEndpoint]:
    return list(db.session.execute(db.select(WebhookEndpoint).order_by(WebhookEndpoint.id)).scalars())


def add_endpoint(url: str, events, actor: Actor, description: str | None = None) -> Registered:
    """Register an endpoint (every bad field named at once); the returned ``secret`` is the only time it is shown."""
    checked = check_each({"url": lambda: _target(url), "events": lambda: _event_types(events),
                          "description": lambda: _description(description)}, WebhookError)
    url, types, description = checked["url"], checked["events"], checked["description"]
    secret = signing.new_secret()
    endpoint = WebhookEndpoint(url=url, description=description, event_types=types,
                               secret_token=signing.seal(_box(), secret), enabled=True,
                               state=EndpointState.ACTIVE.value, created_by=actor.label)
    db.session.add(endpoint)
    db.session.flush()
    record(actor, "webhook.add", "webhook_endpoint", endpoint.id, field="url", new=url,
           details={"events": types, "secret": "***"})
    db.session.commit()
    return Registered(endpoint, secret)


def set_event_types(endpoint_id, events, actor: Actor) -> WebhookEndpoint:
    endpoint = get_endpoint(endpoint_id)
    types = _event_types(events)
    if types != endpoint.event_types:
        record(actor, "webhook.events", "webhook_endpoint", endpoint.id, field="event_types",
               old=",".join(endpoint.event_types or []), new=",".join(types))
        endpoint.event_types = types
    db.session.commit()
    return endpoint


def set_enabled(endpoint_id, enabled: bool, actor: Actor) -> WebhookEndpoint:
    """Disable: no new deliveries and no attempts. Enable: waiting deliveries resume, failures start from zero."""
    endpoint = get_endpoint(endpoint_id)
    if endpoint.enabled != enabled:
        record(actor, "webhook.enable" if enabled else "webhook.disable", "webhook_endpoint", endpoint.id,
               field="enabled", old=endpoint.enabled, new=enabled)
    endpoint.enabled = enabled
    if enabled:
        endpoint.state, endpoint.state_reason = EndpointState.ACTIVE.value, None
        endpoint.consecutive_failures, endpoint.failing_since = 0, None
    else:
        endpoint.state = EndpointState.DISABLED.value
        endpoint.state_reason = f"disabled by {actor.label} at {utcnow().isoformat(timespec='seconds')}"
    db.session.commit()
    return endpoint


def rotate_secret(endpoint_id, actor: Actor) -> Registered:
    """A new secret, shown once; the old one keeps signing alongside it for ``signing.ROTATION_GRACE``."""
    endpoint = get_endpoint(endpoint_id)
    secret = signing.new_secret()
    endpoint.previous_secret_token = endpoint.secret_token
    endpoint.previous_secret_until = utcnow() + signing.ROTATION_GRACE
    endpoint.secret_token = signing.seal(_box(), secret)
    record(actor, "webhook.rotate_secret", "webhook_endpoint", endpoint.id, field="secret", old="***", new="***")
    db.session.commit()
    return Registered(endpoint, secret)


def signing_secrets(endpoint: WebhookEndpoint, now) -> list[str]:
    """The secrets an attempt is signed with: the current one, and the previous one during its grace time."""
    current = [signing.unseal(_box(), endpoint.secret_token)]
    if endpoint.previous_secret_token and endpoint.previous_secret_until and endpoint.previous_secret_until > now:
        current.append(signing.unseal(_box(), endpoint.previous_secret_token))
    return current
