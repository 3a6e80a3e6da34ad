"""Who is calling ``/api/v1``: a bearer token, never the panel's session cookie.

The API authenticates only ``Authorization: Bearer hub_...``. A request that carries just the panel's
session cookie is refused with 401, so no cookie-borne request (a cross-site form, a stray link) can act
through the API; that is why API routes need no CSRF token, and why they never set a cookie. The
token's role goes through the panel's role gate (``hub.web.access``) unchanged.
"""

from __future__ import annotations

from flask import current_app, g, request

from hub import api_tokens
from hub.api.problems import fail
from hub.api.ratelimit import rate_limiter

API_PREFIX = "/api/v1/"
CHALLENGE = 'Bearer realm="hub"'


def is_api_request() -> bool:
    return request.path.startswith(API_PREFIX)


def bearer_secret() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def authenticated_role() -> str:
    """The calling token's role, after the rate limit; a 401 or 429 problem otherwise (RFC 6750, RFC 6585)."""
    header = request.headers.get("Authorization")
    secret = bearer_secret()
    if secret is None:
        detail = ("send an API token as 'Authorization: Bearer <token>' (the panel's session is not accepted here)"
                  if not header else "the Authorization header must be 'Bearer <token>'")
        fail(401, detail, headers={"WWW-Authenticate": CHALLENGE})
    token = api_tokens.authenticate(secret)
    if token is None:
        fail(401, "the API token is unknown, expired or revoked",
             headers={"WWW-Authenticate": CHALLENGE + ', error="invalid_token"'})
    g.api_token = token
    decision = rate_limiter(current_app).hit(token.id)
    g.api_rate = decision
    if not decision.allowed:
        fail(429, f"more than {decision.limit} requests in {decision.window} seconds with this token; "
                  f"try again in {decision.reset} seconds", headers={"Retry-After": str(decision.reset),
                                                                      **decision.headers()})
    return token.role


def current_token():
    return g.get("api_token")


def actor():
    """The audit log's actor for this request: the API token (its id and name)."""
    from hub.audit import Actor

    return Actor.token(current_token())
