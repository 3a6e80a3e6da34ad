"""Optimistic concurrency: an ``ETag`` on what people edit, ``If-Match`` on the write (RFC 9110 13.1.1).

The tag is a hash of the resource's JSON as the API shows it, so any change anyone makes (panel, CLI,
API, a sync recounting a line) changes it. A write whose ``If-Match`` names an older tag gets 412 and
changes nothing; a write without ``If-Match`` is accepted (documented), as the panel's forms are.
"""

from __future__ import annotations

import hashlib
import json

from flask import request

from hub.api.problems import fail


def etag_of(schema_cls, obj) -> str:
    data = schema_cls().dump(obj)
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
    return f'"{digest[:32]}"'


def with_etag(schema_cls, obj, status: int = 200, headers: dict | None = None):
    """The view's answer with the object's current ETag."""
    return obj, status, {"ETag": etag_of(schema_cls, obj), **(headers or {})}


def check_if_match(schema_cls, obj) -> None:
    """412 unless ``If-Match`` is absent, ``*``, or names the object's current tag."""
    header = request.headers.get("If-Match")
    if header is None:
        return
    wanted = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    if "*" in wanted:
        return
    if etag_of(schema_cls, obj) not in wanted:
        fail(412, "the resource changed since you read it (If-Match names an older ETag); read it again")


def uses_if_match(view):
    """Mark a view as honouring If-Match (the OpenAPI document lists the header and the 412 for it)."""
    view.hub_if_match = True
    return view
