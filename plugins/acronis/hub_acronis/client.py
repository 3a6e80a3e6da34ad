"""A thin client for the Acronis Account Management API v2, over the session the hub passes in.

It owns what is Acronis-specific about talking HTTP: the OAuth2 token (cached, renewed before it
expires and re-issued once on a 401), the URL layout, cursor paging, and turning Acronis' error
bodies into the hub's errors. Retries on 429/5xx and timeouts are the session's job, not ours.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from typing import Any, Callable, Iterator
from urllib.parse import quote, urlsplit

import requests

from hub.plugins import (
    VendorAuthError,
    VendorConfigError,
    VendorDataError,
    VendorSession,
    VendorUnavailableError,
    json_or_data_error,
    raise_for_vendor_status,
)

log = logging.getLogger("hub_acronis")

#: Acronis' own samples renew a token when less than 15 minutes remain
RENEW_MARGIN = 900.0
#: documented token lifetime, assumed when the token response gives no expiry at all
DEFAULT_LIFETIME = 7200.0
#: OAuth2 errors on the token endpoint that mean "these credentials will not work"
OAUTH_AUTH_ERRORS = frozenset({"invalid_client", "unauthorized_client", "invalid_grant", "invalid_scope",
                               "access_denied"})
TOKEN_SCOPE_HINT = "the API client needs the tenant_viewer role (urn:acronis.com::account-server::tenant_viewer)"


class TenantBatchError(VendorDataError):
    """A call about some tenants was refused for those tenants (400/404/409...), not for the account."""

    def __init__(self, message: str, *, status: int | None = None, tenant_scoped: bool = False) -> None:
        super().__init__(message, status=status)
        #: True when Acronis said "not found" in its own error shape: one of the tenants is gone
        self.tenant_scoped = tenant_scoped


def error_detail(response: requests.Response) -> str | None:
    """The human part of an Acronis error body: ``errorScheme`` or an OAuth2 error, else None."""
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    error = body.get("error")
    if isinstance(error, dict):  # errorScheme {"error": {"code", "domain", "message", "details": {"info"}}}
        message = str(error.get("message") or "").strip()
        info = (error.get("details") or {}).get("info") if isinstance(error.get("details"), dict) else None
        if info and str(info) != message:
            message = f"{message}: {info}" if message else str(info)
        code = error.get("code")
        return f"{message} (code {code})" if code not in (None, "") else (message or None)
    if isinstance(error, str):  # OAuth2 {"error": "invalid_client", "error_description": "..."}
        description = body.get("error_description")
        return f"{error}: {description}" if description else error
    return None


def is_error_scheme(response: requests.Response) -> bool:
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and isinstance(body.get("error"), dict)


class AcronisClient:
    """One API client's view of one data center. Thread-safe: usage batches may run in parallel."""

    def __init__(self, config: dict, session: VendorSession, *, clock: Callable[[], float] = time.time) -> None:
        self.base_url = config["base_url"].rstrip("/")
        self.client_id = config["client_id"]
        self._client_secret = config["client_secret"]
        self._partner_override = config.get("partner_tenant_id")
        self.session = session
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._renew_at = 0.0
        self._partner_tenant_id: str | None = None
        self.tokens_issued = 0

    # -- tokens ----------------------------------------------------------------------------------

    def access_token(self) -> str:
        with self._lock:
            if self._token is None or self._clock() >= self._renew_at:
                self._token, self._renew_at = self._issue_token()
            return self._token

    def forget_token(self, token: str) -> None:
        """Drop ``token`` after a 401, unless another thread already replaced it."""
        with self._lock:
            if self._token == token:
                self._token = None

    def _issue_token(self) -> tuple[str, float]:
        response = self._send("POST", "/idp/token", data={"grant_type": "client_credentials"},
                              auth=(self.client_id, self._client_secret))
        if response.status_code in (400, 401, 403):
            detail = error_detail(response)
            oauth_error = (detail or "").split(":", 1)[0]
            if response.status_code != 400 or oauth_error in OAUTH_AUTH_ERRORS:
                raise VendorAuthError("Acronis refused the API client credentials: "
                                      f"{self._redact(detail or 'no detail')}", status=response.status_code)
        self._raise_for_status(response, "POST /idp/token", not_found_field="base_url")
        body = json_or_data_error(response, self.session)
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise VendorDataError("the Acronis token response has no access_token")
        now = self._clock()
        lifetime = _lifetime(body, now)
        self.tokens_issued += 1
        log.debug("issued an Acronis token valid for %.0f s", lifetime)
        return token, now + lifetime - min(RENEW_MARGIN, lifetime / 4)

    # -- requests --------------------------------------------------------------------------------

    def get(self, path: str, params: dict | None = None, *, not_found_field: str | None = None,
            batch: bool = False) -> Any:
        """GET ``/api/2{path}`` with a bearer token; one fresh token on 401; JSON back or a hub error.

        ``batch=True`` marks a call about some tenants: their 4xx answers raise TenantBatchError.
        """
        response = None
        for attempt in (1, 2):
            token = self.access_token()
            response = self._send("GET", path, params=params, headers={"Authorization": f"Bearer {token}"})
            if response.status_code != 401 or attempt == 2:
                break
            log.debug("Acronis answered 401 on GET %s: issuing a new token", path)
            self.forget_token(token)
        self._raise_for_status(response, f"GET {path}", not_found_field=not_found_field, batch=batch)
        return json_or_data_error(response, self.session)

    def _send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        url = f"{self.base_url}/api/2{path}"
        try:
            # redirects are refused: a redirect means base_url is not the data-center API
            return self.session.request(method, url, allow_redirects=False, **kwargs)
        except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                requests.exceptions.InvalidSchema) as err:
            raise VendorConfigError(f"base_url cannot be used: {err}", field="base_url") from None
        except requests.RequestException as err:  # broken transfer after the session's own retries
            raise VendorUnavailableError(f"{method} {path} failed: {type(err).__name__}") from None

    def _raise_for_status(self, response: requests.Response, call: str, *, not_found_field: str | None = None,
                          batch: bool = False) -> None:
        status = response.status_code
        if status < 300:
            return
        detail = error_detail(response)
        if 300 <= status < 400:
            target = response.headers.get("Location", "elsewhere")
            raise VendorConfigError(f"{self.base_url} redirects to {urlsplit(target).netloc or target}: "
                                    "use the data-center URL shown for the API client", field="base_url",
                                    status=status)
        if status == 403:
            raise VendorAuthError(f"{call} was refused (HTTP 403): {self._redact(detail or 'access denied')}; "
                                  f"{TOKEN_SCOPE_HINT}", status=status)
        if batch and 400 <= status < 500 and status not in (401, 429):
            raise TenantBatchError(f"{call} answered HTTP {status}: {self._redact(detail or 'no detail')}",
                                   status=status, tenant_scoped=status == 404 and is_error_scheme(response))
        if status == 404:
            if not is_error_scheme(response):  # not Acronis speaking: the URL leads elsewhere
                raise VendorConfigError(f"{call} answered HTTP 404 without an Acronis error body: "
                                        "is base_url the data-center URL?", field="base_url", status=status)
            raise VendorConfigError(f"{call} answered HTTP 404: {self._redact(detail or 'not found')}",
                                    field=not_found_field, status=status)
        raise_for_vendor_status(response, self.session, detail)

    def _redact(self, text: str) -> str:
        return self.session.redact(text)

    # -- calls -----------------------------------------------------------------------------------

    def partner_tenant_id(self) -> str:
        """The tenant the API client belongs to (or the configured override)."""
        if self._partner_override:
            return self._partner_override
        if self._partner_tenant_id is None:
            body = self.get(f"/clients/{quote(self.client_id, safe='')}", not_found_field="client_id")
            tenant_id = body.get("tenant_id") if isinstance(body, dict) else None
            if not isinstance(tenant_id, str) or not tenant_id:
                raise VendorDataError("GET /clients/{client_id} returned no tenant_id")
            self._partner_tenant_id = tenant_id
        return self._partner_tenant_id

    def tenant(self, tenant_id: str) -> dict:
        field = "partner_tenant_id" if self._partner_override else "client_id"
        body = self.get(f"/tenants/{quote(tenant_id, safe='')}", not_found_field=field)
        if not isinstance(body, dict) or not body.get("id"):
            raise VendorDataError(f"GET /tenants/{tenant_id} returned no tenant")
        return body

    def subtree_pages(self, root_id: str) -> Iterator[list[dict]]:
        """Every page of the tenant subtree under ``root_id`` (the root included), in order.

        The first request carries the filters; each next one only ``after``, since the cursor
        encodes them. A page without ``items`` or a next page that fails raises: never a partial listing.
        """
        field = "partner_tenant_id" if self._partner_override else "client_id"
        params: dict[str, str] = {"subtree_root_id": root_id, "lod": "full"}
        seen_cursors: set[str] = set()
        page = 1
        while True:
            body = self.get("/tenants", params, not_found_field=field)
            items = body.get("items") if isinstance(body, dict) else None
            if not isinstance(items, list):
                raise VendorDataError(f"page {page} of the tenant listing has no items: the listing was cut short")
            yield items
            paging = body.get("paging")
            cursors = paging.get("cursors") if isinstance(paging, dict) else None
            after = cursors.get("after") if isinstance(cursors, dict) else None
            # no cursor, or an empty page, ends the listing (Acronis does not document which it sends)
            if not after or not items:
                return
            if after in seen_cursors:
                raise VendorDataError(f"page {page} of the tenant listing repeats an earlier cursor")
            seen_cursors.add(after)
            params = {"after": after}
            page += 1

    def usages(self, tenant_ids: list[str]) -> list[dict]:
        """``GET /tenants/usages`` for up to 100 tenants: ``[{"tenant": id, "usages": [...]}, ...]``."""
        body = self.get("/tenants/usages", {"tenants": ",".join(tenant_ids)}, batch=True)
        items = body.get("items") if isinstance(body, dict) else None
        if not isinstance(items, list):
            raise TenantBatchError("GET /tenants/usages returned no items")
        return items


def _lifetime(token: dict, now: float) -> float:
    """Seconds the token is good for: ``expires_on`` (absolute, preferred) or ``expires_in``."""
    for key, absolute in (("expires_on", True), ("expires_in", False)):
        value = token.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            # a clock far off the server's makes expires_on look past: renew often, 401 covers the rest
            return max(60.0, float(value) - now if absolute else float(value))
    return DEFAULT_LIFETIME


_clients_lock = threading.Lock()


def client_for(config: dict, session: VendorSession) -> AcronisClient:
    """The client for this config and session, so one sync run's hooks share a token.

    Kept in the session's ``run_context``, and the client holds only a proxy of the session: when the
    hub drops the session at the end of the run, the client and its token go too.
    """
    key = (config["base_url"], config["client_id"], config["client_secret"], config.get("partner_tenant_id"))
    per_session = session.run_context("hub_acronis.clients", dict)
    with _clients_lock:
        if key not in per_session:
            per_session[key] = AcronisClient(config, weakref.proxy(session))
        return per_session[key]
