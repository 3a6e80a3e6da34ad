"""The Pax8 connection settings, validated before anything is saved or called.

Every error is keyed by the field it is about, so the panel and the CLI can point at it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from marshmallow import Schema, ValidationError, fields, validate

DEFAULT_BASE_URL = "https://api.pax8.com"
DEFAULT_TOKEN_URL = "https://token-manager.pax8.com/oauth/token"
DEFAULT_AUDIENCE = "https://api.pax8.com"
API_PREFIX = "/v1"

#: every subscription status Pax8 documents
STATUSES = ("Active", "Cancelled", "PendingManual", "PendingAutomated", "PendingCancel", "WaitingForDetails",
            "Trial", "Converted", "PendingActivation", "Activated")
#: provisioned and charged: PendingCancel stays provisioned until its end date
DEFAULT_BILLABLE = ("Active", "PendingCancel", "Activated")


class HttpUrl(fields.String):
    """An http(s) address without query or credentials; a trailing slash is dropped."""

    def __init__(self, *args, strip_suffix: str = "", example: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.strip_suffix, self.example = strip_suffix, example

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValidationError(f"give an address like {self.example}")
        if parts.query or parts.fragment or parts.username or parts.password:
            raise ValidationError("the address takes no query string or credentials")
        path = parts.path.rstrip("/")
        if self.strip_suffix and path.endswith(self.strip_suffix):
            path = path[: -len(self.strip_suffix)]
        return f"{parts.scheme}://{parts.netloc}{path}"


class StatusList(fields.String):
    """``active, PendingCancel`` → ``"Active,PendingCancel"``: documented statuses, in Pax8's spelling."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, (list, tuple)):
            value = ",".join(str(v) for v in value)
        text = super()._deserialize(value, attr, data, **kwargs)
        by_lower = {s.lower(): s for s in STATUSES}
        chosen, unknown = [], []
        for word in (w.strip() for w in text.split(",")):
            if not word:
                continue
            (chosen if word.lower() in by_lower else unknown).append(by_lower.get(word.lower(), word))
        if unknown:
            raise ValidationError(f"unknown status {', '.join(unknown)}; Pax8's statuses are {', '.join(STATUSES)}")
        if not chosen:
            raise ValidationError("name at least one status (Active, for example)")
        return ",".join(sorted(set(chosen), key=STATUSES.index))


class Pax8Config(Schema):
    client_id = fields.String(required=True, validate=validate.Length(min=1), metadata={
        "secret": True, "label": "Client ID", "description": "From Pax8: Settings → Integrations → Credentials"})
    client_secret = fields.String(required=True, validate=validate.Length(min=1), metadata={
        "secret": True, "label": "Client secret", "description": "Shown once by Pax8 with the client ID"})
    base_url = HttpUrl(load_default=DEFAULT_BASE_URL, strip_suffix=API_PREFIX, example=DEFAULT_BASE_URL, metadata={
        "label": "API address", "description": f"Leave as {DEFAULT_BASE_URL} unless a proxy sits in front"})
    auth_url = HttpUrl(load_default=DEFAULT_TOKEN_URL, example=DEFAULT_TOKEN_URL, metadata={
        "label": "Authentication address", "description": f"Leave as {DEFAULT_TOKEN_URL}"})
    billable_statuses = StatusList(load_default=",".join(DEFAULT_BILLABLE), metadata={
        "label": "Billable subscription statuses",
        "description": "Subscriptions counted as billed seats, comma separated (default: "
                       + ", ".join(DEFAULT_BILLABLE) + ")"})


def billable_statuses(config: dict) -> frozenset[str]:
    return frozenset(config["billable_statuses"].split(","))
