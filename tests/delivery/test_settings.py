"""SMTP settings: checked before saving, the password encrypted and write-only, "send test e-mail"
with settings not saved yet; the e-mail templates' placeholders."""

from __future__ import annotations

import logging

import pytest

from hub.billing.errors import BillingError
from hub.delivery import smtp, templates
from hub.extensions import db
from hub.models import AuditEvent, SmtpSettings
from tests.delivery.conftest import SETUP
from tests.delivery.smtp_server import SmtpServer, free_port, self_signed_certificate

PASSWORD = "s3cret-Relay-Pa55"
#: AUTH without TLS is fine on loopback
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH")


@pytest.fixture
def auth_server():
    with SmtpServer(credentials=("hub", PASSWORD)) as server:
        yield server


def audit_text() -> str:
    return repr([(e.action, e.field, e.old_value, e.new_value, e.details) for e in
                 db.session.execute(db.select(AuditEvent)).scalars()])


def test_the_password_is_encrypted_write_only_and_never_logged(app_ctx, auth_server, caplog):
    caplog.set_level(logging.DEBUG)
    smtp.save_settings(auth_server.settings(username="hub"), PASSWORD, SETUP)
    row = db.session.get(SmtpSettings, 1)
    assert row.password_token and PASSWORD not in row.password_token
    assert auth_server.handler.logins == [("hub", PASSWORD)]  # the connection was checked with it
    assert smtp.has_password() and PASSWORD not in repr(smtp.saved_config())
    # a blank password keeps the stored one; changing another field does not touch it
    smtp.save_settings(auth_server.settings(username="hub", from_name="Billing"), "", SETUP)
    assert smtp.stored_password() == PASSWORD
    assert PASSWORD not in audit_text() and PASSWORD not in caplog.text
    assert "('smtp.update', 'password', None, '***', None)" in audit_text()


def test_a_wrong_password_is_refused_naming_the_field_and_nothing_is_saved(app_ctx, auth_server):
    with pytest.raises(BillingError) as err:
        smtp.save_settings(auth_server.settings(username="hub"), "wrong", SETUP)
    assert err.value.field == "password" and "authentication refused" in err.value.message, err.value.message
    db.session.rollback()
    assert smtp.get_settings() is None


def test_an_unreachable_host_is_refused_unless_saved_without_the_check(app_ctx):
    values = {"host": "127.0.0.1", "port": str(free_port()), "security": "none", "from_address": "b@msp.example"}
    with pytest.raises(BillingError) as err:
        smtp.save_settings(values, None, SETUP)
    assert err.value.field == "host"
    db.session.rollback()
    assert smtp.get_settings() is None
    smtp.save_settings(values, None, SETUP, check_connection=False)
    assert smtp.get_settings().port == int(values["port"])


@pytest.mark.parametrize(("change", "field"), [
    ({"host": ""}, "host"), ({"host": "smtp example"}, "host"), ({"port": "0"}, "port"),
    ({"port": "abc"}, "port"), ({"security": "ssl3"}, "security"), ({"from_address": "nobody"}, "from_address"),
])
def test_bad_settings_name_their_field(app_ctx, change, field):
    values = {"host": "smtp.example", "port": "587", "security": "starttls", "from_address": "b@msp.example"}
    with pytest.raises(BillingError) as err:
        smtp.save_settings({**values, **change}, None, SETUP, check_connection=False)
    assert err.value.field == field


def test_a_test_e_mail_uses_unsaved_settings_and_saves_nothing(app_ctx, auth_server):
    reply = smtp.send_test(auth_server.settings(username="hub"), PASSWORD, "me@msp.example", SETUP)
    assert reply.startswith("250")
    [got] = auth_server.received
    assert got.rcpt_tos == ["me@msp.example"] and got.message["Subject"] == "Test e-mail from the MSP Billing Hub"
    assert smtp.get_settings() is None
    with pytest.raises(BillingError) as err:
        smtp.send_test(auth_server.settings(), None, "not an address", SETUP)
    assert err.value.field == "test_to"


def test_clearing_the_password(app_ctx, auth_server):
    smtp.save_settings(auth_server.settings(username="hub"), PASSWORD, SETUP)
    smtp.save_settings(auth_server.settings(), None, SETUP, clear_password=True, check_connection=False)
    assert not smtp.has_password() and smtp.get_settings().username is None


def test_templates_fill_known_placeholders_only():
    values = {"invoice_number": "INV-000001", "organization": "{total}", "total": "1.00 USD"}
    assert templates.fill("{invoice_number} {{literal}} {organization}", values) == "INV-000001 {literal} {total}"


@pytest.mark.parametrize(("subject", "why"), [
    ("Invoice {number}", "unknown placeholder {number}"),
    ("{invoice_number.__class__}", "a lone '{'"),
    ("{0}", "a lone '{'"),
    ("{{ config }} {% raw %}", "a lone '{'"),
    ("Open { brace", "a lone '{'"),
])
def test_templates_refuse_anything_but_placeholders(app_ctx, subject, why):
    with pytest.raises(BillingError) as err:
        templates.update_template(subject, "body", SETUP)
    assert err.value.field == "subject" and why in err.value.message
    db.session.rollback()
    assert templates.get_template() == (templates.DEFAULT_SUBJECT, templates.DEFAULT_BODY)


def test_templates_are_saved_and_audited(app_ctx):
    templates.update_template("Your invoice {invoice_number}", "Due {due_date}. {{thanks}}", SETUP)
    assert templates.get_template() == ("Your invoice {invoice_number}", "Due {due_date}. {{thanks}}")
    assert "email_template.update" in audit_text()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    return self_signed_certificate(tmp_path_factory.mktemp("tls"))


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_tls_is_verified_against_the_configured_ca(app, certificate, security):
    """STARTTLS and implicit TLS check the server's certificate: refused without the CA, sent with it."""
    with SmtpServer(tls=security, certificate=certificate) as server, app.app_context():
        with pytest.raises(BillingError) as err:
            smtp.send_test(server.settings(), None, "me@msp.example", SETUP)
        assert err.value.field == "host" and "certificate" in err.value.message.lower(), err.value.message
        db.session.rollback()
        app.config["HUB_SMTP_CA_FILE"] = str(certificate[0])
        assert smtp.send_test(server.settings(), None, "me@msp.example", SETUP).startswith("250")
        assert len(server.received) == 1
