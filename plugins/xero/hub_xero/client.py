"""A small client for Xero's Accounting API 2.0 and its connections endpoint, on the hub's VendorSession.

Every Accounting call carries the bearer token and ``xero-tenant-id``; list calls pass ``page`` (so
line items come back, and size is bounded); money goes out as exact JSON numbers from ``Decimal``.
Errors are keyed on the HTTP status: 400 ``ValidationException`` (the text is in
``Elements[].ValidationErrors[].Message``), 401/403 auth, 404 not found, 429 with ``Retry-After`` (the
error names the limit from ``X-Rate-Limit-Problem``).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Iterator

from hub.plugins import (DestinationAuth, VendorAuthError, VendorConfigError, VendorDataError, VendorSession,
                         dumps_exact, json_or_data_error, raise_for_vendor_status)

PAGE = 100
MS_DATE = re.compile(r"/Date\((-?\d+)([+-]\d{4})?\)/")


class XeroValidation(VendorDataError):
    """A 400 answer. ``messages`` are the ValidationErrors' texts; ``elements`` the echoed elements."""

    def __init__(self, message: str, messages: list[str], elements: list[dict]) -> None:
        super().__init__(message, status=400)
        self.messages, self.elements = messages, elements


def where_literal(value: str) -> str | None:
    """A string literal for a ``where`` clause, or None when the value holds a double quote or a
    backslash: how Xero escapes those is not documented (UNSURE), so such names are looked up with
    ``searchTerm`` and compared here instead."""
    if '"' in value or "\\" in value:
        return None
    return f'"{value}"'


def parse_date(value: str | None) -> datetime | None:
    """Xero's MS-JSON dates: ``/Date(1539993600000+0000)/``."""
    match = MS_DATE.match(value or "")
    if not match:
        return None
    return datetime.fromtimestamp(int(match.group(1)) / 1000, tz=timezone.utc)


def validation_messages(body: Any) -> tuple[list[str], list[dict]]:
    elements = [e for e in (body or {}).get("Elements") or [] if isinstance(e, dict)]
    messages = [str(v.get("Message")) for e in elements for v in e.get("ValidationErrors") or [] if isinstance(v, dict)]
    if not messages and (body or {}).get("Message"):
        messages = [str(body["Message"])]
    return messages, elements


class XeroClient:
    def __init__(self, config: dict, session: VendorSession, auth: DestinationAuth, *, tenant: bool = True) -> None:
        if tenant and not auth.account_id:
            raise VendorConfigError("no Xero organisation (tenant) is chosen for this connection", field="account_id")
        self.config, self.session, self.auth = config, session, auth
        self.base = config["base_url"].rstrip("/")

    def headers(self, idempotency_key: str | None = None) -> dict:
        headers = {"Authorization": f"Bearer {self.auth.access_token}", "Accept": "application/json"}
        if self.auth.account_id:
            headers["xero-tenant-id"] = self.auth.account_id
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key[:128]
        return headers

    def connections(self) -> list[dict]:
        response = self.session.get(f"{self.base}/connections", headers={
            "Authorization": f"Bearer {self.auth.access_token}", "Accept": "application/json"})
        self._raise(response)
        body = json_or_data_error(response, self.session)
        if not isinstance(body, list):
            raise VendorDataError("Xero's connections answer is not a list")
        return body

    def request(self, method: str, path: str, *, params: dict | None = None, body: Any = None,
                idempotency_key: str | None = None, missing_ok: bool = False) -> dict | None:
        headers = self.headers(idempotency_key)
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = dumps_exact(body)
        response = self.session.request(method, f"{self.base}/api.xro/2.0{path}", params=params, data=data,
                                        headers=headers)
        if response.status_code == 404 and missing_ok:
            return None
        self._raise(response)
        try:
            return response.json(parse_float=Decimal)
        except ValueError:
            return json_or_data_error(response, self.session)

    def _raise(self, response) -> None:
        if response.status_code == 400:
            try:
                body = response.json()
            except ValueError:
                body = {}
            messages, elements = validation_messages(body)
            kind = body.get("Type") or "ValidationException"
            raise XeroValidation(f"Xero refused the request ({kind}): {self.session.redact('; '.join(messages))}",
                                 messages, elements)
        if response.status_code in (401, 403):
            raise VendorAuthError(f"Xero refused the token (HTTP {response.status_code}): "
                                  f"{self.session.redact(response.text[:200])}", status=response.status_code)
        problem = response.headers.get("X-Rate-Limit-Problem") if response.status_code == 429 else None
        # which limit: "minute", "appminute" or "day" (a day's wait is its Retry-After, honoured by the hub)
        raise_for_vendor_status(response, self.session,
                                detail=f"Xero's {problem[:20]} limit" if problem else None)

    def pages(self, path: str, key: str, params: dict | None = None) -> Iterator[dict]:
        page = 1
        while True:
            rows = (self.request("GET", path, params={**(params or {}), "page": page}) or {}).get(key) or []
            yield from rows
            if len(rows) < PAGE:
                return
            page += 1


#: Xero's token revocation endpoint (identity server)
REVOKE_URL = "https://identity.xero.com/connect/revocation"


def revoke(config: dict, session: VendorSession, token: str | None) -> None:
    """Revoke the refresh token (RFC 7009): a form ``token=...`` with the client's Basic credentials;
    200 means revoked, and the grant's connections are gone."""
    if not token:
        return
    response = session.post(config.get("revoke_url") or REVOKE_URL, data={"token": token},
                            auth=(config["client_id"], config["client_secret"]), headers={"Accept": "application/json"})
    raise_for_vendor_status(response, session)
