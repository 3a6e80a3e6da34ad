"""Calling a destination plugin's hook with a fresh token.

The provider's rate limits hold across calls: every session for one destination account shares the
same limiters. A 401 from the provider (``VendorAuthError``) may just mean the access token died early: refresh once
and call again, once. A second refusal is a real one. Any other exception from the plugin becomes
a ``VendorError`` naming the plugin, with secrets redacted: a plugin bug never crashes the run.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, TypeVar

from hub import integrations
from hub.destinations import tokens
from hub.destinations.connections import handle_for
from hub.models import DestinationConnection
from hub.plugin_host import DestinationHandle
from hub.plugins import DestinationAuth, VendorAuthError, VendorError
from hub.plugins.http import RateLimiter, Redactor

T = TypeVar("T")
Call = Callable[[DestinationHandle, dict, Any, DestinationAuth], T]


def call_with_auth(connection: DestinationConnection, fn: Call, **session_options: Any) -> T:
    handle = handle_for(connection.slug)
    config = handle.load_config(integrations.stored_config(connection))
    auth = tokens.fresh_auth(connection.id)
    version = connection.token_version
    try:
        return _call(handle, config, auth, fn, session_options)
    except VendorAuthError as err:
        if err.status != 401:
            raise
    auth = tokens.refresh(connection.id, version)
    return _call(handle, config, auth, fn, session_options)


#: the provider's limits are per account (QBO realm, Xero tenant) over time, not per call: one set
#: of rate limiters per destination and account for the whole process, shared by every session
_LIMITERS: dict[tuple[str, str | None], tuple[RateLimiter, dict[str, RateLimiter]]] = {}
_LIMITERS_LOCK = threading.Lock()


def _share_limiters(handle: DestinationHandle, auth: DestinationAuth, session) -> None:
    key = (handle.slug, auth.account_id)
    with _LIMITERS_LOCK:
        if key not in _LIMITERS:
            _LIMITERS[key] = (session.rate_limiter, session.rate_limiters)
        session.rate_limiter, session.rate_limiters = _LIMITERS[key]


def _call(handle: DestinationHandle, config: dict, auth: DestinationAuth, fn: Call, session_options: dict):
    try:
        with handle.make_session(config, auth, **session_options) as session:
            if "sleep" not in session_options:  # a test's fake clock keeps its own limiters
                _share_limiters(handle, auth, session)
            return fn(handle, config, session, auth)
    except VendorError:
        raise
    except Exception as err:  # a plugin bug becomes a clear error, not a crash of the run or the panel
        redact = Redactor(handle.secret_values(config) + [auth.access_token])
        raise VendorError(f"the {handle.slug} plugin failed: {type(err).__name__}: {redact(err)}") from err
