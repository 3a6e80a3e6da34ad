"""A small client for the QuickBooks Online Accounting API v3, on the hub's VendorSession.

Every call carries ``minorversion`` and the bearer token; errors are keyed on the HTTP status first
(a 401 body uses lower-case ``fault.error``, the others ``Fault.Error``), then on QBO's string codes.
Money goes out as exact JSON numbers written from ``Decimal`` and comes back as ``Decimal``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Iterator

from hub.plugins import (DestinationAuth, VendorAuthError, VendorConfigError, VendorDataError, VendorSession,
                         dumps_exact, json_or_data_error, raise_for_vendor_status)

#: the most rows one query page may ask for
MAX_RESULTS = 1000
#: the most payloads one batch request may carry
BATCH_LIMIT = 30


class QboFault(VendorDataError):
    """A 400 ``Fault``: ``errors`` holds ``{"code", "Message", "Detail", "element"}`` dicts (code is a string)."""

    def __init__(self, message: str, errors: list[dict], *, status: int | None = 400) -> None:
        super().__init__(message, status=status)
        self.errors = errors

    @property
    def codes(self) -> set[str]:
        return {str(e.get("code")) for e in self.errors}


def escape(value: str) -> str:
    """A string literal for the query language: single quotes, an apostrophe written ``\\'``
    (as python-quickbooks' ``build_where_clause`` does)."""
    return "'" + str(value).replace("'", "\\'") + "'"


def fault_errors(body: Any) -> list[dict]:
    fault = (body or {}).get("Fault") or (body or {}).get("fault") or {}
    errors = fault.get("Error") or fault.get("error") or []
    return [e for e in errors if isinstance(e, dict)]


def describe(errors: list[dict]) -> str:
    return "; ".join(f"{e.get('Message') or e.get('message')} ({e.get('Detail') or e.get('detail') or ''}, "
                     f"code {e.get('code')})" for e in errors) or "no error detail"


class QboClient:
    def __init__(self, config: dict, session: VendorSession, auth: DestinationAuth) -> None:
        if not auth.account_id:
            raise VendorConfigError("no QuickBooks company (realm) is chosen for this connection", field="account_id")
        self.config, self.session, self.auth = config, session, auth
        self.base = f"{config['base_url'].rstrip('/')}/v3/company/{auth.account_id}"

    def request(self, method: str, path: str, *, params: dict | None = None, body: Any = None,
                rate_key: str | None = None) -> dict:
        params = {**(params or {}), "minorversion": self.config.get("minor_version", 75)}
        headers = {"Authorization": f"Bearer {self.auth.access_token}", "Accept": "application/json"}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = dumps_exact(body)
        response = self.session.request(method, self.base + path, params=params, data=data, headers=headers,
                                        rate_key=rate_key)
        if response.status_code == 400:
            try:
                errors = fault_errors(response.json())
            except ValueError:
                errors = []
            raise QboFault(f"QuickBooks refused {method} {path}: {self.session.redact(describe(errors))}", errors)
        if response.status_code in (401, 403):
            try:
                detail = describe(fault_errors(response.json()))
            except ValueError:
                detail = "no detail"
            raise VendorAuthError(f"QuickBooks refused the token for {path} (HTTP {response.status_code}): "
                                  f"{self.session.redact(detail)}", status=response.status_code)
        raise_for_vendor_status(response, self.session)
        try:
            return response.json(parse_float=Decimal)
        except ValueError:
            return json_or_data_error(response, self.session)  # raises VendorDataError naming the call

    def query(self, sql: str) -> dict:
        return self.request("GET", "/query", params={"query": sql}).get("QueryResponse") or {}

    def query_all(self, entity: str, where: str = "") -> Iterator[dict]:
        """Every row of a query, page by page (STARTPOSITION is 1-based; no match = no entity key)."""
        start = 1
        while True:
            page = self.query(f"select * from {entity}{' where ' + where if where else ''} "
                              f"STARTPOSITION {start} MAXRESULTS {MAX_RESULTS}").get(entity) or []
            yield from page
            if len(page) < MAX_RESULTS:
                return
            start += MAX_RESULTS

    def find_one(self, entity: str, field: str, value: str) -> dict | None:
        rows = self.query(f"select * from {entity} where {field} = {escape(value)}").get(entity) or []
        return rows[0] if rows else None

    def create(self, entity: str, body: dict) -> dict:
        return self.request("POST", f"/{entity.lower()}", body=body)[entity]

    def batch(self, items: list[dict], request_id: str) -> dict[str, dict]:
        """One batch request (at most 30 payloads), idempotent by ``requestid``; answers by ``bId``."""
        if len(items) > BATCH_LIMIT:
            raise ValueError(f"a QuickBooks batch holds at most {BATCH_LIMIT} payloads")
        answer = self.request("POST", "/batch", params={"requestid": request_id},
                              body={"BatchItemRequest": items}, rate_key="batch")
        responses = answer.get("BatchItemResponse")
        if not isinstance(responses, list):
            raise VendorDataError("QuickBooks' batch answer holds no BatchItemResponse list")
        return {str(r.get("bId")): r for r in responses if isinstance(r, dict)}


#: Intuit's token revocation endpoint (production and sandbox alike)
REVOKE_URL = "https://developer.api.intuit.com/v2/oauth2/tokens/revoke"


def revoke(config: dict, session: VendorSession, token: str | None) -> None:
    """Revoke a refresh (or access) token: ``POST {"token": ...}`` as JSON with the client's Basic
    credentials; 200 means revoked. Errors map to the hub's taxonomy (401/400: VendorAuthError/DataError)."""
    if not token:
        return
    response = session.post(config.get("revoke_url") or REVOKE_URL, data=dumps_exact({"token": token}),
                            auth=(config["client_id"], config["client_secret"]),
                            headers={"Accept": "application/json", "Content-Type": "application/json"})
    raise_for_vendor_status(response, session)
