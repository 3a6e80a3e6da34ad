"""The plugin's configuration, as the admin fills it in (marshmallow; errors name the field)."""

from __future__ import annotations

import re

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates

#: the public cloud's Access URL (Control Center -> My Account -> Control Center API)
DEFAULT_ACCESS_URL = "https://cloud.gravityzone.bitdefender.com/api"

#: company ids are 24 hex digits (MongoDB ObjectIds) everywhere in the API
COMPANY_ID_RE = re.compile(r"^[0-9a-fA-F]{24}$")

#: where a pasted method URL ends; we keep only the Access URL in front of it
_METHOD_SUFFIX = re.compile(r"/v1\.[0-9]+/jsonrpc(/[a-z]+)?/?$")

USAGE_METHODS = ("per_product_type", "endpoint_only")
TARGET_MONTHS = ("current", "previous")


class BitdefenderConfig(Schema):
    base_url = fields.Url(
        load_default=DEFAULT_ACCESS_URL, dump_default=DEFAULT_ACCESS_URL, require_tld=False,
        schemes={"http", "https"},
        metadata={"label": "Access URL",
                  "description": "Control Center -> My Account -> Control Center API -> Access URL"},
    )
    api_key = fields.String(
        required=True, validate=validate.Length(min=8, max=200, error="Paste the whole API key."),
        metadata={"secret": True, "label": "API key",
                  "description": "A partner API key with Companies, Licensing, Network and General enabled"},
    )
    root_company_id = fields.String(
        load_default=None, allow_none=True,
        metadata={"label": "Root company id (optional)",
                  "description": "Bill only the customers under this partner company; default: the key's company"},
    )
    usage_method = fields.String(
        load_default="per_product_type", validate=validate.OneOf(USAGE_METHODS),
        metadata={"label": "Usage source",
                  "description": "per_product_type: every product (recommended); "
                                 "endpoint_only: getMonthlyUsage, Endpoint Security only"},
    )
    target_month = fields.String(
        load_default="current", validate=validate.OneOf(TARGET_MONTHS),
        metadata={"label": "Usage month",
                  "description": "current: usage of the running month so far; previous: the last closed month"},
    )

    @validates("api_key")
    def _no_spaces(self, value: str, **_: object) -> None:
        if value.strip() != value or any(ch.isspace() for ch in value):
            raise ValidationError("The API key cannot contain spaces.")

    @validates("root_company_id")
    def _company_id(self, value: str | None, **_: object) -> None:
        if value and not COMPANY_ID_RE.match(value):
            raise ValidationError("A company id is 24 hexadecimal characters.")

    @post_load
    def _normalise(self, data: dict, **_: object) -> dict:
        data["base_url"] = _METHOD_SUFFIX.sub("", data["base_url"].rstrip("/")).rstrip("/")
        data["root_company_id"] = data.get("root_company_id") or None
        return data
