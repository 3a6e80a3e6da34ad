"""A destination's connection row: settings (the OAuth client), enable/disable, the plugin handle.

The settings follow the vendor integrations' rules (``hub.integrations``): validated by the plugin's
schema, secrets encrypted and never shown back, a blank secret keeps the stored one, every change
audited without the secret values.
"""

from __future__ import annotations

import secrets as pysecrets
from typing import Any

from hub import integrations
from hub.audit import Actor, record
from hub.extensions import db
from hub.models import ConnectionState, DestinationConnection
from hub.plugin_host import DestinationHandle
from hub.plugins import VendorConfigError


def handle_for(slug: str) -> DestinationHandle:
    try:
        return integrations.registry().destination_handle(slug)
    except KeyError:
        raise VendorConfigError(f"no destination plugin named {slug!r} is loaded", field="destination") from None


def get_connection(slug: str) -> DestinationConnection | None:
    return db.session.execute(db.select(DestinationConnection).filter_by(slug=slug)).scalar_one_or_none()


def require_connection(slug: str) -> DestinationConnection:
    connection = get_connection(slug)
    if connection is None:
        raise VendorConfigError(f"the {slug} destination is not set up", field="destination")
    return connection


def get_or_create_connection(slug: str) -> DestinationConnection:
    connection = get_connection(slug)
    if connection is None:
        handle_for(slug)  # refuse slugs no plugin answers to
        connection = DestinationConnection(slug=slug, enabled=False, settings={},
                                           state=ConnectionState.NOT_CONNECTED.value,
                                           key_prefix=pysecrets.token_hex(4))
        db.session.add(connection)
        db.session.flush()
    return connection


def load_config(connection: DestinationConnection) -> dict[str, Any]:
    """The plugin's loaded configuration for a saved connection."""
    return handle_for(connection.slug).load_config(integrations.stored_config(connection))


def configure(slug: str, raw: dict[str, Any], actor: Actor) -> DestinationConnection:
    """Validate and save the settings (secrets encrypted). Nothing is saved on error. Commits."""
    handle = handle_for(slug)
    existing = get_connection(slug)
    config = handle.load_config(integrations.merge_form(existing, raw, handle))
    dumped = handle.info.config_schema().dump(config)
    secret_names = handle.info.secret_fields
    new_secrets = {k: v for k, v in dumped.items() if k in secret_names and v not in (None, "")}
    settings = {k: v for k, v in dumped.items() if k not in secret_names}
    connection = get_or_create_connection(slug)
    box = integrations.secret_box()
    old_settings, old_secrets = dict(connection.settings or {}), box.decrypt(connection.secrets_token)
    for key in sorted(set(settings) | set(old_settings)):
        if settings.get(key) != old_settings.get(key):
            record(actor, "destination.configure", "destination", connection.id, field=key,
                   old=old_settings.get(key), new=settings.get(key))
    for key in sorted(set(new_secrets) | set(old_secrets)):
        if new_secrets.get(key) != old_secrets.get(key):
            record(actor, "destination.configure", "destination", connection.id, field=key,
                   old="***" if key in old_secrets else None, new="***" if key in new_secrets else None)
    connection.settings = settings
    if new_secrets != old_secrets:
        connection.secrets_token = box.encrypt(new_secrets)
    db.session.commit()
    return connection


def set_enabled(slug: str, enabled: bool, actor: Actor) -> DestinationConnection:
    """An enabled destination gets a push for every invoice issued from now on. Commits."""
    connection = require_connection(slug)
    if enabled and connection.state in (ConnectionState.NOT_CONNECTED.value, ConnectionState.CHOOSE_ACCOUNT.value):
        raise VendorConfigError("connect the destination (and pick its account) before enabling it", field="enabled")
    if connection.enabled != enabled:
        record(actor, "destination.enable" if enabled else "destination.disable", "destination", connection.id,
               field="enabled", old=connection.enabled, new=enabled)
        connection.enabled = enabled
    db.session.commit()
    return connection


def enabled_connections() -> list[DestinationConnection]:
    return list(db.session.execute(
        db.select(DestinationConnection).filter_by(enabled=True).order_by(DestinationConnection.slug)).scalars())


def rotate_secrets(actor: Actor) -> int:
    """Re-encrypt every destination's client secret, tokens and PKCE verifier with the newest key of
    ``HUB_ENCRYPTION_KEYS`` (``hub integration rotate-keys`` runs it with the vendors'). Commits."""
    box = integrations.secret_box()
    rotated = 0
    for connection in db.session.execute(db.select(DestinationConnection)).scalars():
        for column in ("secrets_token", "tokens_token", "oauth_verifier_token"):
            if getattr(connection, column):
                setattr(connection, column, box.rotate(getattr(connection, column)))
        record(actor, "destination.rotate_key", "destination", connection.id, field="secrets", old="***", new="***")
        rotated += 1
    db.session.commit()
    return rotated
