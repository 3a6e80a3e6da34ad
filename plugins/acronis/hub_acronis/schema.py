"""The plugin's configuration: where the data center is and which API client to act as."""

from __future__ import annotations

import re

from marshmallow import Schema, ValidationError, fields, post_load, validate

UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


class Trimmed(fields.String):
    """A string with surrounding blanks removed (pasted credentials often carry a newline)."""

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip()


class OptionalUuid(fields.String):
    """A tenant UUID, or nothing: a blank form field means "not set"."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if not text:
            return None
        if not UUID_RE.match(text):
            raise ValidationError("must be an Acronis tenant id (a UUID such as 5a1c0f2e-0000-4000-8000-000000000001)")
        return text.lower()


class AcronisConfig(Schema):
    #: the data-center URL shown when the API client was created, e.g. https://eu2-cloud.acronis.com
    base_url = fields.Url(required=True, require_tld=False, schemes={"http", "https"},
                          metadata={"label": "Data center URL",
                                    "description": "As shown when the API client was created, "
                                            "e.g. https://eu2-cloud.acronis.com"})
    client_id = Trimmed(required=True, validate=validate.Length(min=1, max=200),
                        metadata={"label": "API client ID"})
    client_secret = Trimmed(required=True, validate=validate.Length(min=1, max=500),
                            metadata={"label": "API client secret", "secret": True})
    partner_tenant_id = OptionalUuid(load_default=None, allow_none=True,
                                     metadata={"label": "Partner tenant ID (optional)",
                                               "description": "Only to list a tenant other than the API client's own"})

    @post_load
    def _normalise_base_url(self, data: dict, **kwargs) -> dict:
        # people paste the API root or a trailing slash; every call appends /api/2/... itself
        url = data["base_url"].rstrip("/")
        for suffix in ("/api/2", "/api"):
            if url.endswith(suffix):
                url = url[: -len(suffix)]
        data["base_url"] = url
        return data
