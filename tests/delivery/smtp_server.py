"""A real SMTP server on loopback for the tests (aiosmtpd), never the network.

It keeps every message it accepted; ``fail_next`` makes it answer the next DATA commands with a
temporary (4xx) or permanent (5xx) refusal; ``credentials`` turns on AUTH (over plain text: loopback).
"""

from __future__ import annotations

import email
import email.policy
import ipaddress
import socket
import ssl
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: email.message.EmailMessage


@dataclass
class Handler:
    received: list[Received] = field(default_factory=list)
    fail_next: list[str] = field(default_factory=list)  # replies for the next DATA commands
    logins: list[tuple[str, str]] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):
        if self.fail_next:
            return self.fail_next.pop(0)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 2.0.0 Ok: queued as TEST123"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """(certificate, key) for 127.0.0.1, written into ``folder``; the certificate is its own CA."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(hours=1))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class SmtpServer:
    """``tls``: None, "starttls" (offers and requires STARTTLS) or "tls" (implicit TLS), with ``certificate``."""

    def __init__(self, credentials: tuple[str, str] | None = None, tls: str | None = None,
                 certificate: tuple[Path, Path] | None = None) -> None:
        self.handler = Handler()
        self.credentials = credentials
        self.port = free_port()
        self.security = tls or "none"
        kwargs = {}
        if tls:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(*certificate)
            kwargs = ({"tls_context": context, "require_starttls": True} if tls == "starttls"
                      else {"ssl_context": context})
        if credentials:
            # PLAIN only: aiosmtpd and smtplib disagree on LOGIN after a refused PLAIN (a 30 s hang)
            kwargs.update(authenticator=self._authenticate, auth_require_tls=False, auth_required=True,
                          auth_exclude_mechanism=["LOGIN"])
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **kwargs)

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword):
            user, password = auth_data.login.decode(), auth_data.password.decode()
            self.handler.logins.append((user, password))
            return AuthResult(success=(user, password) == self.credentials, handled=False)
        return AuthResult(success=False, handled=False)

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def settings(self, **extra) -> dict:
        values = {"host": "127.0.0.1", "port": str(self.port), "security": self.security,
                  "from_address": "billing@msp.example", "from_name": "Example MSP Billing"}
        values.update(extra)
        return values

    def __enter__(self) -> "SmtpServer":
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()
