"""The public REST API, ``/api/v1``: one module per resource, each calling the services the panel calls.

Built on flask-smorest: views declare marshmallow schemas for arguments and answers, and the OpenAPI 3.1
document at ``/api/v1/openapi.json`` is derived from them; ``/api/v1/docs`` shows it with the Swagger
UI files vendored in ``hub/static/vendor``. Authentication (``auth``), errors (``problems``), paging,
ETags, idempotency and rate limits each have their own module; ``docs/api.md`` describes them.
"""

from __future__ import annotations

from flask import Flask, jsonify, render_template

from hub.api.fields import IdConverter, id_parameter_schema
from hub.api.spec import OPENAPI_VERSION, HubApi, openapi_document
from hub.web.access import public

RESOURCES = ("organizations", "vendor_customers", "mappings", "integrations", "sync_runs", "catalog",
             "recurring", "pending_changes", "invoices", "reports", "audit", "users", "tokens", "webhooks", "hold_policy", "preview",
             "tax", "credit_notes", "one_off_charges", "manual_invoices", "margin",
             "delivery_settings", "settings", "imports",
             "destinations")


def init_app(app: Flask) -> None:
    from importlib import import_module

    from hub.extensions import csrf

    app.config.setdefault("API_TITLE", "MSP Billing Hub API")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", OPENAPI_VERSION)
    app.url_map.converters["id"] = IdConverter
    api = HubApi(app, spec_kwargs={"info": {"description": "See docs/api.md for authentication and conventions."}})
    api.register_converter(IdConverter, id_parameter_schema)
    app.extensions["hub.api"] = api
    for name in RESOURCES:
        blueprint = import_module(f"hub.api.{name}").blp
        csrf.exempt(blueprint)  # bearer tokens only: no cookie authenticates here, so there is nothing to forge
        api.register_blueprint(blueprint, url_prefix="/api/v1")

    @app.get("/api/v1/openapi.json")
    @public
    def api_openapi():
        return jsonify(openapi_document(app, api))

    @app.get("/api/v1/docs")
    @public
    def api_docs():
        return render_template("api/docs.html")
