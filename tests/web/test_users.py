"""Creating users: the service (demo mode uses it) and ``hub user create``."""

from __future__ import annotations

import pytest

from hub.extensions import db
from hub.models import AuditEvent, User
from hub.web.users import UserError, create_user, new_password


def test_create_user_hashes_with_scrypt_and_audits(app_ctx):
    user = create_user(" Alice@Example.COM ", "billing", "a long enough password")
    assert user.email == "alice@example.com" and user.role == "billing"
    assert user.password_hash.startswith("scrypt:")
    assert "a long enough password" not in user.password_hash
    assert user.check_password("a long enough password")
    event = db.session.execute(db.select(AuditEvent).filter_by(action="user.create")).scalar_one()
    assert event.entity_id == str(user.id) and event.new_value == "billing"


@pytest.mark.parametrize(("email", "role", "password", "field"), [
    ("not-an-email", "admin", "long enough pw", "email"),
    ("a@example.com", "superuser", "long enough pw", "role"),
    ("a@example.com", "admin", "short", "password"),
])
def test_bad_input_names_the_field_and_creates_nothing(app_ctx, email, role, password, field):
    with pytest.raises(UserError) as err:
        create_user(email, role, password)
    assert err.value.field == field
    assert db.session.execute(db.select(User)).first() is None


def test_duplicate_email(app_ctx):
    create_user("a@example.com", "viewer", "long enough pw")
    with pytest.raises(UserError) as err:
        create_user("A@example.com", "admin", "long enough pw")
    assert err.value.field == "email"


def test_generated_passwords_are_long_and_different():
    first, second = new_password(), new_password()
    assert len(first) >= 16 and first != second


def test_cli_creates_a_user_with_the_given_password(app, runner, client):
    result = runner.invoke(args=["user", "create", "--email", "root@example.com", "--role", "admin",
                                 "--password", "a fine password"])
    assert result.exit_code == 0, result.output
    assert "root@example.com created with role admin" in result.output
    login = client.post("/login", data={"email": "root@example.com", "password": "a fine password"})
    assert login.status_code == 302


def test_cli_prompts_for_the_password_twice(app, runner):
    result = runner.invoke(args=["user", "create", "--email", "ops@example.com", "--role", "billing"],
                           input="prompted password\nprompted password\n")
    assert result.exit_code == 0, result.output
    assert "prompted password" not in result.output  # hidden input
    with app.app_context():
        user = db.session.execute(db.select(User).filter_by(email="ops@example.com")).scalar_one()
        assert user.check_password("prompted password") and user.role == "billing"


def test_cli_refuses_bad_input_with_the_field(app, runner):
    result = runner.invoke(args=["user", "create", "--email", "x@example.com", "--password", "short"])
    assert result.exit_code != 0
    assert "password" in result.output


def test_cli_lists_users_and_sets_passwords(app, runner, client):
    runner.invoke(args=["user", "create", "--email", "v@example.com", "--password", "first password"])
    listing = runner.invoke(args=["user", "list"])
    assert "v@example.com" in listing.output and "viewer" in listing.output
    changed = runner.invoke(args=["user", "set-password", "--email", "v@example.com", "--password", "second password"])
    assert changed.exit_code == 0, changed.output
    assert client.post("/login", data={"email": "v@example.com", "password": "second password"}).status_code == 302
