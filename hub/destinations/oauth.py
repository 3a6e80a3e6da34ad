"""The OAuth 2.0 authorization-code flow, run by the core for every destination plugin.

``start`` remembers a random ``state`` (only its hash is stored) and, where the provider supports
it, a PKCE verifier (encrypted), and returns the provider's authorize URL. ``finish`` checks the
state, exchanges the code, stores the tokens encrypted, and settles the account: QBO names the
realm on the callback, Xero's token may reach several organisations (the admin picks one).
"""

from __future__ import annotations

import base64
import logging
import hashlib
import hmac
import secrets
import urllib.parse
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Mapping

from hub import integrations
from hub.audit import Actor, record
from hub.destinations import tokens
from hub.destinations.connections import get_or_create_connection, handle_for, load_config, require_connection
from hub.extensions import db
from hub.models import ConnectionState, DestinationConnection
from hub.plugins import DestinationAccount, DestinationAuth, VendorConfigError, VendorDataError, VendorError
from hub.timeutil import utcnow

log = logging.getLogger("hub.destinations")

#: an authorization started longer ago than this is refused on the callback
STATE_LIFETIME = timedelta(minutes=15)


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def scopes_for(config: dict, default: tuple[str, ...]) -> str:
    """The scope list: the configuration's ``scopes`` (space separated) when set, else the plugin's."""
    return str(config.get("scopes") or "").strip() or " ".join(default)


def start(slug: str, redirect_uri: str, actor: Actor) -> str:
    """Begin connecting: returns the provider URL to send the admin's browser to. Commits."""
    handle = handle_for(slug)
    connection = get_or_create_connection(slug)
    config = load_config(connection)
    oauth = handle.info.oauth
    state = secrets.token_urlsafe(32)
    params = {"client_id": config["client_id"], "response_type": "code", "redirect_uri": redirect_uri,
              "scope": scopes_for(config, oauth.scopes), "state": state, **oauth.extra_authorize_params}
    verifier = None
    if oauth.pkce:
        verifier = secrets.token_urlsafe(64)
        params.update(code_challenge=_challenge(verifier), code_challenge_method="S256")
    connection.oauth_state_hash = _hash(state)
    connection.oauth_verifier_token = integrations.secret_box().encrypt({"verifier": verifier}) if verifier else None
    connection.oauth_started_at = utcnow()
    record(actor, "destination.connect_start", "destination", connection.id)
    db.session.commit()
    authorize = config.get("authorize_url") or oauth.authorize_url
    return f"{authorize}{'&' if '?' in authorize else '?'}{urllib.parse.urlencode(params)}"


def finish(slug: str, params: Mapping[str, str], redirect_uri: str, actor: Actor) -> DestinationConnection:
    """The provider sent the browser back. Exchange the code, store the tokens, settle the account.

    Raises VendorConfigError (field ``state`` or ``code``) for a callback that is not the answer to
    our request, VendorAuthError when the provider refuses the code. Nothing is stored on error.
    """
    connection = require_connection(slug)
    handle = handle_for(slug)
    if params.get("error"):
        raise VendorConfigError(f"the provider did not authorise the connection: {params.get('error')}", field="code")
    state = params.get("state") or ""
    if (not connection.oauth_state_hash or not hmac.compare_digest(connection.oauth_state_hash, _hash(state))
            or connection.oauth_started_at is None or connection.oauth_started_at + STATE_LIFETIME < utcnow()):
        raise VendorConfigError("this sign-in answer does not belong to a connection started here (or it is "
                                "older than 15 minutes); press Connect again", field="state")
    code = params.get("code")
    if not code:
        raise VendorConfigError("the provider's answer holds no code", field="code")
    config = load_config(connection)
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    verifier = integrations.secret_box().decrypt(connection.oauth_verifier_token).get("verifier")
    if verifier:
        data["code_verifier"] = verifier
    payload = tokens.token_request(handle, config, data, [code])
    accounts = _accounts(handle, config, payload["access_token"], dict(params))
    connection.oauth_state_hash = connection.oauth_verifier_token = connection.oauth_started_at = None
    tokens.store_tokens(connection, payload)
    old_state = connection.state
    connection.connected_at = utcnow()
    connection.state_message = None
    if len(accounts) == 1:
        _use_account(connection, accounts[0])
    else:
        connection.state = ConnectionState.CHOOSE_ACCOUNT.value
        connection.account_choices = [{"account_id": a.account_id, "name": a.name} for a in accounts]
    record(actor, "destination.connect", "destination", connection.id, field="state", old=old_state,
           new=connection.state, details={"accounts": len(accounts)})
    db.session.commit()
    return connection


def _accounts(handle, config: dict, access_token: str, callback: dict[str, Any]) -> list[DestinationAccount]:
    auth = DestinationAuth(access_token, None)
    try:
        with handle.make_session(config, auth) as session:
            accounts = handle.accounts(config, session, auth, callback)
    except VendorError:
        raise
    except Exception as err:
        raise VendorError(f"the {handle.slug} plugin failed listing accounts: {type(err).__name__}") from err
    accounts = [a for a in accounts if isinstance(a, DestinationAccount)]
    if not accounts:
        raise VendorDataError("the connection reaches no account (company / organisation) to push invoices to")
    return accounts


def _use_account(connection: DestinationConnection, account: DestinationAccount) -> None:
    connection.account_id, connection.account_name = account.account_id, account.name
    connection.account_choices = None
    connection.state = ConnectionState.CONNECTED.value


def choose_account(slug: str, account_id: str, actor: Actor) -> DestinationConnection:
    """Pick one of the accounts the consent reached. Commits."""
    connection = require_connection(slug)
    choices = {c["account_id"]: c for c in connection.account_choices or ()}
    if account_id not in choices:
        raise VendorConfigError("pick one of the accounts the connection reaches", field="account_id")
    old = connection.account_id
    _use_account(connection, DestinationAccount(account_id, choices[account_id]["name"]))
    record(actor, "destination.choose_account", "destination", connection.id, field="account_id", old=old,
           new=account_id, details={"name": connection.account_name})
    db.session.commit()
    return connection


@dataclass(frozen=True)
class Disconnected:
    """A disconnect's outcome: the tokens are forgotten here in any case; ``revoked`` says whether the
    provider confirmed it revoked them, and ``message`` (when not) what the admin should do."""

    connection: DestinationConnection
    revoked: bool
    message: str | None = None


def _revoke(connection: DestinationConnection) -> tuple[bool, str | None]:
    """Ask the provider to revoke the connection's tokens: (revoked, why not)."""
    held = tokens.read_tokens(connection)
    if held is None:
        return False, None  # nothing held: nothing to revoke
    handle = handle_for(connection.slug)
    name = handle.info.display_name
    if not handle.can_revoke():
        return False, (f"the {name} plugin cannot revoke tokens: remove the hub's access in {name}'s "
                       "connected apps settings")
    secrets = [s for s in (held.access_token, held.refresh_token) if s]
    try:
        config = load_config(connection)
        with handle.make_session(config, max_retries=0, secrets=handle.secret_values(config) + secrets) as session:
            handle.revoke_tokens(config, session, held.refresh_token, held.access_token)
    except VendorError as err:
        return False, (f"{name} did not confirm revoking the tokens ({err.message}); they are forgotten here, "
                       f"but remove the hub's access in {name}'s connected apps settings")
    except Exception as err:  # a plugin fault must not keep the tokens: forget them anyway, and say so
        log.warning("destination %s: revoke failed: %s", connection.slug, type(err).__name__)
        return False, (f"revoking the tokens at {name} failed ({type(err).__name__}); they are forgotten here, "
                       f"but remove the hub's access in {name}'s connected apps settings")
    return True, None


def disconnect(slug: str, actor: Actor) -> Disconnected:
    """Revoke the tokens at the provider (when the plugin can), then forget them here whatever the
    provider answered; pushes stay queued. Commits."""
    connection = require_connection(slug)
    revoked, message = _revoke(connection)
    old = connection.state
    connection.tokens_token = None
    connection.access_expires_at = connection.refresh_expires_at = None
    connection.token_version += 1
    connection.state = ConnectionState.NOT_CONNECTED.value
    connection.state_message = message
    connection.enabled = False
    record(actor, "destination.disconnect", "destination", connection.id, field="state", old=old, new=connection.state,
           details={"revoked": revoked, **({"revoke_error": message} if message else {})})
    db.session.commit()
    return Disconnected(connection, revoked, message)
