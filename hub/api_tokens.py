"""API tokens: create (shown once), list, revoke, and find the token behind an ``Authorization: Bearer``.

One service for the CLI (``hub token``), the panel's admin page and the API's own ``/tokens``. A token
is ``hub_`` + 43 URL-safe characters (256 random bits); only its SHA-256 is stored, so a leaked
database holds nothing that signs in. High entropy makes a slow hash unnecessary.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from hub.audit import Actor, record
from hub.extensions import db
from hub.inputs import check_each, shown, whole_number
from hub.models import ApiToken, Role
from hub.timeutil import utcnow

PREFIX = "hub_"
#: characters of the token kept in clear to tell tokens apart in lists
SHOWN_PREFIX_LENGTH = 8
MAX_EXPIRY_DAYS = 3650
#: last_used_at is written at most this often per token, so reads do not all become writes
LAST_USED_RESOLUTION = timedelta(seconds=60)


class TokenError(ValueError):
    """Bad input for a token; ``field`` names it."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    #: the secret itself: shown to the person once, never stored
    secret: str


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(name: str, role: str, actor: Actor, *, expires_days: int | None = None) -> NewToken:
    """Validate and save a new token (every bad field named at once); the secret is in the result only.
    ``expires_days``: a whole number (or its text, from a form), None for a token that never expires.
    Commits; audited."""
    checked = check_each({"name": lambda: _clean_name(name), "role": lambda: _clean_role(role),
                          "expires_days": lambda: _clean_expiry(expires_days)}, TokenError)
    name, role, expires_at = checked["name"], checked["role"], checked["expires_days"]
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(name=name, role=role, token_hash=hash_secret(secret), prefix=secret[:SHOWN_PREFIX_LENGTH],
                     created_by=actor.label, expires_at=expires_at)
    db.session.add(token)
    db.session.flush()
    record(actor, "token.create", "api_token", token.id, field="role", new=role,
           details={"name": name, "expires_at": expires_at.isoformat() if expires_at else None})
    db.session.commit()
    return NewToken(token, secret)


def _clean_name(name: Any) -> str:
    name = str(name or "").strip()
    if not name or len(name) > 100:
        raise TokenError(f"Name: enter a name of 1 to 100 characters{_length(name)}", "name")
    return name


def _length(text: str) -> str:
    return f" (this has {len(text):,})" if len(text) > 100 else ""


def _clean_role(role: Any) -> str:
    try:
        return Role(role).value
    except ValueError:
        raise TokenError(f"Role: choose one of {', '.join(r.value for r in Role)}, not {shown(role)}", "role") from None


def _clean_expiry(days: Any) -> datetime | None:
    """When a token made now with ``days`` expires (None: never)."""
    if days is None or days == "":
        return None
    number = whole_number(days, minimum=1, maximum=MAX_EXPIRY_DAYS) if isinstance(days, (int, str)) else None
    if number is None:
        raise TokenError(f"Expires after (days): enter a whole number from 1 to {MAX_EXPIRY_DAYS}, not {shown(days)}",
                         "expires_days")
    return utcnow() + timedelta(days=number)


def list_tokens(include_revoked: bool = True) -> list[ApiToken]:
    query = db.select(ApiToken).order_by(ApiToken.id)
    if not include_revoked:
        query = query.where(ApiToken.revoked_at.is_(None))
    return list(db.session.execute(query).scalars())


def get_token(token_id) -> ApiToken:
    try:
        token = db.session.get(ApiToken, int(token_id))
    except (TypeError, ValueError):
        token = None
    if token is None:
        raise TokenError(f"no API token with id {token_id}", "id")
    return token


def revoke_token(token_id, actor: Actor) -> ApiToken:
    """Revoke at once (the next request with it is refused). Revoking twice changes nothing. Commits."""
    token = get_token(token_id)
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record(actor, "token.revoke", "api_token", token.id, field="revoked_at", new=token.revoked_at,
               details={"name": token.name})
        db.session.commit()
    return token


def is_usable(token: ApiToken, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return token.revoked_at is None and (token.expires_at is None or token.expires_at > now)


def state(token: ApiToken) -> str:
    if token.revoked_at is not None:
        return "revoked"
    return "active" if is_usable(token) else "expired"


def authenticate(secret: str) -> ApiToken | None:
    """The usable token with this secret, noting when it was last used; None for anything else."""
    if not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    token = db.session.execute(
        db.select(ApiToken).filter_by(token_hash=hash_secret(secret))).scalar_one_or_none()
    now = utcnow()
    if token is None or not is_usable(token, now):
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        token.last_used_at = now
        db.session.commit()
    return token
