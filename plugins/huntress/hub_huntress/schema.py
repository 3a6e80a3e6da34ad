"""The Huntress connection settings, validated before anything is saved or called.

Every error is keyed by the field it is about, so the panel and the CLI can point at it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from marshmallow import Schema, ValidationError, fields, validate

DEFAULT_BASE_URL = "https://api.huntress.io"
API_PREFIX = "/v1"


class ApiUrl(fields.String):
    """``https://api.huntress.io`` (or a gateway in front of it; http for a local simulator).

    A pasted ``/v1`` suffix or a trailing slash is dropped: the client adds the API prefix.
    """

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValidationError(f"give the API address, like {DEFAULT_BASE_URL}")
        if parts.query or parts.fragment or parts.username or parts.password:
            raise ValidationError("the API address takes no query string or credentials")
        path = parts.path.rstrip("/")
        if path.endswith(API_PREFIX):
            path = path[: -len(API_PREFIX)]
        return f"{parts.scheme}://{parts.netloc}{path}"


class ApiKey(fields.String):
    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if not text or any(ch.isspace() for ch in text) or ":" in text:
            raise ValidationError("paste the API key exactly as Huntress shows it (no spaces or colons)")
        return text


class HuntressConfig(Schema):
    base_url = ApiUrl(load_default=DEFAULT_BASE_URL, metadata={
        "label": "API address", "description": f"Leave as {DEFAULT_BASE_URL} unless a proxy sits in front"})
    # the public half, but together with the secret it is the credential: kept write-only too
    api_key = ApiKey(required=True, metadata={
        "secret": True, "label": "API key", "description": "The public key (hk_...) from <your-subdomain>.huntress.io → "
                                           "API Credentials"})
    api_secret = fields.String(required=True, validate=validate.Length(min=1), metadata={
        "secret": True, "label": "API secret", "description": "The private key (hs_...), shown once by Huntress"})
    bill_siem_sources = fields.Boolean(load_default=False, metadata={
        "label": "Report SIEM log sources",
        "description": "Also report each organization's SIEM log-source count (informational SKU)"})
