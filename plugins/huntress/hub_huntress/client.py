"""A thin client for the Huntress public REST API v1, over the session the hub passes in.

Every request goes through that ``VendorSession`` (timeouts, retries honouring ``Retry-After``, the
rate limit, redaction). This module adds the Huntress parts: HTTP Basic auth with key and secret,
the ``/v1`` layout, token paging, and reading error bodies. Status codes become hub errors: 401/403
auth, 429/5xx unavailable, anything unreadable a data error.
"""

from __future__ import annotations

from typing import Any, Iterator

import requests

from hub.plugins import (
    VendorDataError,
    VendorSession,
    VendorUnavailableError,
    json_or_data_error,
    parse_retry_after,
    raise_for_vendor_status,
)

from .schema import API_PREFIX

#: the documented maximum page size; fewer requests keep a sync far inside 60 requests a minute
PAGE_LIMIT = 500
#: Huntress does not say what a 429 without ``Retry-After`` means; its window is one minute
DEFAULT_RETRY_AFTER = 60.0
#: a listing with more pages than this is a paging loop, not an account
MAX_PAGES = 10_000


class HuntressClient:
    def __init__(self, config: dict, session: VendorSession) -> None:
        self.session = session
        self.api = config["base_url"] + API_PREFIX
        self._auth = (config["api_key"], config["api_secret"])

    def account(self) -> dict:
        """``GET /v1/account``: proves the key and names the account."""
        body = self._get_json("/account")
        account = body.get("account") if isinstance(body, dict) else None
        if not isinstance(account, dict):
            raise VendorDataError("GET /v1/account did not return an account object")
        return account

    def organizations(self) -> Iterator[dict]:
        """Every organization, page by page, to the last one; checked against the reported total.

        Paging follows ``pagination.next_page_token`` (the documented style); an answer that only
        carries ``next_page`` (the older numbered style) is followed by page number instead.
        """
        params: dict[str, Any] = {"limit": PAGE_LIMIT}
        seen_tokens: set[str] = set()
        read = 0
        total = None
        for _ in range(MAX_PAGES):
            body = self._get_json("/organizations", params=params)
            orgs, pagination = _page(body)
            read += len(orgs)
            yield from orgs
            total = _int_or_none(pagination.get("total_count"), "pagination.total_count")
            token = pagination.get("next_page_token")
            next_page = pagination.get("next_page")
            if token:
                if not isinstance(token, str) or token in seen_tokens:
                    raise VendorDataError("Huntress repeated a page token while listing organizations")
                seen_tokens.add(token)
                params = {"limit": PAGE_LIMIT, "page_token": token}
            elif next_page and not orgs:
                raise VendorDataError("Huntress announced another page after an empty one")
            elif next_page:
                params = {"limit": PAGE_LIMIT, "page": _int_or_none(next_page, "pagination.next_page")}
            else:
                break
        else:
            raise VendorDataError(f"the organization listing did not end after {MAX_PAGES} pages")
        if total is not None and total != read:
            raise VendorDataError(f"Huntress reported {total} organizations but the pages held {read}: "
                                  "the listing is not whole; nothing applied")

    # -- helpers -------------------------------------------------------------------------------

    def _get_json(self, path: str, params: dict | None = None) -> Any:
        response = self.session.get(self.api + path, params=params, auth=self._auth,
                                    headers={"Accept": "application/json"})
        if response.status_code == 429 and parse_retry_after(response.headers.get("Retry-After")) is None:
            raise VendorUnavailableError("Huntress answered 429 (over 60 requests a minute)", status=429,
                                         retry_after=DEFAULT_RETRY_AFTER)
        if response.status_code >= 400:
            raise_for_vendor_status(response, self.session, detail=error_detail(response))
        return json_or_data_error(response, self.session)


def _page(body: Any) -> tuple[list[dict], dict]:
    if not isinstance(body, dict) or not isinstance(body.get("organizations"), list):
        raise VendorDataError("GET /v1/organizations did not return an 'organizations' list")
    orgs = body["organizations"]
    if any(not isinstance(org, dict) for org in orgs):
        raise VendorDataError("GET /v1/organizations listed something that is not an organization object")
    pagination = body.get("pagination")
    return orgs, pagination if isinstance(pagination, dict) else {}


def _int_or_none(value: Any, what: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).isdigit():
        raise VendorDataError(f"Huntress sent {what} = {value!r}, not a whole number")
    return int(value)


def error_detail(response: requests.Response) -> str | None:
    """The vendor's own words from an error body (its shape is not documented: read it tolerantly)."""
    try:
        body: Any = response.json()
    except ValueError:
        text = (response.text or "").strip()
        return text[:200] if text and not text.startswith("<") else None
    if isinstance(body, dict):
        for key in ("message", "error", "errors", "detail"):
            value = body.get(key)
            if isinstance(value, list):
                value = "; ".join(str(v) for v in value[:3])
            if isinstance(value, str) and value.strip():
                return value.strip()[:200]
    return None
