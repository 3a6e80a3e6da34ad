"""hub.integrations: validation, encrypted credentials, connection tests, audit, key rotation."""

from __future__ import annotations

from dataclasses import replace

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from hub import create_app, integrations
from hub.audit import Actor
from hub.extensions import db
from hub.models import AuditEvent, IntegrationState
from hub.plugins import ConnectionCheck, VendorAuthError, VendorConfigError, VendorError, hookimpl
from hub.security.secrets import SecretsError
from hub.sync import run_sync
from tests.conftest import make_test_config
from tests.dbstate import diff, snapshot
from tests.fakes.fake_vendor import FAKE_CONFIG, FakeVendor

ADMIN = Actor.cli("admin@example.com")
SECRET = FAKE_CONFIG["api_key"]


def raw_row(slug: str = "fake") -> dict:
    """The integration's row as the database holds it (no ORM type processing)."""
    row = db.session.execute(sa.text("SELECT settings, secrets_token FROM vendor_integrations WHERE slug = :s"),
                             {"s": slug}).mappings().one()
    return {"settings": str(row["settings"]), "secrets_token": str(row["secrets_token"])}


def all_audit_text() -> str:
    return " ".join(str(tuple(r)) for r in db.session.execute(db.select(AuditEvent.__table__)).all())


def test_configure_saves_settings_and_encrypts_secrets(app_ctx, fake_vendor):
    result = integrations.configure("fake", dict(FAKE_CONFIG), ADMIN, enable=True, interval_minutes=90)
    assert result.check == ConnectionCheck(ok=True, message="ok", account_name="Fake MSP")
    integration = result.integration
    assert (integration.enabled, integration.state, integration.interval_minutes) == (
        True, IntegrationState.READY.value, 90)
    assert integration.settings == {"base_url": FAKE_CONFIG["base_url"]}
    row = raw_row()
    assert SECRET not in row["settings"] and "api_key" not in row["settings"]
    assert SECRET not in row["secrets_token"]
    assert integrations.secret_box().decrypt(integration.secrets_token) == {"api_key": SECRET}
    assert integrations.load_config(integration) == FAKE_CONFIG
    assert SECRET not in all_audit_text()
    events = {(a.action, a.field): (a.old_value, a.new_value) for a in db.session.execute(
        db.select(AuditEvent)).scalars()}
    assert events == {
        ("integration.configure", "base_url"): (None, FAKE_CONFIG["base_url"]),
        ("integration.configure", "api_key"): (None, "***"),
        ("integration.schedule", "interval_minutes"): ("360", "90"),
        ("integration.enable", "enabled"): ("False", "True"),
    }


def test_a_blank_secret_keeps_the_stored_one(fake_integration):
    token = fake_integration.secrets_token
    audits_before = db.session.execute(sa.select(sa.func.count()).select_from(AuditEvent)).scalar()
    integrations.configure("fake", {"base_url": "http://other.example", "api_key": ""}, ADMIN)
    assert fake_integration.secrets_token == token  # not even re-encrypted
    assert integrations.load_config(fake_integration)["api_key"] == SECRET
    new = db.session.execute(db.select(AuditEvent).order_by(AuditEvent.id).offset(audits_before)).scalars().all()
    assert [(a.field, a.old_value, a.new_value) for a in new] == [
        ("base_url", FAKE_CONFIG["base_url"], "http://other.example")]


def test_a_changed_secret_is_audited_as_stars_only(fake_integration):
    integrations.configure("fake", {"api_key": "brand-new-key-456"}, ADMIN)
    event = db.session.execute(db.select(AuditEvent).filter_by(field="api_key").order_by(AuditEvent.id.desc())
                               ).scalars().first()
    assert (event.old_value, event.new_value) == ("***", "***")
    assert "brand-new-key-456" not in all_audit_text() and SECRET not in all_audit_text()
    assert "brand-new-key-456" not in str(raw_row())
    assert integrations.load_config(fake_integration)["api_key"] == "brand-new-key-456"


INVALID = [
    ("base_url not a URL", {"base_url": "not a url", "api_key": "k"}, {}, "base_url"),
    ("api_key missing", {"base_url": "http://x.example"}, {}, "api_key"),
    ("interval too short", dict(FAKE_CONFIG), {"interval_minutes": 1}, "interval_minutes"),
    ("interval not a number", dict(FAKE_CONFIG), {"interval_minutes": "often"}, "interval_minutes"),
]


@pytest.mark.parametrize("raw, options, field", [i[1:] for i in INVALID], ids=[i[0] for i in INVALID])
def test_invalid_new_configuration_names_the_field_and_saves_nothing(raw, options, field, app_ctx, fake_vendor):
    before = snapshot()
    with pytest.raises(VendorConfigError) as err:
        integrations.configure("fake", raw, ADMIN, **options)
    assert err.value.field == field and field in err.value.message
    assert diff(before, snapshot()) == {}
    assert fake_vendor.calls == []  # rejected before the vendor was asked anything


@pytest.mark.parametrize("raw, options, field", [i[1:] for i in INVALID[::2]], ids=[i[0] for i in INVALID[::2]])
def test_invalid_change_names_the_field_and_changes_nothing(raw, options, field, fake_integration):
    before = snapshot()
    with pytest.raises(VendorConfigError) as err:
        integrations.configure("fake", raw, ADMIN, enable=False, **options)
    assert err.value.field == field
    db.session.commit()  # a later commit (another request in this context) must not save a half-change
    assert diff(before, snapshot()) == {}


def test_unknown_vendor(app_ctx):
    with pytest.raises(VendorConfigError, match="no vendor plugin named 'nope'") as err:
        integrations.configure("nope", {}, ADMIN)
    assert err.value.field == "vendor"


CONNECTION_FAILURES = [
    ("check not ok", dict(connection_check=ConnectionCheck(ok=False, message="key expired")), VendorConfigError,
     "test connection failed: key expired"),
    ("auth refused", dict(connection_error=VendorAuthError("HTTP 401")), VendorAuthError, "HTTP 401"),
    ("plugin bug", dict(connection_error=TypeError("bad header other-key")), VendorError,
     "the fake plugin failed: TypeError: bad header ***"),
    ("nothing returned", dict(connection_check=None), VendorError, "returned NoneType, not ConnectionCheck"),
]


@pytest.mark.parametrize("fault, error, words", [c[1:] for c in CONNECTION_FAILURES],
                         ids=[c[0] for c in CONNECTION_FAILURES])
def test_a_failed_connection_test_saves_nothing(fault, error, words, fake_integration, fake_vendor):
    before = snapshot()
    for name, value in fault.items():
        setattr(fake_vendor, name, value)
    with pytest.raises(error) as err:
        integrations.configure("fake", {"base_url": "http://new.example", "api_key": "other-key"}, ADMIN)
    assert words in err.value.message and "other-key" not in err.value.message
    db.session.commit()
    assert diff(before, snapshot()) == {}
    if "connection_check" in fault and fault["connection_check"] is not None:
        assert integrations.test_connection("fake", {}).ok is False  # the panel shows the vendor's answer
    else:
        with pytest.raises(error):
            integrations.test_connection("fake", {})


def test_skip_test_saves_without_asking_the_vendor(app_ctx, fake_vendor):
    fake_vendor.connection_error = VendorAuthError("would fail")
    result = integrations.configure("fake", dict(FAKE_CONFIG), ADMIN, check_connection=False)
    assert result.check is None and result.integration.id is not None
    assert fake_vendor.calls == []


def test_enable_and_disable(fake_integration):
    integrations.set_enabled(fake_integration, False, ADMIN)
    db.session.commit()
    assert (fake_integration.enabled, fake_integration.state) == (False, IntegrationState.DISABLED.value)
    integrations.set_enabled(fake_integration, True, ADMIN)
    db.session.commit()
    assert (fake_integration.enabled, fake_integration.state) == (True, IntegrationState.READY.value)
    assert [a.action for a in db.session.execute(
        db.select(AuditEvent).where(AuditEvent.action.in_(["integration.enable", "integration.disable"]))
        .order_by(AuditEvent.id)).scalars()] == ["integration.enable", "integration.disable", "integration.enable"]


def test_an_unconfigured_integration_cannot_be_enabled(app_ctx, fake_vendor):
    integration = integrations.get_or_create_integration("fake")
    with pytest.raises(VendorConfigError) as err:
        integrations.set_enabled(integration, True, ADMIN)
    assert err.value.field == "enabled"


def test_reconfiguring_after_auth_failure_makes_it_ready(fake_integration, fake_vendor):
    fake_vendor.list_error = VendorAuthError("HTTP 401")
    run_sync("fake")
    assert integrations.get_integration("fake").state == IntegrationState.NEEDS_REAUTH.value
    fake_vendor.list_error = None
    integrations.configure("fake", {"api_key": "fixed-key"}, ADMIN)
    integration = integrations.get_integration("fake")
    assert (integration.state, integration.state_message) == (IntegrationState.READY.value, None)


# -- key rotation -------------------------------------------------------------------------------

OLD_KEY, NEW_KEY = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def app_with_keys(tmp_path, database_url, keys: str):
    app = create_app(make_test_config(tmp_path, database_url, HUB_ENCRYPTION_KEYS=keys))
    app.extensions["hub.plugins"].register(FakeVendor("fake"), "fake")
    return app


def stored_api_key(app) -> str:
    with app.app_context():
        try:
            return integrations.load_config(integrations.get_integration("fake"))["api_key"]
        finally:
            db.session.remove()


def test_key_rotation(tmp_path, database_url, app):
    """``app`` made the tables; the apps below share its database, each with its own keys."""
    old = app_with_keys(tmp_path, database_url, OLD_KEY)
    with old.app_context():
        integrations.configure("fake", dict(FAKE_CONFIG), ADMIN, enable=True)
        db.session.remove()

    both = app_with_keys(tmp_path, database_url, f"{NEW_KEY},{OLD_KEY}")
    assert stored_api_key(both) == SECRET  # the old key still decrypts
    new_only = app_with_keys(tmp_path, database_url, NEW_KEY)
    with pytest.raises(SecretsError, match="cannot be decrypted"):
        stored_api_key(new_only)
    with new_only.app_context():  # a sync under the wrong keys fails clearly instead of crashing
        run = run_sync("fake")
        assert (run.status, run.error_kind) == ("failed", "bad_config")
        assert "cannot be decrypted with the configured keys" in run.error_message
        db.session.remove()

    with both.app_context():
        assert integrations.rotate_secrets(ADMIN) == 1
        row = raw_row()
        assert SECRET not in row["secrets_token"]
        event = db.session.execute(db.select(AuditEvent).filter_by(action="integration.rotate_key")).scalar_one()
        assert (event.old_value, event.new_value) == ("***", "***")
        db.session.remove()
    assert stored_api_key(new_only) == SECRET  # now the old key can go
    with pytest.raises(SecretsError):
        stored_api_key(app_with_keys(tmp_path, database_url, OLD_KEY))
    for each in (old, both, new_only):
        with each.app_context():
            db.engine.dispose()


# -- integrations that are instances of a plugin (VendorInfo.instances) -----------------------------


def test_only_a_plugin_that_allows_instances_gets_more_integrations(app_ctx, fake_vendor):
    with pytest.raises(VendorConfigError) as refused:
        integrations.add_instance("fake", "fake-2", "Fake again", Actor.cli())
    assert refused.value.field == "plugin"
    with pytest.raises(VendorConfigError) as unknown:
        integrations.add_instance("nope", "nope-2", "Nope", Actor.cli())
    assert unknown.value.field == "plugin"


class ManyVendors(FakeVendor):
    @hookimpl
    def hub_vendor_info(self):
        return replace(super().hub_vendor_info(), instances=True)


def test_an_instance_is_an_integration_of_its_own_that_calls_its_plugin(app_ctx):
    registry = app_ctx.extensions["hub.plugins"]
    vendor = ManyVendors("many")
    registry.register(vendor, "many")
    added = integrations.add_instance("many", "many-one", "  First   vendor ", Actor.cli())
    assert (added.plugin, added.display_name, added.state) == ("many", "First vendor", "not_configured")
    assert integrations.handle_for("many-one").slug == "many"
    integrations.configure("many-one", dict(FAKE_CONFIG), Actor.cli(), enable=True)
    vendor.add("c1", "Contoso", seats=2)
    assert run_sync("many-one").status == "succeeded"
    assert integrations.display_names()["many-one"] == "First vendor"
    with pytest.raises(VendorConfigError, match="already taken") as taken:
        integrations.add_instance("many", "many", "Named like the plugin", Actor.cli())
    assert taken.value.field == "slug"
    event = db.session.execute(db.select(AuditEvent).filter_by(action="integration.add")).scalar_one()
    assert (event.new_value, event.details["plugin"]) == ("many-one", "many")
