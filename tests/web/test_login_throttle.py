"""Sign-in throttling that cannot lock users out (issue 9, defect 6), counted in the database so every
web worker shares the counts, and ``HUB_TRUSTED_PROXIES`` for the client address behind a proxy."""

from __future__ import annotations

import pytest
from werkzeug.security import generate_password_hash

from hub import create_app
from hub.extensions import db
from hub.models import LoginFailure
from hub.web.ratelimit import ADDRESS_FACTOR
from tests.conftest import make_test_config
from tests.web.conftest import PASSWORD


@pytest.fixture
def sleeps(app, monkeypatch):
    """The delays the throttle asked for, instead of sleeping them."""
    asked: list[float] = []
    app.extensions["hub.login_limiter"].sleep = asked.append
    # unknown accounts are checked against a scrypt hash; a cheap one keeps 50 attempts quick
    monkeypatch.setattr("hub.web.auth._DUMMY_HASH", generate_password_hash("x", method="pbkdf2:sha256:1"))
    return asked


def _fail(client, email, n, **kwargs):
    for _ in range(n):
        assert client.post("/login", data={"email": email, "password": "wrong"}, **kwargs).status_code in (401, 429)


def test_fifty_failures_from_an_address_do_not_lock_out_an_admin_who_signed_in_from_it(app, client, users, sleeps):
    limit = app.config["HUB_LOGIN_ATTEMPTS_PER_15_MIN"]
    assert client.post("/login", data={"email": "admin@example.com", "password": PASSWORD}).status_code == 302
    client.post("/logout")
    _fail(client, "admin@example.com", limit * ADDRESS_FACTOR)  # someone behind the same address guesses
    assert len(sleeps) == limit * (ADDRESS_FACTOR - 1), "each guess over the limit was slowed down"
    assert sleeps == sorted(sleeps) and sleeps[-1] > sleeps[0]  # more and more
    response = client.post("/login", data={"email": "admin@example.com", "password": PASSWORD})
    assert response.status_code == 302, "a correct password from a known address is slowed down, not refused"
    assert len(sleeps) == limit * (ADDRESS_FACTOR - 1) + 1


def test_an_address_that_never_signed_in_to_an_account_is_refused_over_the_limit(app, client, users, sleeps):
    limit = app.config["HUB_LOGIN_ATTEMPTS_PER_15_MIN"]
    _fail(client, "viewer@example.com", limit)
    assert client.post("/login", data={"email": "viewer@example.com", "password": PASSWORD}).status_code == 429
    for n in range(limit * ADDRESS_FACTOR):  # spraying many accounts from one address
        client.post("/login", data={"email": f"guess{n}@example.com", "password": "wrong"})
    assert client.post("/login", data={"email": "billing@example.com", "password": PASSWORD}).status_code == 429


def test_a_sign_in_attempt_storm_on_one_account_from_many_addresses_slows_but_never_refuses(app, client, users,
                                                                                           sleeps):
    limit = app.config["HUB_LOGIN_ATTEMPTS_PER_15_MIN"]
    for n in range(limit * ADDRESS_FACTOR):
        client.post("/login", data={"email": "admin@example.com", "password": "wrong"},
                    environ_base={"REMOTE_ADDR": f"10.0.{n // 200}.{n % 200}"})
    sleeps.clear()
    response = client.post("/login", data={"email": "admin@example.com", "password": PASSWORD},
                           environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert response.status_code == 302 and sleeps


def test_failures_counted_by_one_worker_count_for_another(app, client, users, sleeps, tmp_path, database_url):
    """Two app instances on one database (two web workers) see the same failures."""
    limit = app.config["HUB_LOGIN_ATTEMPTS_PER_15_MIN"]
    _fail(client, "viewer@example.com", limit)
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    other = create_app(make_test_config(tmp_path / "worker2", database_url, SQLALCHEMY_DATABASE_URI=uri))
    with other.app_context():
        try:
            response = other.test_client().post("/login", data={"email": "viewer@example.com", "password": PASSWORD})
            assert response.status_code == 429
        finally:
            db.session.remove()
            db.engine.dispose()
    assert db.session.scalar(db.select(db.func.count()).select_from(LoginFailure)) == limit


def test_old_failures_are_dropped_as_new_ones_come(app, client, users, sleeps):
    from datetime import timedelta

    from hub.timeutil import utcnow

    db.session.add(LoginFailure(account="x@example.com", address="10.9.9.9", failed_at=utcnow() - timedelta(hours=2)))
    db.session.commit()
    _fail(client, "viewer@example.com", 1)
    assert db.session.execute(db.select(LoginFailure.account)).scalars().all() == ["viewer@example.com"]


def test_trusted_proxies_take_the_client_address_from_x_forwarded_for(tmp_path, database_url, app, users, sleeps):
    """With HUB_TRUSTED_PROXIES=1 each forwarded client has its own count; the proxy's address is no one's."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    proxied = create_app(make_test_config(tmp_path / "proxied", database_url, SQLALCHEMY_DATABASE_URI=uri,
                                          HUB_TRUSTED_PROXIES=1))
    limit = app.config["HUB_LOGIN_ATTEMPTS_PER_15_MIN"]
    with proxied.app_context():
        try:
            client = proxied.test_client()
            proxied.extensions["hub.login_limiter"].sleep = sleeps.append
            for _ in range(limit):
                client.post("/login", data={"email": "viewer@example.com", "password": "wrong"},
                            headers={"X-Forwarded-For": "203.0.113.5"})
            addresses = set(db.session.execute(db.select(LoginFailure.address)).scalars())
            assert addresses == {"203.0.113.5"}
            ok = client.post("/login", data={"email": "viewer@example.com", "password": PASSWORD},
                             headers={"X-Forwarded-For": "203.0.113.6"})
            assert ok.status_code == 302
        finally:
            db.session.remove()
            db.engine.dispose()


def test_trusted_proxies_setting_is_read_from_the_environment(monkeypatch):
    from hub.config import _env_value

    assert _env_value("HUB_TRUSTED_PROXIES", "2") == 2
