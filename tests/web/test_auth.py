"""Sign-in, sign-out, rate limiting, cookies and security headers."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from hub.extensions import db
from hub.models import User
from hub.timeutil import utcnow
from tests.web.conftest import PASSWORD, add_user


class FakeClock:
    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(app):
    fake = FakeClock()
    app.extensions["hub.login_limiter"].clock = fake
    return fake


def test_login_page_is_public_and_every_other_page_sends_you_there(client):
    assert client.get("/login").status_code == 200
    response = client.get("/admin/mapping/?vendor=x")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/admin/mapping/")
    assert client.get("/api/mapping/customers").status_code == 401
    assert client.get("/healthz").json == {"status": "ok", "database": "ok"}


def test_sign_in_and_out(client, auth, users):
    response = auth.login("billing")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    page = client.get("/").data.decode()
    assert "billing@example.com" in page and 'class="role role-billing"' in page
    assert db.session.get(User, users["billing"].id).last_login_at is not None
    assert client.get("/logout").status_code == 405  # sign-out is a POST (CSRF-protected)
    assert auth.logout().status_code == 302
    assert client.get("/").status_code == 302


@pytest.mark.parametrize(("email", "password"), [
    ("billing@example.com", "wrong password"),
    ("nobody@example.com", PASSWORD),
    ("", ""),
])
def test_wrong_credentials_get_one_message_that_names_neither(client, users, email, password):
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 401
    assert "Wrong e-mail or password." in response.data.decode()
    assert client.get("/").status_code == 302


def test_inactive_users_cannot_sign_in(client, app_ctx):
    add_user("gone@example.com", "admin", active=False)
    assert client.post("/login", data={"email": "gone@example.com", "password": PASSWORD}).status_code == 401


def test_a_user_deactivated_while_signed_in_is_signed_out(client, auth, users):
    auth.login("admin")
    assert client.get("/").status_code == 200
    users["admin"].active = False
    db.session.commit()
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"])
def test_next_never_leaves_the_site(client, users, target):
    response = client.post("/login", data={"email": "viewer@example.com", "password": PASSWORD, "next": target})
    assert response.headers["Location"] == "/"


def test_next_returns_to_the_page_asked_for(client, users):
    response = client.post("/login", data={"email": "viewer@example.com", "password": PASSWORD,
                                           "next": "/admin/audit/?action=mapping"})
    assert response.headers["Location"] == "/admin/audit/?action=mapping"


def test_login_attempts_are_limited_per_account_and_address(app, client, users, clock):
    limit = app.config["HUB_LOGIN_ATTEMPTS_PER_15_MIN"]
    for _ in range(limit):
        assert client.post("/login", data={"email": "admin@example.com", "password": "nope"}).status_code == 401
    # now even the right password is refused, without being checked
    blocked = client.post("/login", data={"email": "Admin@Example.com", "password": PASSWORD})
    assert blocked.status_code == 429
    assert "Too many sign-in attempts" in blocked.data.decode()
    # another account from the same address is not locked out by someone guessing admin's password
    assert client.post("/login", data={"email": "viewer@example.com", "password": PASSWORD}).status_code == 302
    client.post("/logout")
    # the same account from another address is not blocked either
    other = app.test_client()
    assert other.post("/login", data={"email": "admin@example.com", "password": PASSWORD},
                      environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code == 302
    # after the window the account may try again
    clock.now += timedelta(seconds=15 * 60 + 1)
    assert client.post("/login", data={"email": "admin@example.com", "password": PASSWORD}).status_code == 302


def test_a_successful_sign_in_clears_the_failures(app, client, users, clock):
    limit = app.config["HUB_LOGIN_ATTEMPTS_PER_15_MIN"]
    for _ in range(limit - 1):
        client.post("/login", data={"email": "admin@example.com", "password": "nope"})
    assert client.post("/login", data={"email": "admin@example.com", "password": PASSWORD}).status_code == 302
    client.post("/logout")
    for _ in range(limit - 1):
        assert client.post("/login", data={"email": "admin@example.com", "password": "nope"}).status_code == 401
    assert client.post("/login", data={"email": "admin@example.com", "password": PASSWORD}).status_code == 302


def test_one_address_spraying_many_accounts_is_limited_too(app, client, users, clock, monkeypatch):
    from werkzeug.security import generate_password_hash

    from hub.web.ratelimit import ADDRESS_FACTOR

    # unknown accounts are checked against a scrypt hash (same cost as a real one); keep this test quick
    monkeypatch.setattr("hub.web.auth._DUMMY_HASH", generate_password_hash("x", method="pbkdf2:sha256:1"))

    limit = app.config["HUB_LOGIN_ATTEMPTS_PER_15_MIN"]
    for n in range(limit * ADDRESS_FACTOR):
        client.post("/login", data={"email": f"guess{n}@example.com", "password": "nope"})
    assert client.post("/login", data={"email": "viewer@example.com", "password": PASSWORD}).status_code == 429


def test_session_cookie_is_httponly_and_samesite(client, users):
    response = client.post("/login", data={"email": "viewer@example.com", "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_secure_cookies_when_configured(tmp_path, database_url):
    from hub import create_app
    from tests.conftest import make_test_config

    app = create_app(make_test_config(tmp_path, database_url, SESSION_COOKIE_SECURE=True))
    with app.app_context():
        db.create_all()
        add_user("admin@example.com", "admin")
        try:
            response = app.test_client().post("/login", data={"email": "admin@example.com", "password": PASSWORD})
            assert "Secure" in response.headers["Set-Cookie"]
            assert app.config["REMEMBER_COOKIE_SECURE"] is True
        finally:
            db.session.remove()
            db.drop_all()
            db.engine.dispose()


def test_security_headers(client):
    response = client.get("/login")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
