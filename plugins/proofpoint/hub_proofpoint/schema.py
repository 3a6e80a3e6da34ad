"""The Proofpoint Essentials connection settings, validated before anything is saved or called.

Every error is keyed by the field it is about, so the panel and the CLI can point at it.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from marshmallow import Schema, ValidationError, fields, validate

API_PREFIX = "/api/v1"
#: a path ending in another API version (".../api/v2"): not a gateway prefix but a wrong API
_OTHER_API_VERSION = re.compile(r"/api/v\d+$")

QUANTITY_SOURCES = ("active_users", "user_licenses")

_DOMAIN_RE = re.compile(r"^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")


class StackUrl(fields.String):
    """``https://us1.proofpointessentials.com`` (any host, http for a local simulator), or an API
    gateway's URL with a path in front of it (``https://gw.msp.example/proofpoint``).

    A pasted ``.../api/v1`` suffix or a trailing slash is dropped: the client adds the API prefix.
    """

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValidationError("give the stack URL, like https://us1.proofpointessentials.com")
        if parts.query or parts.fragment:
            raise ValidationError("the stack URL takes no query string")
        path = parts.path.rstrip("/")
        if path.endswith(API_PREFIX):
            path = path[: -len(API_PREFIX)].rstrip("/")
        if _OTHER_API_VERSION.search(path):
            raise ValidationError("the hub speaks the Interface API v1: end the URL before /api/..., "
                                  "like https://us1.proofpointessentials.com")
        return f"{parts.scheme}://{parts.netloc}{path}"


class Domain(fields.String):
    """A DNS domain, stored lower-case without a trailing dot."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip().lower().rstrip(".")
        if "://" in text or "/" in text or "@" in text:
            raise ValidationError("give the partner's primary domain only, like msp.example")
        if not _DOMAIN_RE.match(text):
            raise ValidationError(f"{text!r} is not a domain name")
        return text


class Username(fields.String):
    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if not text or any(ch.isspace() for ch in text):
            raise ValidationError("give the admin's login (an e-mail address), without spaces")
        return text


class ProofpointConfig(Schema):
    base_url = StackUrl(required=True, metadata={
        "label": "Stack URL",
        "description": "Your Proofpoint Essentials stack, e.g. https://us1.proofpointessentials.com"})
    username = Username(required=True, metadata={
        "label": "Admin e-mail",
        "description": "A Channel Admin of your partner account (sent as X-User)"})
    password = fields.String(required=True, validate=validate.Length(min=1), metadata={
        "secret": True, "label": "Password", "description": "That admin's password (sent as X-Password)"})
    partner_domain = Domain(required=True, metadata={
        "label": "Partner domain", "description": "The primary domain of your MSP's partner organization"})
    quantity_source = fields.String(
        load_default="active_users", validate=validate.OneOf(QUANTITY_SOURCES),
        metadata={"label": "Bill by",
                  "description": "Active users: users Proofpoint counts as active; "
                                 "User licenses: licenses purchased for the organization"})
    bill_trials = fields.Boolean(load_default=False, metadata={
        "label": "Bill trial organizations",
        "description": "Off: seats of orgs on trial are reported under a non-billable '..._trial' SKU"})
