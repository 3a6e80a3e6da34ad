"""JSON-RPC 2.0 over the hub's VendorSession, and GravityZone's errors mapped to the hub's.

GravityZone answers errors on HTTP 200 as well as on 4xx/5xx, so the body is always read first and
its ``error`` object decides; the HTTP status only settles what the body leaves open (an nginx HTML
page on 429/5xx, a bare 401).
"""

from __future__ import annotations

import itertools
from typing import Any

import requests

from hub.plugins import (
    VendorAuthError,
    VendorConfigError,
    VendorDataError,
    VendorSession,
    VendorUnavailableError,
    parse_retry_after,
)

API_VERSION = "v1.0"

#: per-key budgets stricter than the key's 10 req/s (docs 77211-394430 "API rate limits");
#: getCompanyDetails is listed only on the company (77209) page, we budget it anyway
RATE_KEYS = {
    ("licensing", "getLicenseInfo"): "licensing",
    ("licensing", "getMonthlyUsage"): "licensing",
    ("licensing", "getMonthlyUsagePerProductType"): "licensing",
    ("companies", "getCompanyDetails"): "companies",
}

#: JSON-RPC codes GravityZone uses (the -3200x ones come from third-party clients, see README)
INVALID_PARAMS = -32602
SERVER_ERROR = -32000
NOT_ALLOWED = -32001
NOT_FOUND = -32002
TOO_MANY_REQUESTS = -32003

_ids = itertools.count(1)


class InvalidParams(VendorDataError):
    """-32602 / -32002: GravityZone does not know an id we sent (a company deleted meanwhile, a
    customer id used as a parent). Whether that breaks the whole run is the caller's choice."""

    def __init__(self, message: str, *, code: int, status: int | None = None) -> None:
        super().__init__(message, status=status)
        self.code = code


class GravityZone:
    """One partner API key at one Access URL. Every request goes through ``session``."""

    def __init__(self, config: dict, session: VendorSession) -> None:
        self.base_url = config["base_url"]
        self.session = session
        self._auth = (config["api_key"], "")  # Basic: the key is the user, the password is empty

    def call(self, service: str, method: str, params: dict | None = None) -> Any:
        """POST one JSON-RPC request and return its ``result``, or raise the matching hub error."""
        payload = {"jsonrpc": "2.0", "method": method, "params": params or {}, "id": next(_ids)}
        try:
            response = self.session.post(f"{self.base_url}/{API_VERSION}/jsonrpc/{service}", json=payload,
                                         auth=self._auth, rate_key=RATE_KEYS.get((service, method)))
        except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                requests.exceptions.InvalidSchema) as err:
            raise VendorConfigError(f"{service}/{method}: {self.session.redact(err)}", field="base_url") from None
        except requests.RequestException as err:  # timeouts and refused connections arrive mapped already
            raise VendorUnavailableError(f"{service}/{method}: {self.session.redact(type(err).__name__)}") from None
        return read_result(response, f"{service}/{method}", self.session)


def read_result(response: requests.Response, where: str, session: VendorSession) -> Any:
    status = response.status_code
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        raise rpc_error(body["error"], status, retry_after, where, session)
    if status == 429:
        raise VendorUnavailableError(f"{where}: too many requests (HTTP 429)", status=status, retry_after=retry_after)
    if status >= 500:
        raise VendorUnavailableError(f"{where}: HTTP {status}", status=status, retry_after=retry_after)
    if status in (401, 403):
        raise VendorAuthError(f"{where}: the API key was refused (HTTP {status})", status=status)
    if status == 404:
        raise VendorConfigError(f"{where}: HTTP 404; is the Access URL right?", field="base_url", status=status)
    if status >= 400:
        raise VendorDataError(f"{where}: HTTP {status}", status=status)
    if body is None:
        raise VendorDataError(f"{where} returned malformed JSON (HTTP {status})", status=status)
    if not isinstance(body, dict) or "result" not in body:
        raise VendorDataError(f"{where} answered without a JSON-RPC result", status=status)
    return body["result"]


def rpc_error(error: dict, status: int, retry_after: float | None, where: str,
              session: VendorSession) -> Exception:
    """The hub error for a JSON-RPC ``error`` object, whatever HTTP status carried it."""
    code = error.get("code")
    message = str(error.get("message") or "error")
    data = error.get("data")
    details = str(data.get("details") or "") if isinstance(data, dict) else ""
    text = session.redact(f"{where}: {message}" + (f": {details}" if details else "") + f" (code {code}, HTTP {status})")
    lowered = f"{message} {details}".lower()
    if code == TOO_MANY_REQUESTS or status == 429:
        return VendorUnavailableError(text, status=status, retry_after=retry_after)
    if code == NOT_ALLOWED or status in (401, 403) or "api key" in lowered:
        return VendorAuthError(text, status=status)
    if code in (INVALID_PARAMS, NOT_FOUND):
        return InvalidParams(text, code=code, status=status)
    if status >= 500:
        return VendorUnavailableError(text, status=status, retry_after=retry_after)
    return VendorDataError(text, status=status)
