"""SMTP: the settings (password Fernet-encrypted, write-only), the connection, and sending one message.

The password is never shown back, never logged and never put in an audit event: the panel only
says whether one is stored. Settings are checked (and, unless told not to, the connection tried)
before they are saved; "send test e-mail" works on settings not saved yet.
"""

from __future__ import annotations

import email.policy
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from typing import Any

from flask import current_app

from hub.audit import Actor, record
from hub.billing import validate
from hub.billing.errors import BillingError
from hub.delivery.contacts import check_address
from hub.delivery.errors import DeliveryError, DeliveryFieldErrors
from hub.extensions import db
from hub.models import SmtpSecurity, SmtpSettings
from hub.security.secrets import REDACTED, SecretsError
from hub.inputs import shown

FIELDS = ("host", "port", "security", "username", "from_address", "from_name")
DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}


@dataclass(frozen=True)
class SmtpConfig:
    """Settings ready to connect with. ``repr`` never shows the password."""

    host: str
    port: int
    security: str
    from_address: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    from_name: str | None = None


class SendFailure(Exception):
    """A message was not sent. ``permanent``: the server refused it for good (5xx): no retry."""

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent


def _box():
    return current_app.extensions["hub.secrets"]


def get_settings() -> SmtpSettings | None:
    return db.session.get(SmtpSettings, 1)


def has_password() -> bool:
    row = get_settings()
    return bool(row and row.password_token)


def _host(value: Any) -> str:
    host = validate.text(value, "host", max_len=255)
    if any(c.isspace() for c in host) or "/" in host:
        raise DeliveryError(f"SMTP host: enter a host name or address, not {shown(host)}", "host")
    return host


def clean(values: dict[str, Any], errors: dict[str, str] | None = None) -> dict[str, Any]:
    """Checked settings. Every bad field is reported at once (``FieldErrors``), together with any
    ``errors`` the caller found already."""
    errors = dict(errors or {})

    def checked(name: str, check):
        try:
            return check()
        except BillingError as err:
            errors.setdefault(err.field or name, err.message)
            return None

    for name in sorted(set(values) - set(FIELDS)):
        errors[name] = f"{name} is not an SMTP setting"
    security = checked("security", lambda: validate.choice(values.get("security") or "", "security", SmtpSecurity))
    port_raw = values.get("port")
    result = {
        "host": checked("host", lambda: _host(values.get("host"))),
        "port": (DEFAULT_PORTS.get(security) if port_raw in (None, "") else
                 checked("port", lambda: validate.integer(port_raw, "port", minimum=1, maximum=65535))),
        "security": security,
        "username": checked("username", lambda: validate.text(values.get("username"), "username", max_len=255,
                                                              required=False)),
        "from_address": checked("from_address", lambda: check_address(
            validate.text(values.get("from_address"), "from_address", max_len=320), "from_address")),
        "from_name": checked("from_name", lambda: validate.text(values.get("from_name"), "from_name", max_len=200,
                                                                required=False)),
    }
    if errors:
        raise DeliveryFieldErrors(errors)
    return result


def stored_password() -> str | None:
    row = get_settings()
    if not row or not row.password_token:
        return None
    try:
        return _box().decrypt(row.password_token).get("password")
    except SecretsError as err:
        raise DeliveryError(f"password: {err}; enter it again", "password") from None


def config_from(values: dict[str, Any], password: str | None, *, keep_stored: bool = True,
                errors: dict[str, str] | None = None) -> SmtpConfig:
    """A config from form values; an empty password means "the stored one" unless ``keep_stored`` is off."""
    if not password and keep_stored:
        password = stored_password()
    errors = dict(errors or {})
    if str(values.get("username") or "").strip() and not password:
        errors["password"] = "Password: enter the password of that user name"
    return SmtpConfig(password=password or None, **clean(values, errors))


def saved_config() -> SmtpConfig | None:
    row = get_settings()
    if row is None:
        return None
    return SmtpConfig(host=row.host, port=row.port, security=row.security, from_address=row.from_address,
                      username=row.username, password=stored_password(), from_name=row.from_name)


def save_settings(values: dict[str, Any], password: str | None, actor: Actor, *, clear_password: bool = False,
                  check_connection: bool = True) -> SmtpSettings:
    """Check, optionally try the connection, then save. A blank password keeps the stored one. Commits."""
    config = config_from(values, None if clear_password else password, keep_stored=not clear_password)
    if check_connection:
        try:
            with connect(config):
                pass
        except SendFailure as err:
            raise DeliveryError(f"the connection check failed: {err.message}", _field_of(err)) from None
    row = get_settings()
    if row is None:
        row = SmtpSettings(id=1)
        db.session.add(row)
    for key in FIELDS:
        old, new = getattr(row, key), getattr(config, key)
        if old != new:
            setattr(row, key, new)
            record(actor, "smtp.update", "smtp_settings", 1, field=key, old=old, new=new)
    new_token = _box().encrypt({"password": config.password}) if config.password else None
    had, has = bool(row.password_token), bool(new_token)
    if password or clear_password or not has:
        if had or has:
            # the value never leaves this module: the audit says only that it changed
            record(actor, "smtp.update", "smtp_settings", 1, field="password",
                   old=REDACTED if had else None, new=REDACTED if has else None)
        row.password_token = new_token
    db.session.commit()
    return row


def _field_of(err: SendFailure) -> str:
    text = err.message.lower()
    return "password" if "auth" in text or "535" in text or "password" in text else "host"


def _tls_context() -> ssl.SSLContext:
    """Certificates are verified; ``HUB_SMTP_CA_FILE`` adds a private CA (a company relay)."""
    return ssl.create_default_context(cafile=current_app.config.get("HUB_SMTP_CA_FILE") or None)


class connect:
    """``with connect(config) as smtp:`` an open, greeted, logged-in SMTP session, or a SendFailure."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self.smtp: smtplib.SMTP | None = None

    def __enter__(self) -> smtplib.SMTP:
        c = self.config
        timeout = float(current_app.config.get("HUB_SMTP_TIMEOUT", 30))
        try:
            if c.security == SmtpSecurity.TLS.value:
                self.smtp = smtplib.SMTP_SSL(c.host, c.port, timeout=timeout, context=_tls_context())
            else:
                self.smtp = smtplib.SMTP(c.host, c.port, timeout=timeout)
            self.smtp.ehlo()
            if c.security == SmtpSecurity.STARTTLS.value:
                self.smtp.starttls(context=_tls_context())
                self.smtp.ehlo()
            if c.username:
                self.smtp.login(c.username, c.password or "")
        except smtplib.SMTPAuthenticationError as err:
            self._close()
            raise SendFailure(f"authentication refused: {err.smtp_code} {_text(err.smtp_error)}",
                              permanent=True) from None
        except smtplib.SMTPNotSupportedError as err:
            self._close()
            raise SendFailure(f"the server does not offer this: {err}", permanent=True) from None
        except Exception as err:
            self._close()
            raise classify(err) from None
        return self.smtp

    def __exit__(self, *exc) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except Exception:  # the message is already accepted or already failed; closing is best effort
                self._close()

    def _close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.close()
            except Exception:
                pass


def _text(raw: Any) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


def classify(err: Exception) -> SendFailure:
    """An exception from smtplib or the network as a SendFailure: 5xx replies are permanent."""
    if isinstance(err, SendFailure):
        return err
    if isinstance(err, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in err.recipients.values()]
        refused = "; ".join(f"{addr}: {code} {_text(msg)}" for addr, (code, msg) in err.recipients.items())
        return SendFailure(f"recipients refused: {refused}", permanent=all(c >= 500 for c in codes))
    if isinstance(err, smtplib.SMTPResponseException):
        return SendFailure(f"{err.smtp_code} {_text(err.smtp_error)}", permanent=err.smtp_code >= 500)
    if isinstance(err, ssl.SSLError):
        return SendFailure(f"TLS failed: {err.reason or err}")
    if isinstance(err, (OSError, smtplib.SMTPException)):
        return SendFailure(f"{type(err).__name__}: {err}" if str(err) else type(err).__name__)
    return SendFailure(f"{type(err).__name__}: {err}")


def new_message(config: SmtpConfig, to: list[str], cc: list[str], subject: str, body: str,
                message_id: str | None = None) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = formataddr((config.from_name or "", config.from_address))
    msg["To"] = ", ".join(to)
    if cc:
        msg["Cc"] = ", ".join(cc)
    msg["Subject"] = subject
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = message_id or make_msgid(domain=config.from_address.rsplit("@", 1)[1])
    msg.set_content(body)
    return msg


def send(config: SmtpConfig, msg: EmailMessage) -> str:
    """Send ``msg`` to its To and Cc; the server's reply to the message (often its queue id).
    Raises SendFailure. Written out step by step because smtplib drops that reply."""
    recipients = [a.strip() for h in ("To", "Cc") for a in str(msg.get(h) or "").split(",") if a.strip()]
    with connect(config) as smtp:
        try:
            code, reply = smtp.mail(config.from_address)
            if code != 250:
                raise smtplib.SMTPSenderRefused(code, reply, config.from_address)
            refused = {}
            for address in recipients:
                code, reply = smtp.rcpt(address)
                if code not in (250, 251):
                    refused[address] = (code, reply)
            if len(refused) == len(recipients):
                raise smtplib.SMTPRecipientsRefused(refused)
            code, reply = smtp.data(msg.as_bytes(policy=email.policy.SMTP))
            if code != 250:
                raise smtplib.SMTPDataError(code, reply)
        except Exception as err:
            raise classify(err) from None
    answer = f"{code} {_text(reply)}"
    if refused:
        answer += "; refused: " + "; ".join(f"{a}: {c} {_text(m)}" for a, (c, m) in refused.items())
    return answer


def send_test(values: dict[str, Any], password: str | None, to: str, actor: Actor) -> str:
    """Send a test e-mail with settings that need not be saved yet. Returns the server's reply."""
    errors = {}
    try:
        to_address = check_address(validate.text(to, "test_to", max_len=320), "test_to")
    except BillingError as err:
        errors[err.field or "test_to"] = err.message
    config = config_from(values, password, errors=errors)  # every bad field at once, test_to too
    msg = new_message(config, [to_address], [], "Test e-mail from the MSP Billing Hub",
                      "This is a test e-mail. The hub's SMTP settings work.\n")
    try:
        reply = send(config, msg)
    except SendFailure as err:
        record(actor, "smtp.test", "smtp_settings", 1, new="failed", details={"to": to_address, "error": err.message})
        db.session.commit()
        raise DeliveryError(f"the test e-mail was not sent: {err.message}", _field_of(err)) from None
    record(actor, "smtp.test", "smtp_settings", 1, new="sent", details={"to": to_address, "reply": reply})
    db.session.commit()
    return reply
