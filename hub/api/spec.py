"""The OpenAPI 3.1 document: flask-smorest derives it from the marshmallow schemas of the views, and
this module adds what every operation shares (bearer auth, problem+json errors, rate limiting) and what
the marked views honour (``Idempotency-Key``, ``If-Match``)."""

from __future__ import annotations

import copy
import http
import re

import marshmallow as ma
from flask import Flask, Response
from flask_smorest import Api
from flask_smorest import Blueprint as SmorestBlueprint
from flask_smorest.utils import prepare_response
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import CombinedMultiDict

from hub.api.problems import PROBLEM_JSON

OPENAPI_VERSION = "3.1.0"


class FieldErrorSchema(ma.Schema):
    field = ma.fields.String(allow_none=True)
    location = ma.fields.String()
    detail = ma.fields.String()
    pointer = ma.fields.String()
    line = ma.fields.Integer(allow_none=True, metadata={"description": "an imported file's line at fault"})


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details."""

    type = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    status = ma.fields.Integer(required=True)
    detail = ma.fields.String(required=True)
    instance = ma.fields.String()
    errors = ma.fields.List(ma.fields.Nested(FieldErrorSchema))


class HubApi(Api):
    """flask-smorest's Api, documenting its views when the document is first asked for.

    Documenting every view (apispec paths, schema resolution) is about half of ``create_app``; most
    processes (a gunicorn worker, the scheduler, the CLI, each test's app) never serve the document.
    """

    ERROR_SCHEMA = ProblemSchema

    def register_blueprint(self, blp, *, parameters=None, **options):
        """Register the routes now; their documentation waits for ``documented_spec``."""
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        self.__dict__.setdefault("_undocumented", []).append((blp, name, parameters))

    def documented_spec(self):
        """The APISpec with the error responses and every registered blueprint's views in it (done once)."""
        if not self.__dict__.get("_responses_documented"):
            self._responses_documented = True
            self._document_responses()
        for blp, name, parameters in self.__dict__.pop("_undocumented", []):
            blp.register_views_in_doc(self, self._app, self.spec, name=name, parameters=parameters)
            self.spec.tag({"name": name, "description": blp.description})
        return self.spec

    def _register_error_handlers(self):
        """None: the app's one HTTPException handler (hub.web) answers /api/v1 with problems."""

    def _register_responses(self):
        """Deferred to ``documented_spec`` (resolving the problem schema for every status is not free)."""

    def _document_responses(self):
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "An error (problem details)", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_JSON)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


class HubParser(FlaskParser):
    """webargs' Flask parser with one more location, ``multipart``: a multipart/form-data body's form
    fields and files read (and documented) as one schema, e.g. a file with the options that go with it."""

    __location_map__ = {**FlaskParser.__location_map__, "multipart": "load_multipart"}

    def load_multipart(self, req, schema):
        return self._makeproxy(CombinedMultiDict([req.files, req.form]), schema)


class Blueprint(SmorestBlueprint):
    """A resource's blueprint: its operations are tagged with ``tag`` (a readable name) by default."""

    ARGUMENTS_PARSER = HubParser()
    DEFAULT_LOCATION_CONTENT_TYPE_MAPPING = {**SmorestBlueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING,
                                             "multipart": "multipart/form-data"}

    def __init__(self, name: str, import_name: str, *, tag: str, **kwargs) -> None:
        super().__init__(name, import_name, description=kwargs.pop("description", None), **kwargs)
        self.tag = tag

    def route(self, rule, *, parameters=None, tags=None, **options):
        return super().route(rule, parameters=parameters, tags=tags or [self.tag], **options)


def offers_csv(view):
    """Mark a view whose 200 may also be ``text/csv`` (``format=csv``); the document lists both."""
    view.hub_csv = True
    return view


class ExportArgs(ma.Schema):
    format = ma.fields.String(load_default="json", validate=ma.validate.OneOf(["json", "csv"]))


def export_file(fmt: str, stem: str, as_csv, as_json) -> Response:
    """A document as a download: ``as_csv()`` or ``as_json()`` (text) by ``fmt``, named ``stem.fmt``."""
    body, mimetype = (as_csv(), "text/csv") if fmt == "csv" else (as_json(), "application/json")
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{stem}.{fmt}"'})


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


COMMON_RESPONSES = {
    "401": "UNAUTHORIZED",
    "403": "FORBIDDEN",
    "429": "TOO_MANY_REQUESTS",
}
IDEMPOTENCY_PARAMETER = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "description": "retrying with the same key returns the first answer and creates nothing more",
    "schema": {"type": "string", "minLength": 1, "maxLength": 200},
}
IF_MATCH_PARAMETER = {
    "name": "If-Match", "in": "header", "required": False,
    "description": "the ETag you read; a stale one gets 412 and changes nothing",
    "schema": {"type": "string"},
}


def openapi_document(app: Flask, api: HubApi) -> dict:
    """The finished document (cached per app)."""
    cached = app.extensions.get("hub.api_openapi")
    if cached is not None:
        return cached
    spec = copy.deepcopy(api.documented_spec().to_dict())
    spec.setdefault("components", {}).setdefault("securitySchemes", {})["bearer"] = {
        "type": "http", "scheme": "bearer", "description": "an API token: `hub token create` or Admin > API tokens"}
    spec["security"] = [{"bearer": []}]
    responses = spec["components"].setdefault("responses", {})
    for code, name in [*COMMON_RESPONSES.items(), ("412", "PRECONDITION_FAILED")]:
        responses.setdefault(name, {"description": http.HTTPStatus(int(code)).phrase,
                                    "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}})
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        view = app.view_functions[rule.endpoint]
        operations = spec.get("paths", {}).get(_openapi_path(rule.rule), {})
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            operation = operations.get(method.lower())
            if operation is None:
                continue
            for code, name in COMMON_RESPONSES.items():
                operation["responses"].setdefault(code, {"$ref": f"#/components/responses/{name}"})
            if getattr(view, "hub_idempotent", False):
                operation.setdefault("parameters", []).append(IDEMPOTENCY_PARAMETER)
            if getattr(view, "hub_csv", False):
                operation["responses"]["200"]["content"]["text/csv"] = {"schema": {"type": "string"}}
            if getattr(view, "hub_if_match", False):
                operation.setdefault("parameters", []).append(IF_MATCH_PARAMETER)
                operation["responses"].setdefault("412", {"$ref": "#/components/responses/PRECONDITION_FAILED"})
    # the tags operations carry (readable names), not flask-smorest's one per blueprint name
    used = sorted({tag for ops in spec.get("paths", {}).values() for op in ops.values() if isinstance(op, dict)
                   for tag in op.get("tags", [])})
    spec["tags"] = [{"name": tag} for tag in used]
    app.extensions["hub.api_openapi"] = spec
    return spec
