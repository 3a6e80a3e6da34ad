"""A real SMTP server on loopback for the tests (aiosmtpd), never the network.

It keeps every message it accepted; ``fail_next`` makes it answer the next DATA commands with a
temporary (4xx) or permanent (5xx) refusal; ``credentials`` turns on AUTH (over plain text: loopback).
"""

from __future__ import annotations

import email
import email.policy
import socket
from dataclasses import dataclass, field

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


class SmtpServer:
    def __init__(self, credentials: tuple[str, str] | None = None) -> None:
        self.handler = Handler()
        self.credentials = credentials
        self.port = free_port()
        kwargs = {}
        if credentials:
            # PLAIN only: aiosmtpd and smtplib disagree on LOGIN after a refused PLAIN (a 30 s hang)
            kwargs = dict(authenticator=self._authenticate, auth_require_tls=False, auth_required=True,
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
        values = {"host": "127.0.0.1", "port": str(self.port), "security": "none",
                  "from_address": "billing@msp.example", "from_name": "Example MSP Billing"}
        values.update(extra)
        return values

    def __enter__(self) -> "SmtpServer":
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()
