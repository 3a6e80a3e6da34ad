"""OAuth tokens at rest, and their refresh.

Rules (see the fact sheet's cross-cutting rules): tokens are stored encrypted; a refresh happens a
few minutes before the access token expires; the refresh token the provider returns (both QBO and
Xero rotate it) is stored **in the same transaction that used the old one**; and only one refresh
runs at a time per connection, across processes.

One at a time: a refresh starts with ``UPDATE ... SET token_version = token_version + 1 WHERE
token_version = <the version the caller saw>``. On PostgreSQL the row lock makes a second refresher
wait, then match nothing; on SQLite the write lock does the same. The loser re-reads and uses the
winner's new token instead of spending the (now superseded) refresh token a second time. The lock is
held across the provider call, so the new tokens are committed with the version bump or not at all.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app

from hub import integrations
from hub.audit import Actor, record
from hub.extensions import db
from hub.models import ConnectionState, DestinationConnection
from hub.plugin_host import DestinationHandle
from hub.plugins import (DestinationAuth, VendorAuthError, VendorDataError, VendorUnavailableError,
                         json_or_data_error, parse_retry_after)
from hub.timeutil import utcnow

log = logging.getLogger("hub.destinations")

#: a connection whose tokens were not refreshed for this long (or whose refresh token runs out within
#: it) is refreshed by the scheduler's keep-alive: Xero drops a refresh token unused for 60 days,
#: QuickBooks one unused for 100, and a hub that invoices quarterly would lose its connection between runs
KEEP_ALIVE = timedelta(days=14)


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    refresh_token: str | None
    version: int
    access_expires_at: datetime | None


def read_tokens(connection: DestinationConnection) -> TokenSet | None:
    values = integrations.secret_box().decrypt(connection.tokens_token)
    if not values.get("access_token"):
        return None
    return TokenSet(values["access_token"], values.get("refresh_token"), connection.token_version,
                    connection.access_expires_at)


def store_tokens(connection: DestinationConnection, payload: dict[str, Any], *, keep_refresh: str | None = None) -> None:
    """Encrypt a token endpoint answer onto the row (caller commits). A refresh answer without a
    ``refresh_token`` keeps the one it was made with."""
    now = utcnow()
    refresh_token = payload.get("refresh_token") or keep_refresh
    connection.tokens_token = integrations.secret_box().encrypt(
        {"access_token": payload["access_token"], "refresh_token": refresh_token})
    connection.access_expires_at = now + timedelta(seconds=_seconds(payload.get("expires_in"), 3600))
    refresh_life = payload.get("x_refresh_token_expires_in") or payload.get("refresh_token_expires_in")
    if refresh_life is not None:
        connection.refresh_expires_at = now + timedelta(seconds=_seconds(refresh_life, 0))
    connection.token_version = (connection.token_version or 0) + 1


def _seconds(value: Any, default: int) -> int:
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return default


def token_request(handle: DestinationHandle, config: dict, data: dict[str, str], secrets: list[str]) -> dict:
    """POST to the provider's token endpoint with HTTP Basic client credentials (both providers do
    this). Never retried by the session: a refresh whose answer was lost must not spend the old
    refresh token again behind our back. invalid_grant / invalid_client -> VendorAuthError."""
    url = config.get("token_url") or handle.info.oauth.token_url
    with handle.make_session(config, max_retries=0, secrets=handle.secret_values(config) + secrets) as session:
        response = session.post(url, data=data, auth=(config["client_id"], config["client_secret"]),
                                headers={"Accept": "application/json"})
        if response.status_code in (400, 401, 403):
            try:
                error = response.json().get("error") or "refused"
            except ValueError:
                error = "refused"
            raise VendorAuthError(f"the token endpoint refused the request: {session.redact(error)}",
                                  status=response.status_code)
        if response.status_code >= 400:
            raise VendorUnavailableError(f"the token endpoint answered HTTP {response.status_code}",
                                         status=response.status_code,
                                         retry_after=parse_retry_after(response.headers.get("Retry-After")))
        payload = json_or_data_error(response, session)
    if not isinstance(payload, dict) or not payload.get("access_token"):
        raise VendorDataError("the token endpoint's answer holds no access_token")
    return payload


def fresh_auth(connection_id: int) -> DestinationAuth:
    """A usable access token for the connection, refreshed first when it expires soon."""
    connection = db.session.get(DestinationConnection, connection_id)
    tokens = read_tokens(connection) if connection is not None else None
    if tokens is None or connection.state == ConnectionState.NEEDS_RECONNECT.value:
        raise VendorAuthError(f"the {connection.slug if connection else connection_id} destination needs "
                              "to be connected again")
    margin = timedelta(seconds=current_app.config.get("HUB_TOKEN_REFRESH_MARGIN_SECONDS", 300))
    if tokens.access_expires_at is None or tokens.access_expires_at - margin > utcnow():
        return DestinationAuth(tokens.access_token, connection.account_id)
    return refresh(connection_id, tokens.version)


def refresh(connection_id: int, seen_version: int) -> DestinationAuth:
    """Refresh the tokens the caller saw as ``seen_version`` (expired, or refused with a 401).

    When another process refreshed meanwhile, its token is returned and the provider is not called.
    A refused refresh token puts the connection in *needs reconnect* (queued pushes stay queued) and
    raises VendorAuthError. Commits.
    """
    from hub.destinations.connections import handle_for

    db.session.commit()  # the claim below must open the transaction: SQLite takes its write lock there
    claimed = db.session.execute(
        db.update(DestinationConnection)
        .where(DestinationConnection.id == connection_id, DestinationConnection.token_version == seen_version)
        .values(token_version=DestinationConnection.token_version + 1)).rowcount
    if not claimed:
        db.session.rollback()
        connection = db.session.get(DestinationConnection, connection_id)
        db.session.refresh(connection)
        tokens = read_tokens(connection)
        if tokens is None or connection.state == ConnectionState.NEEDS_RECONNECT.value:
            raise VendorAuthError(f"the {connection.slug} destination needs to be connected again")
        log.info("destination %s: tokens were refreshed by another process meanwhile", connection.slug)
        return DestinationAuth(tokens.access_token, connection.account_id)
    # we hold the row (PostgreSQL) or the database (SQLite) until the commit below
    connection = db.session.get(DestinationConnection, connection_id)
    db.session.refresh(connection)
    old = read_tokens(connection)
    handle = handle_for(connection.slug)
    config = handle.load_config(integrations.stored_config(connection))
    try:
        payload = token_request(handle, config, {"grant_type": "refresh_token", "refresh_token": old.refresh_token or ""},
                                [old.access_token, old.refresh_token or ""])
    except VendorAuthError as err:
        connection.state = ConnectionState.NEEDS_RECONNECT.value
        connection.state_message = f"The provider refused to refresh the connection ({err.message}); connect again."
        record(Actor.system("token refresh"), "destination.needs_reconnect", "destination", connection.id,
               field="state", old=ConnectionState.CONNECTED.value, new=connection.state,
               details={"reason": err.message})
        db.session.commit()
        raise
    except Exception:
        db.session.rollback()  # the version goes back; the old tokens stay
        raise
    store_tokens(connection, payload, keep_refresh=old.refresh_token)
    rotated = bool(payload.get("refresh_token")) and payload.get("refresh_token") != old.refresh_token
    record(Actor.system("token refresh"), "destination.token_refresh", "destination", connection.id,
           details={"refresh_token_rotated": rotated})
    db.session.commit()
    return DestinationAuth(payload["access_token"], connection.account_id)


def keep_alive(now: datetime | None = None) -> list[str]:
    """Refresh every connected destination left idle for ``KEEP_ALIVE`` (its access token expired that
    long ago) or whose refresh token runs out within it, so an unused refresh token never lapses.
    A refused refresh sets *needs reconnect* as any other; a provider that fails is tried at the next
    tick. Returns the slugs refreshed. Commits."""
    now = now or utcnow()
    due = list(db.session.execute(db.select(DestinationConnection.id, DestinationConnection.slug,
                                            DestinationConnection.token_version).where(
        DestinationConnection.state == ConnectionState.CONNECTED.value,
        DestinationConnection.tokens_token.is_not(None),
        db.or_(DestinationConnection.access_expires_at < now - KEEP_ALIVE,
               DestinationConnection.refresh_expires_at < now + KEEP_ALIVE))
        .order_by(DestinationConnection.slug)).all())
    db.session.rollback()  # end the read: each refresh is its own transaction
    refreshed = []
    for connection_id, slug, version in due:
        try:
            refresh(connection_id, version)
        except VendorAuthError as err:  # needs reconnect now (or someone disconnected meanwhile)
            log.warning("destination %s: keep-alive refresh refused: %s", slug, err.message)
            continue
        except Exception as err:  # the provider is down: the next tick tries again
            db.session.rollback()
            log.warning("destination %s: keep-alive refresh failed: %s", slug,
                        getattr(err, "message", type(err).__name__))
            continue
        refreshed.append(slug)
    return refreshed
