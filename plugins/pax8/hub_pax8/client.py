"""A thin client for the Pax8 Partner API v1, over the session the hub passes in.

It owns what is Pax8-specific: the OAuth2 client-credentials token (JSON body with the audience,
relative ``expires_in``, renewed before expiry and re-issued once on a 401), the ``/v1`` layout,
zero-based page/size paging read to the last page, and Pax8's error envelope. Retries on 429/5xx
and timeouts are the session's job.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from decimal import Decimal
from typing import Any, Callable, Iterator

import requests

from hub.plugins import (
    VendorAuthError,
    VendorConfigError,
    VendorDataError,
    VendorSession,
    VendorUnavailableError,
    raise_for_vendor_status,
)

from .schema import API_PREFIX, DEFAULT_AUDIENCE

log = logging.getLogger("hub_pax8")

#: the documented maximum page size
PAGE_SIZE = 200
#: renew a token this long before it expires
RENEW_MARGIN = 300.0
#: documented lifetime (24 h), assumed when the token answer gives none
DEFAULT_LIFETIME = 86400.0
#: a listing with more pages than this is a paging loop, not an account
MAX_PAGES = 100_000


class Pax8Client:
    """One run's view of the partner account. Thread-safe: product look-ups may run in parallel."""

    def __init__(self, config: dict, session: VendorSession, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.session = session
        self.api = config["base_url"] + API_PREFIX
        self.auth_url = config["auth_url"]
        self._credentials = {"client_id": config["client_id"], "client_secret": config["client_secret"],
                             "audience": DEFAULT_AUDIENCE, "grant_type": "client_credentials"}
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._renew_at = 0.0
        self.tokens_issued = 0

    # -- tokens ----------------------------------------------------------------------------------

    def access_token(self) -> str:
        with self._lock:
            if self._token is None or self._clock() >= self._renew_at:
                self._token, self._renew_at = self._issue_token()
            return self._token

    def _forget(self, token: str) -> None:
        with self._lock:
            if self._token == token:
                self._token = None

    def _issue_token(self) -> tuple[str, float]:
        response = self._send("POST", self.auth_url, json=self._credentials)
        if response.status_code in (400, 401, 403):
            raise VendorAuthError("Pax8 refused the client credentials"
                                  f"{': ' + self.session.redact(detail) if (detail := error_detail(response)) else ''}",
                                  status=response.status_code)
        if response.status_code == 404:
            raise VendorConfigError(f"{self.auth_url} is not a token endpoint (HTTP 404)", field="auth_url",
                                    status=404)
        if response.status_code >= 300:
            raise_for_vendor_status(response, self.session, detail=error_detail(response))
        body = _json(response, "the token answer")
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise VendorDataError("the Pax8 token answer has no access_token")
        lifetime = body.get("expires_in")
        # relative seconds (not a timestamp like Acronis' expires_on)
        lifetime = float(lifetime) if isinstance(lifetime, (int, Decimal)) and lifetime > 0 else DEFAULT_LIFETIME
        self.tokens_issued += 1
        return token, self._clock() + lifetime - min(RENEW_MARGIN, lifetime / 4)

    # -- requests --------------------------------------------------------------------------------

    def get(self, path: str, params: dict | None = None) -> Any:
        """GET ``/v1{path}`` with the bearer token; one fresh token on a 401; JSON (numbers as Decimal)."""
        response = None
        for attempt in (1, 2):
            token = self.access_token()
            response = self._send("GET", self.api + path, params=params,
                                  headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
            if response.status_code != 401 or attempt == 2:
                break
            log.debug("Pax8 answered 401 on GET %s: issuing a new token", path)
            self._forget(token)
        if response.status_code >= 400:
            raise_for_vendor_status(response, self.session, detail=error_detail(response))
        return _json(response, f"GET {path}")

    def paged(self, path: str, params: dict | None = None) -> Iterator[dict]:
        """Every item of a page/size listing, from page 0 to the last page, each id once.

        Stops at ``page.totalPages`` or an empty page; the items must add up to ``totalElements``.
        The pages are read in order, each as if it were the only one in flight (``_pages`` fetches
        ahead): what stops the listing, and the totals checked, are those of the page read last.
        """
        seen: set[str] = set()
        total = None
        number = 0
        bodies = self._pages(path, params or {})
        try:
            for _ in range(MAX_PAGES):
                body = next(bodies)
                content, page = _page(body, f"GET {path}")
                for item in content:
                    item_id = item.get("id")
                    if not isinstance(item_id, str) or not item_id:
                        raise VendorDataError(f"GET {path} listed an item without a string id")
                    if item_id not in seen:  # page-number paging over a changing list can repeat a row
                        seen.add(item_id)
                        yield item
                total = page.get("totalElements")
                pages = page.get("totalPages")
                if not content or not isinstance(pages, int) or number + 1 >= pages:
                    break
                number += 1
            else:
                raise VendorDataError(f"GET {path} did not end after {MAX_PAGES} pages")
        finally:
            bodies.close()  # pages fetched ahead and not needed are dropped (a few at most)
        if isinstance(total, int) and total != len(seen):
            raise VendorDataError(f"Pax8 reported {total} items on GET {path} but the pages held {len(seen)}: "
                                  "the listing is not whole; nothing applied")

    def _pages(self, path: str, params: dict) -> Iterator[Any]:
        """The bodies of pages 0, 1, 2, ... in order, for as long as they are asked for.

        Page 0 says how many pages there are; the others up to that number are then fetched a few at a
        time (the session's ``max_concurrency``, every request still paced by its rate limit), so a
        listing waits for the rate limit, not for one answer after another. Pages past that number
        (the listing grew meanwhile) are fetched one by one.
        """
        def fetch(number: int) -> Any:
            return self.get(path, {**params, "page": number, "size": PAGE_SIZE})

        first = fetch(0)
        yield first
        page = first.get("page") if isinstance(first, dict) else None
        planned = page.get("totalPages") if isinstance(page, dict) else None
        planned = min(planned, MAX_PAGES) if isinstance(planned, int) and not isinstance(planned, bool) else 1
        yield from self.session.map_concurrent(fetch, range(1, planned))
        for number in range(max(planned, 1), MAX_PAGES + 1):
            yield fetch(number)

    def _send(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        try:
            return self.session.request(method, url, allow_redirects=False, **kwargs)
        except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                requests.exceptions.InvalidSchema) as err:
            raise VendorConfigError(f"the address cannot be used: {err}", field="base_url") from None
        except requests.RequestException as err:  # broken transfer after the session's own retries
            raise VendorUnavailableError(f"{method} {url} failed: {type(err).__name__}") from None


def _json(response: requests.Response, what: str) -> Any:
    try:
        # quantities are JSON numbers and may be fractional: read them exactly
        return json.loads(response.text, parse_float=Decimal)
    except ValueError:
        raise VendorDataError(f"{what} is not valid JSON (HTTP {response.status_code})") from None


def _page(body: Any, what: str) -> tuple[list[dict], dict]:
    if not isinstance(body, dict) or not isinstance(body.get("content"), list):
        raise VendorDataError(f"{what} did not return a 'content' list")
    if any(not isinstance(item, dict) for item in body["content"]):
        raise VendorDataError(f"{what} listed something that is not an object")
    page = body.get("page")
    return body["content"], page if isinstance(page, dict) else {}


def error_detail(response: requests.Response) -> str | None:
    """Pax8's words: ``message`` (and ``details[].message``), or OAuth's ``error_description``."""
    try:
        body: Any = response.json()
    except ValueError:
        text = (response.text or "").strip()
        return text[:200] if text and not text.startswith("<") else None
    if not isinstance(body, dict):
        return None
    if isinstance(body.get("error"), str):
        description = body.get("error_description")
        return f"{body['error']}: {description}"[:200] if description else body["error"][:200]
    parts = [str(body["message"])] if isinstance(body.get("message"), str) else []
    for detail in body.get("details") or []:
        if isinstance(detail, dict) and isinstance(detail.get("message"), str):
            parts.append(detail["message"])
    return "; ".join(parts)[:200] or None
