"""Configuration: defaults, then the instance folder's ``config.py``, then ``HUB_*`` environment variables.

The embedded default needs nothing: SQLite and generated keys in the instance folder.
"""

from __future__ import annotations

import os
import secrets
from decimal import Decimal, InvalidOperation
from pathlib import Path

from flask import Flask, current_app
from flask.sessions import SecureCookieSessionInterface

from hub.security.secrets import load_or_create_key_file, read_or_create

DEFAULTS = {
    "HUB_DEMO": False,
    "HUB_SCHEDULER": False,            # run APScheduler inside this process (dev, demo, single worker)
    "HUB_DEFAULT_INTERVAL_MINUTES": 360,
    "HUB_DETACH_THRESHOLD_PCT": 20,
    # short: a killed holder blocks its integration this long at most (a keep-alive renews a live one)
    "HUB_SYNC_LEASE_SECONDS": 60,
    "HUB_STRICT_PLUGINS": False,
    "HUB_DISABLED_PLUGINS": "",
    "HUB_TRACE_PLUGINS": False,
    "HUB_LOAD_ENTRY_POINTS": True,
    "HUB_LOGIN_ATTEMPTS_PER_15_MIN": 10,
    "HUB_TRUSTED_PROXIES": 0,          # reverse proxies in front of the web workers (X-Forwarded-* trusted)
    "SESSION_COOKIE_NAME": "hub_session",
    "PERMANENT_SESSION_LIFETIME": 12 * 3600,
    "HUB_WEBHOOKS_ALLOW_PRIVATE": False,  # webhook targets on loopback / private networks (and plain http there)
    "HUB_WEBHOOK_RETRY_SCHEDULE": None,   # seconds between retries; None: hub.webhooks.retry.DEFAULT_SCHEDULE
    "HUB_WEBHOOK_CONCURRENCY": 4,         # requests in flight per delivery worker
    "HUB_WEBHOOK_RETENTION_DAYS": 30,     # settled webhook events (and their delivery log) kept this long
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "WTF_CSRF_TIME_LIMIT": None,
}

#: environment variables read as booleans / integers
BOOL_KEYS = {"HUB_DEMO", "HUB_SCHEDULER", "HUB_STRICT_PLUGINS", "HUB_TRACE_PLUGINS", "SESSION_COOKIE_SECURE",
             "HUB_LOAD_ENTRY_POINTS", "HUB_WEBHOOKS_ALLOW_PRIVATE", "HUB_SQLITE_WAL"}
INT_KEYS = {"HUB_DEFAULT_INTERVAL_MINUTES", "HUB_SYNC_LEASE_SECONDS", "HUB_LOGIN_ATTEMPTS_PER_15_MIN",
            "HUB_TRUSTED_PROXIES", "HUB_WEBHOOK_CONCURRENCY", "HUB_SMTP_TIMEOUT", "HUB_INVOICE_RUN_EVERY_SECONDS",
            "HUB_WEBHOOK_RETENTION_DAYS"}
DECIMAL_KEYS = {"HUB_DETACH_THRESHOLD_PCT"}


class ConfigError(ValueError):
    """A ``HUB_*`` setting that cannot be read; the message names the variable."""


def _env_value(key: str, raw: str):
    try:
        if key in BOOL_KEYS:
            return raw.strip().lower() in {"1", "true", "yes", "on"}
        if key in INT_KEYS:
            return int(raw)
        if key in DECIMAL_KEYS:
            value = Decimal(raw.strip())
            if not value.is_finite():
                raise InvalidOperation
            return value
    except (ValueError, InvalidOperation):
        raise ConfigError(f"{key}={raw!r} is not a valid {'number' if key in DECIMAL_KEYS else 'integer'}") from None
    return raw


def load_config(app: Flask, test_config: dict | None) -> None:
    app.config.from_mapping(DEFAULTS)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        for key, raw in os.environ.items():
            if key.startswith("HUB_") or key == "SESSION_COOKIE_SECURE":
                app.config[key] = _env_value(key, raw)
    else:
        app.config.update(test_config)

    instance = Path(app.instance_path)
    if "SQLALCHEMY_DATABASE_URI" not in app.config:
        url = app.config.get("HUB_DATABASE_URL") or f"sqlite:///{instance / 'hub.sqlite3'}"
        app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(url)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # several threads (web + scheduler) share one file; wait for locks instead of failing at once
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 30}}
    if not app.config.get("SECRET_KEY") and app.config.get("HUB_SECRET_KEY"):
        app.config["SECRET_KEY"] = app.config["HUB_SECRET_KEY"]
    # the instance folder and generated keys are made on first use (a first connection, request or
    # secret), so read-only commands (`hub plugins`, `--help`) write nothing


def ensure_secret_key(app: Flask | None = None) -> None:
    """The session key, generated into the instance folder the first time a request needs it."""
    app = app or current_app
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = read_or_create(Path(app.instance_path) / "secret_key",
                                                  lambda: secrets.token_urlsafe(48))


class KeyedSessionInterface(SecureCookieSessionInterface):
    """Flask opens the session before any ``before_request`` runs: without a key it hands the first request
    of a fresh instance a null session, and its CSRF token fails (a 500 on the very first page). So the key
    is made here, as the session opens."""

    def open_session(self, app: Flask, request):
        ensure_secret_key(app)
        return super().open_session(app, request)


def encryption_keys(app: Flask) -> list[str]:
    """``HUB_ENCRYPTION_KEYS``, else the instance folder's key file (generated the first time)."""
    keys = app.config.get("HUB_ENCRYPTION_KEYS") or load_or_create_key_file(
        Path(app.instance_path) / "encryption.key")
    return str(keys).split(",")


def normalise_database_url(url: str) -> str:
    """``postgres://`` and ``postgresql://`` (the forms people paste) as ``postgresql+psycopg://``:
    psycopg 3 is the driver we ship. Any other URL is returned as it is."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
