"""RFC 9457 problem details: every error of ``/api/v1`` is ``application/problem+json``.

``{"type", "title", "status", "detail", "errors": [{"field", "location", "detail", "pointer"}]}``: a
request with several invalid fields gets one answer naming each of them. Service errors (the same
``MappingError``/``BillingError``/``VendorError`` the panel shows next to a form field) become 404 for an
id that names nothing, 409 for a clash with the current state, else 422.
"""

from __future__ import annotations

import json
from http import HTTPStatus

from flask import Response, request
from werkzeug.exceptions import HTTPException

from hub.billing.errors import Taken

PROBLEM_JSON = "application/problem+json"


class Problem(HTTPException):
    """An API error with a status, a detail and optionally the fields at fault."""

    def __init__(self, status: int, detail: str, *, errors: list[dict] | None = None,
                 headers: dict | None = None) -> None:
        super().__init__(detail)
        self.code = status
        self.detail = detail
        self.errors = errors or []
        self.extra_headers = headers or {}

    def get_response(self, environ=None, scope=None) -> Response:
        return problem_response(self.code, self.detail, errors=self.errors, headers=self.extra_headers)


def field_error(field: str, detail: str, location: str = "json") -> dict:
    error = {"field": field, "location": location, "detail": detail}
    if location == "json" and field:
        error["pointer"] = "#/" + field.replace("~", "~0").replace("/", "~1").replace(".", "/")
    return error


def problem_response(status: int, detail: str, *, errors: list[dict] | None = None,
                     headers: dict | None = None) -> Response:
    body = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status, "detail": detail,
            "instance": request.path}
    if errors:
        body["errors"] = errors
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def fail(status: int, detail: str, *, field: str | None = None, location: str = "json", headers=None):
    """Stop the request with a problem (one field at fault, when ``field`` is given)."""
    errors = [field_error(field, detail, location)] if field else None
    raise Problem(status, detail, errors=errors, headers=headers)


def _flatten(messages, location: str, prefix: str = "") -> list[dict]:
    """webargs/marshmallow messages ({field: [msg] or {nested}}) as one flat list of field errors."""
    errors = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(value, (dict, list)) and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                errors += _flatten(value, location, name)
            else:
                text = "; ".join(value) if isinstance(value, list) else str(value)
                errors.append(field_error(name, text, location))
    elif isinstance(messages, list):
        errors.append(field_error(prefix, "; ".join(str(m) for m in messages), location))
    return errors


def from_http_exception(err: HTTPException) -> Response:
    """Werkzeug/webargs errors (404, 405, 422 from schema validation, ...) as problems."""
    if isinstance(err, Problem):
        return err.get_response()
    code = err.code or 500
    data = getattr(err, "data", None) or {}
    messages = data.get("messages") or data.get("errors")
    errors = []
    if isinstance(messages, dict):
        for location, fields in messages.items():
            errors += _flatten(fields, {"json": "json", "query": "query", "headers": "header", "multipart": "form"}.get(location, location))
    detail = data.get("message") or err.description or HTTPStatus(code).phrase
    if errors:
        detail = "invalid " + ", ".join(e["field"] or e["location"] for e in errors)
    headers = {k: v for k, v in (err.get_headers() if code == 405 else [])
               if k.lower() == "allow"}
    return problem_response(code, detail, errors=errors or None, headers=headers)


def service_error(err, path_fields: tuple[str, ...] = (), status: int = 422) -> Problem:
    """A service's ValueError with ``field`` (MappingError, BillingError, TokenError, ...) as a Problem:
    404 when the field at fault is the URL's own id (``path_fields``), else ``status`` (422: the body)."""
    message = getattr(err, "message", None) or str(err)
    field = getattr(err, "field", None)
    if field in path_fields:
        return Problem(404, message)
    every = getattr(err, "errors", None)  # several fields at once (hub.billing.validate.FieldErrors)
    if isinstance(every, dict) and every:
        return Problem(status, message, errors=[field_error(name, text) for name, text in every.items()])
    return Problem(status, message, errors=[field_error(field, message)] if field else None)


def taken_or_invalid(err) -> Problem:
    """409 when the one thing wrong is a name or code another row already has, else 422 naming each field."""
    every = getattr(err, "errors", None)
    if every:  # several fields checked at once: a clash only when it is the one thing wrong
        only_clash = len(every) == 1 and set(every) <= getattr(err, "taken", frozenset())
    else:
        only_clash = isinstance(err, Taken)
    return service_error(err, status=409 if only_clash else 422)


def get_or_404(model, row_id, what: str):
    """The row, or a 404 problem naming it."""
    from hub.extensions import db

    row = db.session.get(model, row_id)
    if row is None:
        fail(404, f"{what} {row_id} does not exist")
    return row


def clash_or_invalid(err, path_field: str) -> Problem:
    """For a service error on a resource that exists: 409 when the resource's own state is at fault
    (``err.field`` is its id), 422 when the request's input is."""
    return service_error(err, status=409 if getattr(err, "field", None) == path_field else 422)
