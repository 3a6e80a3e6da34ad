"""Enabling and configuring vendor integrations, one service for the panel, the CLI and the scheduler."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask import current_app

from hub.audit import Actor, record
from hub.extensions import db
from hub.models import IntegrationState, VendorIntegration
from hub.plugins import ConnectionCheck, VendorConfigError, VendorError
from hub.plugins.http import Redactor
from hub.plugin_host import PluginRegistry, VendorHandle
from hub.security.secrets import SecretBox


def registry() -> PluginRegistry:
    return current_app.extensions["hub.plugins"]


def secret_box() -> SecretBox:
    box = current_app.extensions.get("hub.secrets")
    if box is None:  # the generated key file is made on first use
        from hub.config import encryption_keys

        box = current_app.extensions["hub.secrets"] = SecretBox(encryption_keys(current_app))
    return box


def handle_for(slug: str) -> VendorHandle:
    """The plugin behind integration ``slug`` (an added instance names its plugin)."""
    plugin = plugin_slug(slug)
    try:
        return registry().handle(plugin)
    except KeyError:
        raise VendorConfigError(f"no vendor plugin named {plugin!r} is loaded", field="vendor") from None


def plugin_slug(slug: str) -> str:
    """The entry-point name of the plugin behind integration ``slug``."""
    plugin = db.session.execute(
        db.select(VendorIntegration.plugin).filter_by(slug=slug)).scalar_one_or_none()
    return plugin or slug


def display_names() -> dict[str, str]:
    """Every integration's name for people: its own (added instances), else its plugin's."""
    reg = registry()
    names = {}
    for slug, plugin, own in db.session.execute(
            db.select(VendorIntegration.slug, VendorIntegration.plugin, VendorIntegration.display_name)):
        loaded = reg.get(plugin or slug)
        names[slug] = own or (loaded.info.display_name if loaded else slug)
    return names


def get_integration(slug: str) -> VendorIntegration | None:
    return db.session.execute(db.select(VendorIntegration).filter_by(slug=slug)).scalar_one_or_none()


_INSTANCE_SLUG = re.compile(r"^[a-z][a-z0-9_-]{1,39}$")


class SlugTaken(VendorConfigError):
    """Another integration (or a plugin) already has this slug: the API answers 409, not 422."""


def add_instance(plugin: str, slug: str, display_name: str, actor: Actor) -> VendorIntegration:
    """A new integration of a plugin that allows several (``VendorInfo.instances``), not configured yet.

    Raises VendorConfigError naming the field: an unknown plugin, a plugin without instances, a slug
    that is taken (by an integration or a plugin) or malformed, an empty name.
    """
    loaded = registry().get(plugin)
    if loaded is None:
        raise VendorConfigError(f"no vendor plugin named {plugin!r} is loaded", field="plugin")
    if not loaded.info.instances:
        raise VendorConfigError(f"{loaded.info.display_name} has one integration only", field="plugin")
    slug, name = (slug or "").strip().lower(), " ".join((display_name or "").split())
    if not _INSTANCE_SLUG.match(slug):
        raise VendorConfigError("use 2-40 lower-case letters, digits, '-' or '_', starting with a letter",
                                field="slug")
    if registry().get(slug) is not None or get_integration(slug) is not None:
        raise SlugTaken(f"{slug!r} is already taken", field="slug")
    if not name or len(name) > 120:
        raise VendorConfigError("give a name of 1 to 120 characters", field="display_name")
    integration = VendorIntegration(
        slug=slug, plugin=plugin, display_name=name, enabled=False, settings={},
        state=IntegrationState.NOT_CONFIGURED.value,
        interval_minutes=current_app.config["HUB_DEFAULT_INTERVAL_MINUTES"],
        detach_threshold_pct=Decimal(str(current_app.config["HUB_DETACH_THRESHOLD_PCT"])))
    db.session.add(integration)
    db.session.flush()
    record(actor, "integration.add", "integration", integration.id, field="slug", new=slug,
           integration_id=integration.id, details={"plugin": plugin, "display_name": name})
    return integration


def get_or_create_integration(slug: str) -> VendorIntegration:
    integration = get_integration(slug)
    if integration is None:
        handle_for(slug)  # refuse slugs no plugin answers to
        integration = VendorIntegration(
            slug=slug, enabled=False, settings={}, state=IntegrationState.NOT_CONFIGURED.value,
            interval_minutes=current_app.config["HUB_DEFAULT_INTERVAL_MINUTES"],
            detach_threshold_pct=Decimal(str(current_app.config["HUB_DETACH_THRESHOLD_PCT"])),
        )
        db.session.add(integration)
        db.session.flush()
    return integration


def stored_config(integration: VendorIntegration) -> dict[str, Any]:
    """Settings plus decrypted secrets: what the plugin's schema dumps, ready to load again."""
    return {**(integration.settings or {}), **secret_box().decrypt(integration.secrets_token)}


def load_config(integration: VendorIntegration) -> dict[str, Any]:
    """The plugin's loaded configuration for a saved integration."""
    return handle_for(integration.slug).load_config(stored_config(integration))


def merge_form(integration: VendorIntegration | None, raw: dict[str, Any], handle: VendorHandle) -> dict[str, Any]:
    """New raw settings over the stored ones. A secret left blank keeps its stored value."""
    merged = stored_config(integration) if integration is not None else {}
    for key, value in raw.items():
        if key in handle.info.secret_fields and (value is None or value == ""):
            continue
        merged[key] = value
    return merged


@dataclass
class SaveResult:
    integration: VendorIntegration
    check: ConnectionCheck | None


def test_connection(slug: str, raw: dict[str, Any]) -> ConnectionCheck:
    """Try settings without saving them. Raises VendorError (with ``field`` for config errors)."""
    handle = handle_for(slug)
    config = handle.load_config(merge_form(get_integration(slug), raw, handle))
    return _check_connection(handle, config)


def _check_connection(handle: VendorHandle, config: dict[str, Any]) -> ConnectionCheck:
    try:
        with handle.make_session(config) as session:
            check = handle.test_connection(config, session)
    except VendorError:
        raise
    except Exception as err:  # a plugin bug becomes a clear error, not a crash of the panel or CLI
        raise VendorError(f"the {handle.slug} plugin failed: {type(err).__name__}: "
                          f"{Redactor(handle.secret_values(config))(err)}") from err
    if not isinstance(check, ConnectionCheck):
        raise VendorError(f"{handle.slug}: hub_test_connection returned {type(check).__name__}, not ConnectionCheck")
    return check


def configure(slug: str, raw: dict[str, Any], actor: Actor, *, enable: bool | None = None,
              interval_minutes: int | None = None, check_connection: bool = True) -> SaveResult:
    """Validate, optionally test, then save settings (secrets encrypted). Nothing is saved on error."""
    handle = handle_for(slug)
    existing = get_integration(slug)
    config = handle.load_config(merge_form(existing, raw, handle))
    if interval_minutes is not None:
        interval_minutes = _valid_interval(interval_minutes)
    check = None
    if check_connection:
        check = _check_connection(handle, config)
        if not check.ok:
            raise VendorConfigError(f"test connection failed: {check.message}")
    try:
        return _save(slug, handle, config, actor, check, enable, interval_minutes)
    except Exception:
        db.session.rollback()  # nothing half-saved stays in the session for a later commit
        raise


def _save(slug: str, handle: VendorHandle, config: dict[str, Any], actor: Actor, check: ConnectionCheck | None,
          enable: bool | None, interval_minutes: int | None) -> SaveResult:
    dumped = handle.info.config_schema().dump(config)
    secrets = {k: v for k, v in dumped.items() if k in handle.info.secret_fields and v not in (None, "")}
    settings = {k: v for k, v in dumped.items() if k not in handle.info.secret_fields}

    integration = get_or_create_integration(slug)
    old_settings = dict(integration.settings or {})
    old_secrets = secret_box().decrypt(integration.secrets_token)
    integration.settings = settings
    if secrets != old_secrets:
        integration.secrets_token = secret_box().encrypt(secrets)
    for key in sorted(set(settings) | set(old_settings)):
        if settings.get(key) != old_settings.get(key):
            record(actor, "integration.configure", "integration", integration.id, field=key,
                   old=old_settings.get(key), new=settings.get(key), integration_id=integration.id)
    for key in sorted(set(secrets) | set(old_secrets)):
        if secrets.get(key) != old_secrets.get(key):
            # the values never reach the audit log, only the fact that they changed
            record(actor, "integration.configure", "integration", integration.id, field=key,
                   old="***" if key in old_secrets else None, new="***" if key in secrets else None,
                   integration_id=integration.id)
    if interval_minutes is not None:
        set_interval(integration, interval_minutes, actor)
    if integration.state in (IntegrationState.NOT_CONFIGURED.value, IntegrationState.NEEDS_REAUTH.value,
                             IntegrationState.ERROR.value):
        integration.state = IntegrationState.READY.value
        integration.state_message = None
    if enable is not None:
        set_enabled(integration, enable, actor)
    db.session.commit()
    return SaveResult(integration, check)


def _valid_interval(minutes: Any) -> int:
    try:
        value = int(minutes)
    except (TypeError, ValueError):
        raise VendorConfigError(f"interval_minutes must be a whole number of minutes, not {minutes!r}",
                                field="interval_minutes") from None
    if not 5 <= value <= 7 * 24 * 60:
        raise VendorConfigError("interval_minutes must be between 5 and 10080", field="interval_minutes")
    return value


def set_interval(integration: VendorIntegration, minutes: int, actor: Actor) -> None:
    minutes = _valid_interval(minutes)
    if integration.interval_minutes != minutes:
        record(actor, "integration.schedule", "integration", integration.id, field="interval_minutes",
               old=integration.interval_minutes, new=minutes, integration_id=integration.id)
        integration.interval_minutes = minutes


def set_detach_threshold(slug: str, pct: Any, actor: Actor) -> VendorIntegration:
    """The share of active customers one sync may detach before it waits for an admin (more than 0, at most
    100, two places). Audited; commits. A VendorConfigError names the field; nothing changed."""
    from hub.billing.errors import BillingError
    from hub.billing.money import parse_decimal

    integration = get_integration(slug)
    if integration is None:
        raise VendorConfigError(f"no configured vendor {slug!r}", field="vendor")
    try:
        value = parse_decimal(pct, "detach_threshold_pct", places=2, maximum=None)
    except BillingError as err:
        raise VendorConfigError(err.message, field="detach_threshold_pct") from None
    if not Decimal(0) < value <= Decimal(100):
        raise VendorConfigError("detach_threshold_pct must be more than 0 and at most 100",
                                field="detach_threshold_pct")
    if Decimal(integration.detach_threshold_pct) != value:
        record(actor, "integration.detach_threshold", "integration", integration.id, field="detach_threshold_pct",
               old=str(integration.detach_threshold_pct), new=str(value), integration_id=integration.id)
        integration.detach_threshold_pct = value
    db.session.commit()
    return integration


def set_enabled(integration: VendorIntegration, enabled: bool, actor: Actor) -> None:
    if enabled and not integration.secrets_token and not integration.settings:
        raise VendorConfigError("configure the vendor before enabling it", field="enabled")
    if integration.enabled != enabled:
        record(actor, "integration.enable" if enabled else "integration.disable", "integration", integration.id,
               field="enabled", old=integration.enabled, new=enabled, integration_id=integration.id)
        integration.enabled = enabled
    if not enabled:
        integration.state = IntegrationState.DISABLED.value
    elif integration.state == IntegrationState.DISABLED.value:
        integration.state = IntegrationState.READY.value


def enabled_integrations() -> list[VendorIntegration]:
    return list(db.session.execute(
        db.select(VendorIntegration).filter_by(enabled=True).order_by(VendorIntegration.slug)).scalars())


def rotate_secrets(actor: Actor) -> int:
    """Re-encrypt every stored credential with the newest key of ``HUB_ENCRYPTION_KEYS``.

    Run it after putting a new key first (``HUB_ENCRYPTION_KEYS="new,old"``); then the old key can go.
    Returns how many integrations were re-encrypted.
    """
    box = secret_box()
    rotated = 0
    for integration in db.session.execute(
            db.select(VendorIntegration).where(VendorIntegration.secrets_token.is_not(None))).scalars():
        integration.secrets_token = box.rotate(integration.secrets_token)
        record(actor, "integration.rotate_key", "integration", integration.id, field="secrets",
               old="***", new="***", integration_id=integration.id)
        rotated += 1
    db.session.commit()
    return rotated
