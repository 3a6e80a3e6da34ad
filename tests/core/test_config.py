"""hub.config: embedded defaults in the instance folder, HUB_* environment variables, database URLs."""

from __future__ import annotations

import os
import stat
from decimal import Decimal

import pytest
from cryptography.fernet import Fernet

from hub import create_app
from hub.config import ConfigError


@pytest.fixture
def env(monkeypatch, tmp_path):
    """A clean HUB_* environment with the instance folder in tmp_path; returns a setter."""
    for key in list(os.environ):
        if key.startswith("HUB_") or key == "SESSION_COOKIE_SECURE":
            monkeypatch.delenv(key)
    monkeypatch.setenv("HUB_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("HUB_LOAD_ENTRY_POINTS", "0")

    def set_env(**values):
        for key, value in values.items():
            monkeypatch.setenv(key, value)

    return set_env


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_embedded_default_needs_nothing(env, tmp_path):
    from hub import integrations

    app = create_app()
    instance = tmp_path / "instance"
    assert app.instance_path == str(instance)
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance / 'hub.sqlite3'}"
    assert not instance.exists()  # made on first use: read-only commands write nothing
    assert (app.config["HUB_SCHEDULER"], app.config["HUB_DEFAULT_INTERVAL_MINUTES"],
            app.config["HUB_DETACH_THRESHOLD_PCT"]) == (False, 360, 20)

    app.test_client().get("/healthz")  # a first request: the session key
    with app.app_context():
        box = integrations.secret_box()  # a first secret: the encryption key
        token = box.encrypt({"k": "v"})
    assert instance.is_dir()
    secret_file, key_file = instance / "secret_key", instance / "encryption.key"
    assert mode(secret_file) == 0o600 and mode(key_file) == 0o600
    assert app.config["SECRET_KEY"] == secret_file.read_text().strip() and len(app.config["SECRET_KEY"]) >= 40
    Fernet(key_file.read_text().strip().encode())  # a valid key

    again = create_app()  # a restart keeps both keys
    again.test_client().get("/healthz")
    assert again.config["SECRET_KEY"] == app.config["SECRET_KEY"]
    with again.app_context():
        assert integrations.secret_box().decrypt(token) == {"k": "v"}


def test_the_first_page_of_a_fresh_instance_opens_its_session(env, tmp_path):
    """Flask opens the session before any before_request: the very first page with a form (the sign-in
    page, on a hub just started) must find the key made already, not a null session and a 500."""
    from hub.extensions import db

    app = create_app()
    with app.app_context():
        db.create_all()
    assert not (tmp_path / "instance" / "secret_key").exists()
    first = app.test_client().get("/login")
    assert first.status_code == 200 and 'name="csrf-token"' in first.get_data(as_text=True)
    assert (tmp_path / "instance" / "secret_key").exists()


@pytest.mark.parametrize("given, expected", [
    ("postgres://hub:pw@db.example:5432/hub", "postgresql+psycopg://hub:pw@db.example:5432/hub"),
    ("postgresql://hub@127.0.0.1/hub", "postgresql+psycopg://hub@127.0.0.1/hub"),
    ("postgresql+psycopg://hub@127.0.0.1/hub", "postgresql+psycopg://hub@127.0.0.1/hub"),
    ("sqlite:////var/lib/hub/hub.db", "sqlite:////var/lib/hub/hub.db"),
])
def test_database_url(env, given, expected):
    env(HUB_DATABASE_URL=given)
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == expected
    if expected.startswith("postgresql"):
        from hub.extensions import db

        with app.app_context():  # the engine is built (no connection needed) with psycopg 3
            assert (db.engine.dialect.name, db.engine.dialect.driver) == ("postgresql", "psycopg")


def test_environment_values_are_parsed(env, tmp_path):
    key = Fernet.generate_key().decode()
    env(HUB_DEMO="yes", HUB_TRACE_PLUGINS="0", HUB_STRICT_PLUGINS="true", HUB_DEFAULT_INTERVAL_MINUTES="90",
        HUB_SYNC_LEASE_SECONDS="600", HUB_DETACH_THRESHOLD_PCT="12.5", HUB_SECRET_KEY="from-env",
        HUB_ENCRYPTION_KEYS=key, HUB_DISABLED_PLUGINS="a,b", SESSION_COOKIE_SECURE="1")
    config = create_app().config
    assert (config["HUB_DEMO"], config["HUB_TRACE_PLUGINS"], config["HUB_STRICT_PLUGINS"]) == (True, False, True)
    assert (config["HUB_DEFAULT_INTERVAL_MINUTES"], config["HUB_SYNC_LEASE_SECONDS"]) == (90, 600)
    assert config["HUB_DETACH_THRESHOLD_PCT"] == Decimal("12.5")
    assert (config["SECRET_KEY"], config["HUB_ENCRYPTION_KEYS"]) == ("from-env", key)
    assert (config["HUB_DISABLED_PLUGINS"], config["SESSION_COOKIE_SECURE"]) == ("a,b", True)
    assert not (tmp_path / "instance" / "secret_key").exists()
    assert not (tmp_path / "instance" / "encryption.key").exists()


@pytest.mark.parametrize("key, value", [("HUB_DEFAULT_INTERVAL_MINUTES", "often"),
                                        ("HUB_DETACH_THRESHOLD_PCT", "twenty"),
                                        ("HUB_DETACH_THRESHOLD_PCT", "NaN")])
def test_a_bad_environment_value_names_the_variable(env, key, value):
    env(**{key: value})
    with pytest.raises(ConfigError, match=key):
        create_app()


def test_environment_overrides_the_instance_config_file(env, tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text("HUB_DEFAULT_INTERVAL_MINUTES = 30\nHUB_DEMO = True\n")
    env(HUB_DEFAULT_INTERVAL_MINUTES="45")
    config = create_app().config
    assert (config["HUB_DEFAULT_INTERVAL_MINUTES"], config["HUB_DEMO"]) == (45, True)


def test_new_integrations_take_the_configured_defaults(env):
    from hub import integrations
    from hub.extensions import db
    from tests.fakes.fake_vendor import FakeVendor

    env(HUB_DEFAULT_INTERVAL_MINUTES="120", HUB_DETACH_THRESHOLD_PCT="7.5")
    app = create_app()
    app.extensions["hub.plugins"].register(FakeVendor("fake"), "fake")
    with app.app_context():
        db.create_all()
        integration = integrations.get_or_create_integration("fake")
        db.session.commit()
        db.session.expire_all()
        assert (integration.interval_minutes, integration.detach_threshold_pct) == (120, Decimal("7.5"))
        db.engine.dispose()
