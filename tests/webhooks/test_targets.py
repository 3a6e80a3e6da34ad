"""Safe by default: which URLs may be registered, and the socket guard at send time (DNS rebinding)."""

from __future__ import annotations

import socket

import pytest
import requests

from hub.extensions import db
from hub.models import WebhookAttempt
from hub.webhooks import endpoints
from hub.webhooks.outbox import emit
from hub.webhooks.targets import BlockedAddressError, TargetError, address_problem, check_url, guarded_session
from hub.webhooks.worker import deliver_due
from tests.conftest import empty_tables, make_test_config
from tests.webhooks.conftest import ADMIN
from tests.webhooks.receiver import Receiver

PUBLIC_V4 = "93.184.216.34"


def _resolving_to(monkeypatch, *addresses: str) -> None:
    """Every name resolves to ``addresses`` (no DNS needed; IP literals still resolve as themselves)."""
    real = socket.getaddrinfo

    def fake(host, port, *args, **kwargs):
        try:
            socket.inet_pton(socket.AF_INET6 if ":" in host else socket.AF_INET, host)
            return real(host, port, *args, **kwargs)
        except OSError:
            return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
                    for a in addresses]

    monkeypatch.setattr(socket, "getaddrinfo", fake)


@pytest.mark.parametrize("url, allow_private, problem", [
    (f"https://{PUBLIC_V4}/hook", False, None),
    ("https://hooks.example.com/in", False, None),  # resolves to PUBLIC_V4 below
    (f"http://{PUBLIC_V4}/hook", False, "must use https"),
    (f"http://{PUBLIC_V4}/hook", True, "must use https"),  # plain http only to private targets
    ("ftp://hooks.example.com/", False, "must start with https"),
    ("https:///nohost", False, "must start with https"),
    ("", False, "enter the endpoint's URL"),
    ("https://user:pw@hooks.example.com/", False, "user name or password"),
    ("https://127.0.0.1/hook", False, "loopback"),
    ("https://[::1]/hook", False, "loopback"),
    ("https://10.1.2.3/hook", False, "private or reserved"),
    ("https://192.168.1.10/hook", False, "private or reserved"),
    ("https://172.16.0.5/hook", False, "private or reserved"),
    ("https://100.64.0.1/hook", False, "private or reserved"),  # carrier-grade NAT
    ("https://169.254.169.254/latest/meta-data", False, "link-local"),  # cloud metadata
    ("https://[fe80::1]/hook", False, "link-local"),
    ("https://[::ffff:127.0.0.1]/hook", False, "loopback"),  # IPv4-mapped
    ("https://0.0.0.0/hook", True, "not a host address"),
    ("https://224.0.0.1/hook", True, "not a host address"),
    ("https://127.0.0.1/hook", True, None),
    ("http://127.0.0.1:8080/hook", True, None),
    ("http://10.0.0.8/hook", True, None),
    ("https://hooks.example.com:99999/", False, "not a valid URL"),
    ("https://" + "a" * 2000 + ".com/", False, "more than 2000"),
])
def test_url_safety(monkeypatch, url, allow_private, problem):
    _resolving_to(monkeypatch, PUBLIC_V4)
    if problem is None:
        assert check_url(url, allow_private) == url
    else:
        with pytest.raises(TargetError) as err:
            check_url(url, allow_private)
        assert problem in str(err.value)


def test_a_name_resolving_to_any_private_address_is_refused(monkeypatch):
    _resolving_to(monkeypatch, PUBLIC_V4, "10.0.0.7")
    with pytest.raises(TargetError, match="10.0.0.7 is a private"):
        check_url("https://mixed.example.com/", False)


def test_the_guard_refuses_a_connection_that_reaches_a_blocked_address():
    with Receiver() as receiver:
        with guarded_session(allow_private=False) as session, pytest.raises(requests.ConnectionError) as err:
            session.post(receiver.url, data=b"{}", timeout=5)
        assert isinstance(err.value.args[0].reason, BlockedAddressError)
        assert receiver.count == 0  # refused before a byte was sent
        with guarded_session(allow_private=True) as session:
            assert session.post(receiver.url, data=b"{}", timeout=5).status_code == 200


def test_dns_rebinding_is_refused_at_send_time(tmp_path, database_url, monkeypatch):
    """Registered while the name pointed at a public address; at send time it points at 127.0.0.1."""
    from hub import create_app

    app = create_app(make_test_config(tmp_path, database_url))  # HUB_WEBHOOKS_ALLOW_PRIVATE off
    with app.app_context(), Receiver() as receiver:
        db.create_all()
        try:
            _resolving_to(monkeypatch, PUBLIC_V4)
            port = receiver.url.split(":")[2].split("/")[0]
            endpoints.add_endpoint(f"https://rebind.example.com:{port}/hooks", "*", ADMIN)
            _resolving_to(monkeypatch, "127.0.0.1")
            emit("invoice.voided", {"invoice_id": 1})
            db.session.commit()
            deliver_due(max_seconds=0.01)
            attempt = db.session.execute(db.select(WebhookAttempt)).scalar_one()
            assert "127.0.0.1 is a loopback address" in attempt.error
            assert receiver.count == 0
            # even when the name check is fooled (public at check, loopback at connect), the socket refuses
            answers = iter([[PUBLIC_V4], ["127.0.0.1"]])
            import hub.webhooks.targets as targets

            monkeypatch.setattr(targets, "resolve", lambda host, port: next(answers))
            _resolving_to(monkeypatch, "127.0.0.1")
            db.session.execute(db.update(WebhookAttempt.__table__).values(error=None))
            from hub.models import WebhookDelivery
            from hub.timeutil import utcnow

            db.session.execute(db.update(WebhookDelivery.__table__).values(status="pending", next_attempt_at=utcnow()))
            db.session.commit()
            deliver_due(max_seconds=0.01)
            last = db.session.execute(db.select(WebhookAttempt).order_by(WebhookAttempt.id.desc())).scalars().first()
            assert last.error and "127.0.0.1 is a loopback address" in last.error and receiver.count == 0
        finally:
            empty_tables(app)  # the suite's own clean-up (with hub.allow_purge for the billing guards)


@pytest.mark.parametrize("address, allowed", [("8.8.8.8", True), ("2001:4860:4860::8888", True),
                                              ("127.0.0.2", False), ("fd00::1", False), ("::", False)])
def test_address_rules(address, allowed):
    assert (address_problem(address, allow_private=False) is None) is allowed
