"""A thin client for the Proofpoint Essentials Interface API v1, over the session the hub passes in.

Every request goes through that ``VendorSession`` (timeouts, retries honouring ``Retry-After``, the
rate limit, redaction). This module adds the Proofpoint parts: the ``X-User``/``X-Password`` headers,
the URL layout, the error bodies, and walking the partner tree. Status codes become hub errors:
401/403 auth, 429/5xx unavailable, 404 on the partner domain a config error naming the field,
anything unreadable a data error.
"""

from __future__ import annotations

import logging
from typing import Any, Iterator
from urllib.parse import quote, urlsplit

import requests

from hub.plugins import (
    VendorConfigError,
    VendorDataError,
    VendorError,
    VendorSession,
    VendorUnavailableError,
    json_or_data_error,
    raise_for_vendor_status,
)

from .orgs import Org, org_list, parse_org
from .schema import API_PREFIX

log = logging.getLogger("hub_proofpoint")

#: sub-partner levels walked below the MSP; deeper trees are a data error rather than a loop
MAX_PARTNER_DEPTH = 8


class ProofpointClient:
    def __init__(self, config: dict, session: VendorSession) -> None:
        self.session = session
        self.base_url = config["base_url"]
        self.api = config["base_url"] + API_PREFIX
        self.partner_domain = config["partner_domain"]
        self._headers = {"X-User": config["username"], "X-Password": config["password"],
                         "Accept": "application/json"}

    # -- calls ---------------------------------------------------------------------------------

    def me(self) -> dict:
        """``GET /me``: proves the credentials. Fields are not documented, so any non-empty object will do.

        Only a 404 says the URL is wrong. A 200 whose body is empty, not JSON or not an object came
        from an API that the URL does reach (directly or through a gateway): a vendor problem.
        """
        response = self._get("/me")
        if response.status_code == 404:
            raise VendorConfigError(f"{self.base_url} has no Proofpoint Essentials API (GET {API_PREFIX}/me "
                                    "answered 404): check the stack URL", field="base_url", status=404)
        self._raise_for_status(response)
        status = response.status_code
        if not response.content.strip():
            raise VendorUnavailableError(f"GET {API_PREFIX}/me answered HTTP {status} with an empty body; "
                                         "try again later", status=status)
        try:
            body = response.json()
        except ValueError:
            raise VendorDataError(f"GET {API_PREFIX}/me answered HTTP {status} with a body that is not valid "
                                  f"JSON ({len(response.content)} bytes)", status=status) from None
        if not isinstance(body, dict):
            raise VendorDataError(f"GET {API_PREFIX}/me answered a {type(body).__name__}, not an object",
                                  status=status)
        if not body:
            raise VendorDataError(f"GET {API_PREFIX}/me answered an empty object", status=status)
        return body

    def partner_org(self) -> dict:
        """``GET /orgs/{partner_domain}``: the MSP's own partner org."""
        response = self._get(f"/orgs/{_seg(self.partner_domain)}")
        if response.status_code == 404:
            raise self._unknown_partner(response)
        self._raise_for_status(response)
        body = json_or_data_error(response, self.session)
        if not isinstance(body, dict):
            raise VendorDataError(f"GET /orgs/{self.partner_domain} returned a {type(body).__name__}, not an org")
        return body

    def customer_orgs(self) -> Iterator[Org]:
        """Every organization under the partner, walking child partners (channel, OEM, strategic).

        Proofpoint documents no paging: each listing is one body. A body that does not parse (a
        listing cut short) raises VendorDataError, so the hub never sees a partial listing as whole.
        """
        pending = [(self.partner_domain, 0)]
        walked = {self.partner_domain}
        while pending:
            domain, depth = pending.pop(0)
            for org in self._child_orgs(domain, root=depth == 0):
                if not org.is_partner:
                    yield org
                    continue
                if not org.primary_domain:
                    raise VendorDataError(f"partner org {org.name!r} (eid {org.eid}) has no primary_domain, "
                                          "so its organizations cannot be listed")
                if org.primary_domain in walked:
                    continue
                if depth + 1 > MAX_PARTNER_DEPTH:
                    raise VendorDataError(f"the partner tree is deeper than {MAX_PARTNER_DEPTH} levels "
                                          f"at {org.primary_domain!r}")
                walked.add(org.primary_domain)
                pending.append((org.primary_domain, depth + 1))

    def _child_orgs(self, domain: str, *, root: bool) -> list[Org]:
        path = f"/orgs/{_seg(domain)}/orgs"
        response = self._get(path)
        if response.status_code == 404:
            if root:
                raise self._unknown_partner(response)
            # a sub-partner listed a moment ago is gone: this listing is not complete
            raise VendorDataError(f"GET {path} answered 404 while walking the partner tree; nothing applied")
        self._raise_for_status(response)
        try:
            payload = response.json()
        except ValueError:
            raise VendorDataError(f"GET {path} returned a body that is not valid JSON "
                                  f"({len(response.content)} bytes): the org listing was cut short or "
                                  "malformed; nothing applied") from None
        return [parse_org(raw, domain, f"GET {path}") for raw in org_list(payload, f"GET {path}")]

    def stack_hosts(self, domain: str) -> set[str]:
        """Hosts ``GET /endpoints/{domain}`` names for a domain; empty when it cannot tell.

        The element shape is undocumented (strings or objects), so this reads any host-like text.
        Only used to explain a 404, never to refuse a configuration that works.
        """
        try:
            response = self._get(f"/endpoints/{_seg(domain)}")
            if response.status_code >= 400:
                return set()
            body = response.json()
        except (ValueError, requests.RequestException, VendorError) as err:
            # the hint is optional: never let it replace the real error
            log.debug("endpoint lookup for %s failed: %s", domain, self.session.redact(err))
            return set()
        items = body.get("endpoints") if isinstance(body, dict) else body
        hosts: set[str] = set()
        for item in items if isinstance(items, list) else []:
            values = [item] if isinstance(item, str) else list(item.values()) if isinstance(item, dict) else []
            for value in values:
                if isinstance(value, str) and value.strip():
                    host = urlsplit(value.strip() if "//" in value else f"//{value.strip()}").hostname
                    if host:
                        hosts.add(host.lower())
        return hosts

    # -- helpers -------------------------------------------------------------------------------

    def _get(self, path: str) -> requests.Response:
        return self.session.get(self.api + path, headers=self._headers)

    def _raise_for_status(self, response: requests.Response) -> None:
        if response.status_code >= 400:
            raise_for_vendor_status(response, self.session, detail=error_detail(response))

    def _unknown_partner(self, response: requests.Response) -> VendorConfigError:
        """404 on the partner: a wrong domain, or the right domain on another stack."""
        ours = (urlsplit(self.base_url).hostname or "").lower()
        hosts = self.stack_hosts(self.partner_domain)
        elsewhere = sorted(h for h in hosts if h != ours and not ours.startswith(h + "."))
        if hosts and len(elsewhere) == len(hosts):
            return VendorConfigError(
                f"{self.partner_domain} is not on {ours}; Proofpoint says it is served by "
                f"{', '.join(elsewhere)}: set the stack URL to that host", field="base_url", status=404)
        detail = error_detail(response)
        return VendorConfigError(
            f"Proofpoint does not know the partner domain {self.partner_domain!r} (HTTP 404"
            f"{': ' + self.session.redact(detail) if detail else ''}): use the primary domain of your "
            "partner organization", field="partner_domain", status=404)


def error_detail(response: requests.Response) -> str | None:
    """The vendor's own words from an error body: ``message``, ``error`` or ``errors[]``."""
    try:
        body: Any = response.json()
    except ValueError:
        text = (response.text or "").strip()
        return text[:200] if text and not text.startswith("<") else None
    if not isinstance(body, dict):
        return None
    for key in ("message", "error", "detail"):
        value = body.get(key)
        if isinstance(value, dict):
            value = value.get("message")
        if isinstance(value, str) and value.strip():
            return value.strip()[:200]
    errors = body.get("errors")
    if isinstance(errors, list) and errors:
        parts = [e.get("message", str(e)) if isinstance(e, dict) else str(e) for e in errors[:3]]
        return "; ".join(parts)[:200]
    return None


def _seg(domain: str) -> str:
    """A domain as one URL path segment."""
    return quote(domain, safe="")
