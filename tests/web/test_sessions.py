"""Sessions end on the server (issue 9, defect 5): a session cookie copied before a logout, a password
change or the user being disabled no longer signs anyone in, in any browser."""

from __future__ import annotations

import pytest
from flask import g

from hub.audit import Actor
from hub.extensions import db
from hub.models import AuditEvent
from hub.web import users as user_service
from tests.web.conftest import PASSWORD


@pytest.fixture(autouse=True)
def user_per_request(app):
    """Tests share one app context, so flask-login's ``g._login_user`` would outlive a request and carry
    one client's user into the next client's request; forget it first, as a server's fresh context does."""
    def forget_user() -> None:
        g.pop("_login_user", None)

    app.before_request_funcs.setdefault(None, []).insert(0, forget_user)


def _second_browser(app, client):
    """Another client carrying a copy of ``client``'s session cookie (as a thief would)."""
    other = app.test_client()
    cookie = client.get_cookie("hub_session")
    assert cookie is not None, "signed in, the client has a hub_session cookie"
    other.set_cookie("hub_session", cookie.value)
    return other


def test_a_cookie_copied_before_logout_stops_working(app, client, auth, users):
    auth.login("admin")
    copy = _second_browser(app, client)
    assert copy.get("/").status_code == 200  # the copy works while the session lives
    auth.logout()
    assert copy.get("/").status_code == 302 and "/login" in copy.get("/").headers["Location"]
    assert copy.get("/api/organizations").status_code == 401


def test_logout_ends_every_session_of_that_user_only(app, client, auth, users):
    auth.login("admin")
    laptop = _second_browser(app, client)
    viewer = app.test_client()
    viewer.post("/login", data={"email": "viewer@example.com", "password": PASSWORD})
    auth.logout()
    assert laptop.get("/").status_code == 302
    assert viewer.get("/").status_code == 200


def test_a_new_password_ends_the_sessions(app, client, auth, users):
    auth.login("billing")
    user_service.set_password("billing@example.com", "a brand new password", actor=Actor.cli("test"))
    assert client.get("/").status_code == 302
    assert client.post("/login", data={"email": "billing@example.com",
                                       "password": "a brand new password"}).status_code == 302
    assert client.get("/").status_code == 200


def test_disabling_a_user_ends_the_sessions_and_is_audited(app, client, auth, users, runner):
    auth.login("billing")
    result = runner.invoke(args=["user", "disable", "--email", "billing@example.com"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert client.get("/").status_code == 302
    assert client.post("/login", data={"email": "billing@example.com", "password": PASSWORD}).status_code == 401
    events = db.session.execute(db.select(AuditEvent.action).filter_by(entity_id=str(users["billing"].id))
                                ).scalars().all()
    assert "user.disable" in events
    # enabled again, the user signs in afresh; the old session stays dead
    assert runner.invoke(args=["user", "enable", "--email", "billing@example.com"]).exit_code == 0
    assert client.get("/").status_code == 302
    assert client.post("/login", data={"email": "billing@example.com", "password": PASSWORD}).status_code == 302


def test_a_session_without_a_version_is_nobodys(app, client, users):
    """Cookies from before revocable sessions (``_user_id`` = "1") sign nobody in."""
    with client.session_transaction() as session:
        session["_user_id"] = str(users["admin"].id)
        session["_fresh"] = True
    assert client.get("/").status_code == 302
