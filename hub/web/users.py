"""Panel users: one service for the CLI (``hub user ...``), the API and demo mode."""

from __future__ import annotations

import re
import secrets

from hub.audit import Actor, record
from hub.extensions import db
from hub.models import AuditEvent, LoginAddress, Role, User
from hub.inputs import shown

MIN_PASSWORD_LENGTH = 10
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+$")


class UserError(ValueError):
    """Bad input for a user; ``field`` names it."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


class EmailTaken(UserError):
    """Another user already has this e-mail address (the API answers 409)."""


def new_password() -> str:
    """A random password for generated accounts (demo admin)."""
    return secrets.token_urlsafe(15)


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def find_user(email: str) -> User | None:
    return db.session.execute(db.select(User).filter_by(email=normalise_email(email))).scalar_one_or_none()


def any_user() -> bool:
    """Whether any panel account exists (a fresh hub has none: sign-in says how to make the first)."""
    return db.session.execute(db.select(User.id).limit(1)).first() is not None


def check_password_rules(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise UserError(f"the password needs at least {MIN_PASSWORD_LENGTH} characters", "password")


def create_user(email: str, role: str | Role, password: str, actor: Actor | None = None) -> User:
    """Validate and save a new user (password hashed with werkzeug's scrypt). Commits; audited."""
    email = normalise_email(email)
    if not EMAIL_RE.match(email) or len(email) > 200:
        raise UserError(f"{shown(email)} is not an e-mail address", "email")
    try:
        role = Role(role).value
    except ValueError:
        raise UserError(f"role must be one of {', '.join(r.value for r in Role)}", "role") from None
    check_password_rules(password)
    if find_user(email) is not None:
        raise EmailTaken(f"a user {email} already exists", "email")
    user = User(email=email, role=role, active=True)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    record(actor or Actor.system(), "user.create", "user", user.id, field="role", new=role,
           details={"email": email})
    db.session.commit()
    return user


def set_password(email: str, password: str, actor: Actor | None = None) -> User:
    user = find_user(email)
    if user is None:
        raise UserError(f"no user {normalise_email(email)}", "email")
    check_password_rules(password)
    user.set_password(password)
    user.end_sessions()  # whoever signed in with the old password is signed out
    record(actor or Actor.system(), "user.set_password", "user", user.id, field="password", old="***", new="***")
    db.session.commit()
    return user


def set_active(email: str, active: bool, actor: Actor | None = None) -> User:
    """Enable or disable a user; disabling ends every session of theirs at once. Audited when it changes."""
    user = find_user(email)
    if user is None:
        raise UserError(f"no user {normalise_email(email)}", "email")
    if user.active != active:
        record(actor or Actor.system(), "user.enable" if active else "user.disable", "user", user.id,
               field="active", old=user.active, new=active)
        user.active = active
    if not active:
        user.end_sessions()
    db.session.commit()
    return user


def update_user(user_id, actor: Actor, *, role: str | Role | None = None, active: bool | None = None) -> User:
    """Change a user's role or switch the account off or on (each change audited). Commits.

    The last active admin keeps the admin role and stays active, so the hub always has someone who can
    manage it."""
    user = db.session.get(User, int(user_id)) if str(user_id).isdigit() else None
    if user is None:
        raise UserError(f"no user with id {user_id}", "id")
    changes = {}
    if role is not None:
        try:
            changes["role"] = Role(role).value
        except ValueError:
            raise UserError(f"role must be one of {', '.join(r.value for r in Role)}", "role") from None
    if active is not None:
        changes["active"] = bool(active)
    stays_admin = changes.get("role", user.role) == Role.ADMIN.value and changes.get("active", user.active)
    if not stays_admin:
        _keep_an_admin(user, "role" if "role" in changes else "active")
    for field, new in changes.items():
        old = getattr(user, field)
        if old != new:
            record(actor, "user.update", "user", user.id, field=field, old=old, new=new, details={"email": user.email})
            setattr(user, field, new)
    if changes.get("active") is False or "role" in changes:
        user.end_sessions()  # switched off, or signed in under another role: every session ends now
    db.session.commit()
    return user


def _keep_an_admin(user: User, field: str) -> None:
    """Refuse to lose the last active admin: the hub always keeps someone who can manage it."""
    if not (user.role == Role.ADMIN.value and user.active):
        return
    others = db.session.execute(db.select(db.func.count()).select_from(User).where(
        User.role == Role.ADMIN.value, User.active.is_(True), User.id != user.id)).scalar_one()
    if others == 0:
        raise UserError("this is the last active admin; make another admin first", field)


def delete_user(user_id, actor: Actor) -> None:
    """Delete a user account. Nobody deletes themself, and the last active admin stays (field ``id``).
    Their audit events keep who acted (the e-mail in ``actor``) but lose the link to the row, which
    SQLite may hand to a new user. Their sessions end with the row. Audited; commits."""
    user = db.session.get(User, int(user_id)) if str(user_id).isdigit() else None
    if user is None:
        raise UserError(f"no user with id {user_id}", "id")
    if actor.user_id == user.id:
        raise UserError("you cannot delete your own account; another admin can", "id")
    _keep_an_admin(user, "id")
    db.session.execute(db.update(AuditEvent).where(AuditEvent.user_id == user.id).values(user_id=None))
    db.session.execute(db.delete(LoginAddress).where(LoginAddress.user_id == user.id))
    record(actor, "user.delete", "user", user.id, field="email", old=user.email,
           details={"role": user.role, "active": user.active})
    db.session.delete(user)
    db.session.commit()
