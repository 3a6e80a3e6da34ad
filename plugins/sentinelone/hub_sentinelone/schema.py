"""The SentinelOne connection settings, validated before anything is saved or called.

Every error is keyed by the field it is about, so the panel and the CLI can point at it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from marshmallow import Schema, ValidationError, fields, validate

API_PREFIX = "/web/api/v2.1"
CUSTOMER_LEVELS = ("site", "account")


class ConsoleUrl(fields.String):
    """``https://usea1-yourmsp.sentinelone.net`` (any host; http for a local simulator).

    A pasted ``/web/api/v2.1`` suffix or a trailing slash is dropped: the client adds the API prefix.
    """

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValidationError("give your console's address, like https://usea1-yourmsp.sentinelone.net")
        if parts.query or parts.fragment or parts.username or parts.password:
            raise ValidationError("the console address takes no query string or credentials")
        path = parts.path.rstrip("/")
        if path.endswith(API_PREFIX):
            path = path[: -len(API_PREFIX)]
        return f"{parts.scheme}://{parts.netloc}{path}"


class ApiToken(fields.String):
    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if text.lower().startswith(("apitoken ", "bearer ")):
            text = text.split(None, 1)[1].strip()
        if not text or any(ch.isspace() for ch in text):
            raise ValidationError("paste the API token exactly as the console shows it (no spaces)")
        return text


class SentinelOneConfig(Schema):
    base_url = ConsoleUrl(required=True, metadata={
        "label": "Console URL", "description": "Your management console, e.g. https://usea1-yourmsp.sentinelone.net"})
    api_token = ApiToken(required=True, metadata={
        "secret": True, "label": "API token",
        "description": "A service user's API token with at least viewer rights on your accounts and sites"})
    customer_level = fields.String(load_default="site", validate=validate.OneOf(CUSTOMER_LEVELS), metadata={
        "label": "A customer is",
        "description": "site: every site is a customer; account: every account is one, its sites added up"})
    include_default_sites = fields.Boolean(load_default=False, metadata={
        "label": "Bill default sites",
        "description": "Every account has a 'Default site'; off: they are not customers (site level only)"})
    bill_trials = fields.Boolean(load_default=False, metadata={
        "label": "Bill trial sites",
        "description": "Off: agents of Trial sites are reported under a non-billable '..._trial' SKU"})
