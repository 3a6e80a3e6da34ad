"""File imports into an integration whose plugin reads files (the CSV import): upload a file and get
what a sync of it would change (or every bad line), preview it again with other options, apply it.

Thin over ``hub.imports``, the service of the panel's import page and ``hub import``: the file is
stored in the instance folder, the preview writes nothing, and applying saves the settings pointing at
the file (tested and audited like any configuration) and starts a normal sync, followed at
``/api/v1/sync-runs/{id}``. Admins only, as in the App Center.
"""

from __future__ import annotations

import json

import marshmallow as ma

from hub import imports, integrations
from hub.api.auth import actor
from hub.api.idempotency import idempotent
from hub.api.integrations import _vendor_problem
from hub.api.problems import Problem, fail, field_error
from hub.api.spec import Blueprint
from hub.api.sync_runs import StartedSchema, last_run_id, started_answer
from hub.extensions import db
from hub.plugins import VendorError
from hub.sync import SyncNotPossible, run_sync
from hub.sync.preview import SyncPreview
from hub.web import sync_runner
from hub.web.access import ADMIN, roles

blp = Blueprint("v1_imports", __name__, tag="Imports")

#: rows of each kind an answer lists (the totals always count them all)
LISTED = 1000


class OptionsField(ma.fields.Dict):
    """The plugin's settings asked with each upload (`GET /integrations/{slug}/schema`), by name."""

    def __init__(self, **kwargs) -> None:
        super().__init__(keys=ma.fields.String(), values=ma.fields.Boolean(), **kwargs)


class ImportUploadSchema(ma.Schema):
    file = ma.fields.Raw(required=True, metadata={"type": "string", "format": "binary",
                                                  "description": "the file (its name must end as the plugin "
                                                                 "asks, e.g. .csv)"})
    options = ma.fields.String(load_default="{}", validate=ma.validate.Length(max=2000), metadata={
        "description": 'a JSON object of the settings asked with an upload, e.g. {"complete_listing": true}; '
                       "one left out is off"})


class ImportOptionsSchema(ma.Schema):
    options = OptionsField(load_default=dict)


class ImportCustomerSchema(ma.Schema):
    external_id = ma.fields.String()
    name = ma.fields.String()


class ImportCountSchema(ImportCustomerSchema):
    sku = ma.fields.String()
    old = ma.fields.String(allow_none=True, metadata={"description": "a decimal as text; null: a new count"})
    new = ma.fields.String(metadata={"description": "a decimal as text"})


class ImportTotalsSchema(ma.Schema):
    customers_listed = ma.fields.Integer()
    new = ma.fields.Integer()
    changed = ma.fields.Integer()
    reattached = ma.fields.Integer()
    detached = ma.fields.Integer()
    counts = ma.fields.Integer()
    count_failures = ma.fields.Integer()


class ImportPreviewSchema(ma.Schema):
    upload = ma.fields.String(metadata={"description": "the stored file's name: apply or preview it by this"})
    vendor = ma.fields.String()
    options = OptionsField()
    complete = ma.fields.Boolean(metadata={"description": "false: the file lists some customers only "
                                                          "(nobody missing is detached)"})
    needs_review = ma.fields.Boolean(metadata={"description": "applying would detach more than the threshold: "
                                                              "the run would wait for an admin"})
    totals = ma.fields.Nested(ImportTotalsSchema)
    new = ma.fields.List(ma.fields.Nested(ImportCustomerSchema))
    changed = ma.fields.List(ma.fields.Nested(ImportCustomerSchema))
    reattached = ma.fields.List(ma.fields.Nested(ImportCustomerSchema))
    detached = ma.fields.List(ma.fields.Nested(ImportCustomerSchema))
    counts = ma.fields.List(ma.fields.Nested(ImportCountSchema))
    count_failures = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String(),
                                    metadata={"description": "external id: why its counts could not be read"})


def _ref(external_id: str, name: str) -> dict:
    return {"external_id": external_id, "name": name}


def _answer(slug: str, stored_name: str, options: dict, preview: SyncPreview) -> dict:
    plan = preview.plan
    return {
        "upload": stored_name, "vendor": slug, "options": options, "complete": preview.complete,
        "needs_review": preview.needs_review,
        "totals": {"customers_listed": preview.customers_listed, "new": len(plan.new), "changed": len(plan.changed),
                   "reattached": len(plan.reattach), "detached": len(plan.detach), "counts": len(preview.counts),
                   "count_failures": len(preview.failures)},
        "new": [_ref(c.external_id, c.name) for c in plan.new[:LISTED]],
        "changed": [_ref(c.listed.external_id, c.listed.name) for c in plan.changed[:LISTED]],
        "reattached": [_ref(listed.external_id, listed.name) for _, listed in plan.reattach[:LISTED]],
        "detached": [_ref(k.external_id, k.name) for k in plan.detach[:LISTED]],
        "counts": [{**_ref(c.external_id, c.name), "sku": c.sku,
                    "old": None if c.old is None else format(c.old.normalize(), "f"),
                    "new": format(c.new.normalize(), "f")} for c in preview.counts[:LISTED]],
        "count_failures": dict(list(preview.failures.items())[:LISTED]),
    }


def _importing(slug: str) -> None:
    """404 unless ``slug`` is an integration whose plugin imports files."""
    try:
        imports.file_importer(slug)
    except VendorError as err:
        fail(404, err.message)


def _options(raw: str) -> dict:
    try:
        options = json.loads(raw)
    except ValueError:
        options = None
    if not isinstance(options, dict) or not all(isinstance(v, bool) for v in options.values()):
        fail(422, 'options must be a JSON object of true/false settings, e.g. {"complete_listing": true}',
             field="options", location="form")
    return options


def _check_options(slug: str, options: dict) -> None:
    """422 naming ``options.<name>`` for each setting the plugin does not ask with an upload."""
    asked = set(imports.upload_options(integrations.handle_for(slug)))
    unknown = sorted(set(options) - asked)
    if unknown:
        detail = f"not asked with an upload: {', '.join(unknown)} (asked: {', '.join(sorted(asked)) or 'none'})"
        raise Problem(422, detail, errors=[field_error(f"options.{name}", detail) for name in unknown])


def _import_problem(err: VendorError) -> Problem:
    """A stored file that is gone (or never was) is a 404; anything else names the settings at fault."""
    if getattr(err, "field", None) == "file":
        return Problem(404, err.message)
    return _vendor_problem(err)


def _preview(slug: str, stored_name: str, options: dict) -> SyncPreview:
    try:
        preview = imports.preview_upload(slug, stored_name, options)
    except VendorError as err:
        db.session.rollback()
        raise _import_problem(err) from None
    except SyncNotPossible as err:
        db.session.rollback()
        fail(409, str(err))
    db.session.rollback()  # a preview never writes
    return preview


def _refuse_bad_file(slug: str, stored_name: str, preview: SyncPreview) -> None:
    """422 naming every bad line of a file that cannot be imported; the stored copy is removed."""
    problems = imports.file_problems(preview)
    if not problems:
        return
    imports.discard_upload(slug, stored_name)
    errors = [{**field_error("file", f"line {line}: {text}" if line else text, "form"), "line": line or None}
              for line, text in problems]
    raise Problem(422, f"the file cannot be imported: {len(problems)} problem{'s' if len(problems) > 1 else ''}",
                  errors=errors)


@blp.route("/integrations/<slug>/imports", methods=["POST"])
@roles(read=ADMIN, change=ADMIN)
@blp.arguments(ImportUploadSchema, location="multipart")
@blp.response(201, ImportPreviewSchema)
def upload(form, slug: str):
    """Upload a file (multipart/form-data: `file`, and `options` as JSON text) and see what applying it
    would change; nothing applies yet. A file with bad lines is a 422 naming each line (`errors[].line`)
    and is not kept."""
    _importing(slug)
    options = _options(form["options"])
    _check_options(slug, options)
    data = form["file"].read(imports.MAX_UPLOAD_BYTES + 1)
    try:
        stored_name = imports.store_upload(slug, form["file"].filename or "", data)
        integrations.get_or_create_integration(slug)
        db.session.commit()
    except VendorError as err:
        db.session.rollback()
        fail(422, err.message, field="file", location="form")
    try:
        preview = _preview(slug, stored_name, options)
    except Problem:
        imports.discard_upload(slug, stored_name)
        raise
    _refuse_bad_file(slug, stored_name, preview)
    # no Location: a stored upload is not read back on its own; `upload` names it for preview and apply
    return _answer(slug, stored_name, options, preview), 201


@blp.route("/integrations/<slug>/imports/<upload_name>/preview", methods=["POST"])
@roles(read=ADMIN, change=ADMIN)
@blp.arguments(ImportOptionsSchema)
@blp.response(200, ImportPreviewSchema)
def preview(args, slug: str, upload_name: str):
    """What applying a stored upload would change with these options (say `complete_listing`: who would
    be detached). Writes nothing."""
    _importing(slug)
    _check_options(slug, args["options"])
    found = _preview(slug, upload_name, args["options"])
    problems = imports.file_problems(found)
    if problems:  # a stored upload read once; the plugin or its settings changed since
        raise Problem(422, found.error.message, errors=[field_error("file", text, "form") for _, text in problems])
    return _answer(slug, upload_name, args["options"], found)


@blp.route("/integrations/<slug>/imports/<upload_name>/apply", methods=["POST"])
@roles(read=ADMIN, change=ADMIN)
@idempotent
@blp.arguments(ImportOptionsSchema)
@blp.response(202, StartedSchema)
@blp.alt_response(200, schema=StartedSchema, description="the sync ran within the request and finished")
def apply(args, slug: str, upload_name: str):
    """Apply a stored upload: the integration's settings point at it (tested, audited) and a normal sync
    starts; follow it at the `Location` (`/api/v1/sync-runs/{id}`). 409 while a sync of it runs."""
    _importing(slug)
    who = actor()
    found = integrations.get_integration(slug)
    if found is not None and sync_runner.is_running(found.id):
        fail(409, f"a sync of {slug} is running: apply the file when it ends")
    _check_options(slug, args["options"])
    try:
        imports.point_at_upload(slug, upload_name, args["options"], who)
    except VendorError as err:
        db.session.rollback()
        raise _import_problem(err) from None
    integration_id = integrations.get_integration(slug).id
    previous = last_run_id(integration_id)
    started = sync_runner.start(slug, integration_id,
                                lambda: run_sync(slug, trigger="import", triggered_by=who.label), "Import")
    return started_answer(started, integration_id, previous)
