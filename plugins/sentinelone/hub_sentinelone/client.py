"""A thin client for the SentinelOne Management Console API v2.1, over the session the hub passes in.

Every request goes through that ``VendorSession`` (timeouts, retries honouring ``Retry-After``, the
rate limit, redaction). This module adds the SentinelOne parts: the ``Authorization: ApiToken``
header (not Bearer), the ``/web/api/v2.1`` layout, cursor paging, and the ``errors[]`` bodies.
Status codes become hub errors: 401/403 auth, 429/5xx unavailable, anything unreadable a data error.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable, Iterator

import requests

from hub.plugins import (
    VendorAuthError,
    VendorConfigError,
    VendorDataError,
    VendorSession,
    json_or_data_error,
    raise_for_vendor_status,
)

from .schema import API_PREFIX

#: the documented maximum page size (a larger one answers 400)
PAGE_LIMIT = 1000
#: a listing with more pages than this is a paging loop, not an account
MAX_PAGES = 10_000
#: the run-context key under which the connection probe leaves the first page of sites for the listing
FIRST_SITES_PAGE = "sentinelone.first_sites_page"


class SentinelOneClient:
    def __init__(self, config: dict, session: VendorSession) -> None:
        self.session = session
        self.api = config["base_url"] + API_PREFIX
        self._headers = {"Authorization": f"ApiToken {config['api_token']}", "Accept": "application/json"}

    def probe(self) -> dict:
        """``GET /sites?limit=1000``: proves the token with a call every token scope may make. It is the
        listing's own first page, so it is kept for this run and a sync's listing starts from it: one
        round trip less per sync (the hub tests the connection first in every sync)."""
        body = self._get_json("/sites", {"limit": PAGE_LIMIT})
        self.session.run_context(FIRST_SITES_PAGE, dict)["body"] = body
        return body

    def sites(self) -> Iterator[dict]:
        """Every site the token sees, to the last page. Only ``data.sites`` is read: ``data.allSites``
        is a scope-wide aggregate, never a customer. Starts from the page the probe read in this run,
        if it read one (taken once: a second listing in the same run reads afresh)."""
        first = self.session.run_context(FIRST_SITES_PAGE, dict).pop("body", None)
        return self._paged("/sites", _sites_of, first=first)

    def accounts(self) -> Iterator[dict]:
        """Every account the token sees (MSSP scope). A site-scoped token may not list accounts."""
        try:
            yield from self._paged("/accounts", _accounts_of)
        except VendorAuthError as err:
            if err.status == 403:
                raise VendorConfigError("this API token may not list accounts (a site-scoped token?): use "
                                        "an account- or MSSP-scope token, or set 'A customer is' to site",
                                        field="customer_level", status=403) from None
            raise

    # -- helpers -------------------------------------------------------------------------------

    def _paged(self, path: str, items_of: Callable[[Any, str], list[dict]],
               first: dict | None = None) -> Iterator[dict]:
        """Follows ``pagination.nextCursor`` until it is null; the pages must add up to ``totalItems``.

        The next page is asked for as soon as its cursor is known, while this page's items are worked
        through (still one request in flight at a time, through the same session): a sync of thousands
        of sites waits for each answer's round trip only once."""
        read, total = 0, None
        cursors: set[str] = set()
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sentinelone-page") as reader:
            body = first if first is not None else self._get_json(path, {"limit": PAGE_LIMIT})
            for _ in range(MAX_PAGES):
                items = items_of(body, f"GET {path}")
                read += len(items)
                pagination = body.get("pagination") if isinstance(body.get("pagination"), dict) else {}
                total = pagination.get("totalItems")
                cursor = pagination.get("nextCursor")
                following: Future | None = None
                if cursor:
                    if not isinstance(cursor, str) or cursor in cursors:
                        raise VendorDataError(f"SentinelOne repeated a page cursor on GET {path}")
                    if not items:
                        raise VendorDataError(f"SentinelOne sent an empty page with a next cursor on GET {path}")
                    cursors.add(cursor)
                    following = reader.submit(self._get_json, path, {"limit": PAGE_LIMIT, "cursor": cursor})
                yield from items
                if following is None:
                    break
                body = following.result()
            else:
                raise VendorDataError(f"GET {path} did not end after {MAX_PAGES} pages")
        # totalItems is absent or 0 when counting is skipped; otherwise the pages must add up to it
        if isinstance(total, int) and not isinstance(total, bool) and total and total != read:
            raise VendorDataError(f"SentinelOne reported {total} items on GET {path} but the pages held "
                                  f"{read}: the listing is not whole; nothing applied")

    def _get_json(self, path: str, params: dict) -> Any:
        response = self.session.get(self.api + path, params=params, headers=self._headers)
        if response.status_code == 401:
            raise VendorAuthError("SentinelOne refused the API token (tokens expire and cannot be refreshed: "
                                  "generate a new one in the console and re-enter it)", status=401)
        if response.status_code >= 400:
            raise_for_vendor_status(response, self.session, detail=error_detail(response))
        body = json_or_data_error(response, self.session)
        if not isinstance(body, dict):
            raise VendorDataError(f"GET {path} returned a {type(body).__name__}, not a JSON object")
        return body


def _sites_of(body: dict, what: str) -> list[dict]:
    data = body.get("data")
    sites = data.get("sites") if isinstance(data, dict) else None
    if not isinstance(sites, list) or any(not isinstance(s, dict) for s in sites):
        raise VendorDataError(f"{what} did not return a 'data.sites' list of site objects")
    return sites


def _accounts_of(body: dict, what: str) -> list[dict]:
    data = body.get("data")
    if not isinstance(data, list) or any(not isinstance(a, dict) for a in data):
        raise VendorDataError(f"{what} did not return a 'data' list of account objects")
    return data


def error_detail(response: requests.Response) -> str | None:
    """SentinelOne's own words: ``errors[].title/message`` and ``detail``."""
    try:
        body: Any = response.json()
    except ValueError:
        text = (response.text or "").strip()
        return text[:200] if text and not text.startswith("<") else None
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list):
        return None
    parts = []
    for error in errors[:3]:
        if isinstance(error, dict):
            words = [str(error[k]) for k in ("code", "title", "message", "detail")
                     if isinstance(error.get(k), (str, int)) and str(error[k]).strip()]
            parts.append(" ".join(words))
        else:
            parts.append(str(error))
    return "; ".join(p for p in parts if p)[:200] or None
