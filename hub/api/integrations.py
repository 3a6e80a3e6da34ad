"""Vendor integrations: list with state and last run, the configuration schema, configure (validated and
tested before saving; secrets write-only), test, enable, disable, start a sync to follow, add an integration
of a plugin that allows several (the CSV import), and release the lease of a sync that died."""

from __future__ import annotations

import marshmallow as ma
from hub import integrations
from hub.api.fields import DecimalText, UtcDateTime
from hub.api.auth import actor
from hub.api.idempotency import idempotent
from hub.api.problems import Problem, fail, field_error
from hub.api.spec import Blueprint
from hub.api.sync_runs import StartedSchema, last_run_id, started_answer
from hub.extensions import db
from hub.models import IntegrationState, SyncRun, VendorIntegration
from hub.plugins import VendorConfigError, VendorError
from hub.sync import run_sync
from hub.sync.release import LeaseHeld, release_lease
from hub.web import sync_runner
from hub.web.access import ADMIN, ANYONE, roles
from hub.web.schema_form import form_fields

blp = Blueprint("v1_integrations", __name__, tag="Integrations")

class LastRunSchema(ma.Schema):
    id = ma.fields.Integer()
    status = ma.fields.String()
    started_at = UtcDateTime()
    finished_at = UtcDateTime(allow_none=True)
    error_message = ma.fields.String(allow_none=True)


class IntegrationSchema(ma.Schema):
    slug = ma.fields.String()
    plugin = ma.fields.String(metadata={"description": "the vendor plugin; another slug for an integration "
                                                       "added as an instance of a plugin"})
    display_name = ma.fields.String()
    plugin_loaded = ma.fields.Boolean()
    configured = ma.fields.Boolean()
    enabled = ma.fields.Boolean()
    state = ma.fields.String()
    state_message = ma.fields.String(allow_none=True)
    interval_minutes = ma.fields.Integer(allow_none=True)
    detach_threshold_pct = DecimalText(dump_only=True, allow_none=True, metadata={
        "description": "a sync that would detach more than this share of active customers waits for an admin"})
    last_sync_at = UtcDateTime(allow_none=True)
    last_success_at = UtcDateTime(allow_none=True)
    running = ma.fields.Boolean()
    last_run = ma.fields.Nested(LastRunSchema, allow_none=True)


class IntegrationListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(IntegrationSchema))


class SchemaFieldSchema(ma.Schema):
    name = ma.fields.String()
    label = ma.fields.String()
    kind = ma.fields.String()
    required = ma.fields.Boolean()
    secret = ma.fields.Boolean(metadata={"description": "write-only: never shown back"})
    help = ma.fields.String(allow_none=True)
    choices = ma.fields.List(ma.fields.String())
    default = ma.fields.Raw(allow_none=True)


class ConfigSchemaSchema(ma.Schema):
    fields = ma.fields.List(ma.fields.Nested(SchemaFieldSchema))


class ConfigurationSchema(ma.Schema):
    settings = ma.fields.Dict(metadata={"description": "the settings that are not secret"})
    secrets_set = ma.fields.List(ma.fields.String(), metadata={"description": "secret fields that have a value"})


class ConfigureSchema(ma.Schema):
    settings = ma.fields.Dict(required=True, metadata={"description": "field: value; a secret left out or "
                                                                        "empty keeps its stored value"})
    enable = ma.fields.Boolean(load_default=None, allow_none=True)
    interval_minutes = ma.fields.Integer(load_default=None, allow_none=True, validate=ma.validate.Range(5, 10080))
    test_connection = ma.fields.Boolean(load_default=True, metadata={"description": "test before saving"})


class NewInstanceSchema(ma.Schema):
    plugin = ma.fields.String(required=True, metadata={"description": "a plugin that allows several integrations"})
    slug = ma.fields.String(required=True, metadata={"description": "2-40 lower-case letters, digits, '-' or '_', "
                                                                    "starting with a letter"})
    display_name = ma.fields.String(required=True, metadata={"description": "1 to 120 characters"})


class ReleasedSchema(ma.Schema):
    released = ma.fields.Boolean(metadata={"description": "false: no sync of it was running or stuck"})
    holder = ma.fields.String(allow_none=True, metadata={"description": "the process that held the lease"})
    runs_closed = ma.fields.List(ma.fields.Integer(), metadata={"description": "runs marked interrupted"})


class TestSchema(ma.Schema):
    settings = ma.fields.Dict(load_default=dict)


class CheckSchema(ma.Schema):
    ok = ma.fields.Boolean()
    message = ma.fields.String(allow_none=True)


def _last_runs() -> dict[int, SyncRun]:
    latest = db.select(SyncRun.integration_id, db.func.max(SyncRun.id).label("id")).group_by(SyncRun.integration_id)
    ids = [row.id for row in db.session.execute(latest)]
    runs = db.session.execute(db.select(SyncRun).where(SyncRun.id.in_(ids))).scalars() if ids else []
    return {run.integration_id: run for run in runs}


def _describe(slug: str, found, last_run) -> dict:
    plugin_slug = found.plugin_slug if found else slug
    plugin = integrations.registry().get(plugin_slug)
    state = found.state if found else IntegrationState.NOT_CONFIGURED.value
    if plugin is None:
        state = IntegrationState.PLUGIN_MISSING.value
    name = (found.display_name if found else None) or (plugin.info.display_name if plugin else slug)
    return {"slug": slug, "plugin": plugin_slug, "display_name": name,
            "plugin_loaded": plugin is not None, "configured": bool(found and (found.settings or found.secrets_token)),
            "enabled": bool(found and found.enabled), "state": state,
            "state_message": found.state_message if found else None,
            "interval_minutes": found.interval_minutes if found else None,
            "detach_threshold_pct": found.detach_threshold_pct if found else None,
            "last_sync_at": found.last_sync_at if found else None,
            "last_success_at": found.last_success_at if found else None,
            "running": bool(found and sync_runner.is_running(found.id)), "last_run": last_run}


def _known(slug: str):
    """(integration or None); 404 when neither a plugin nor a saved integration has this slug."""
    found = integrations.get_integration(slug)
    if found is None and integrations.registry().get(slug) is None:
        fail(404, f"no vendor plugin named {slug!r}")
    return found


#: fields of the request itself; any other field a plugin names is one of its settings
TOP_LEVEL_FIELDS = ("interval_minutes", "enabled", "vendor", "detach_threshold_pct")


def _vendor_problem(err: VendorError) -> Problem:
    every = getattr(err, "field_errors", None) or ({err.field: err.message} if getattr(err, "field", None) else {})
    errors = [field_error(name if name in TOP_LEVEL_FIELDS else f"settings.{name}", text)
              for name, text in every.items()]
    return Problem(422, err.message, errors=errors or None)


@blp.route("/integrations", methods=["GET"])
@roles(read=ANYONE)
@blp.response(200, IntegrationListSchema)
def list_integrations():
    """Every loaded vendor plugin and saved integration, with state and last run."""
    saved = {i.slug: i for i in db.session.execute(db.select(VendorIntegration)).scalars()}
    runs = _last_runs()
    slugs = sorted(set(integrations.registry().vendors) | set(saved))
    return {"items": [_describe(s, saved.get(s), runs.get(saved[s].id) if s in saved else None) for s in slugs]}


@blp.route("/integrations", methods=["POST"])
@roles(read=ADMIN, change=ADMIN)
@idempotent
@blp.arguments(NewInstanceSchema)
@blp.response(201, IntegrationSchema)
def add_instance(args):
    """Add an integration of a plugin that allows several (e.g. one CSV import per vendor), not configured
    yet (as the App Center's Add button); then import its first file. Audited."""
    try:
        added = integrations.add_instance(args["plugin"], args["slug"], args["display_name"], actor())
    except VendorError as err:
        db.session.rollback()
        field = getattr(err, "field", None)
        raise Problem(409 if isinstance(err, integrations.SlugTaken) else 422, err.message,
                      errors=[field_error(field, err.message)] if field else None) from None
    db.session.commit()
    return _describe(added.slug, added, None), 201, {"Location": f"/api/v1/integrations/{added.slug}"}


@blp.route("/integrations/<slug>", methods=["GET"])
@roles(read=ANYONE)
@blp.response(200, IntegrationSchema)
def get_integration(slug: str):
    """One integration's state and last run."""
    found = _known(slug)
    return _describe(slug, found, _last_runs().get(found.id) if found else None)


@blp.route("/integrations/<slug>/schema", methods=["GET"])
@roles(read=ANYONE)
@blp.response(200, ConfigSchemaSchema)
def get_schema(slug: str):
    """The plugin's configuration fields (types, required, secret, defaults, help)."""
    found = integrations.get_integration(slug)
    plugin = integrations.registry().get(found.plugin_slug if found else slug)
    if plugin is None:
        fail(404, f"no vendor plugin named {slug!r}")
    return {"fields": [{**f.__dict__, "choices": list(f.choices)} for f in form_fields(plugin.info.config_schema)]}


@blp.route("/integrations/<slug>/configuration", methods=["GET"])
@roles(read=ADMIN)
@blp.response(200, ConfigurationSchema)
def get_configuration(slug: str):
    """The saved settings; secrets are never shown, only which ones are set."""
    found = _known(slug)
    if found is None:
        return {"settings": {}, "secrets_set": []}
    return {"settings": found.settings or {}, "secrets_set": sorted(integrations.secret_box().decrypt(found.secrets_token))}


@blp.route("/integrations/<slug>/configuration", methods=["PUT"])
@roles(read=ADMIN, change=ADMIN)
@blp.arguments(ConfigureSchema)
@blp.response(200, IntegrationSchema)
def configure(args, slug: str):
    """Validate, test (unless test_connection is false), then save; nothing is saved on any error."""
    _known(slug)
    try:
        result = integrations.configure(slug, args["settings"], actor(), enable=args["enable"],
                                        interval_minutes=args["interval_minutes"],
                                        check_connection=args["test_connection"])
    except VendorError as err:
        db.session.rollback()
        raise _vendor_problem(err) from None
    return _describe(slug, result.integration, _last_runs().get(result.integration.id))


@blp.route("/integrations/<slug>/test", methods=["POST"])
@roles(read=ADMIN, change=ADMIN)
@blp.arguments(TestSchema)
@blp.response(200, CheckSchema)
def test_connection(args, slug: str):
    """Try settings (over the saved ones) without saving them."""
    _known(slug)
    try:
        check = integrations.test_connection(slug, args["settings"])
    except VendorConfigError as err:
        raise _vendor_problem(err) from None
    except VendorError as err:
        return {"ok": False, "message": err.message}
    return {"ok": check.ok, "message": check.message}


def _toggle(slug: str, enabled: bool) -> dict:
    found = _known(slug)
    if found is None:
        fail(409, f"{slug} is not configured yet")
    try:
        integrations.set_enabled(found, enabled, actor())
    except VendorError as err:
        db.session.rollback()
        raise Problem(409, err.message) from None
    db.session.commit()
    return _describe(slug, found, _last_runs().get(found.id))


class DetachThresholdSchema(ma.Schema):
    detach_threshold_pct = DecimalText(required=True, metadata={"description": "more than 0, at most 100, 2 places"})


@blp.route("/integrations/<slug>/detach-threshold", methods=["PUT"])
@roles(read=ADMIN, change=ADMIN)
@blp.arguments(DetachThresholdSchema)
@blp.response(200, IntegrationSchema)
def set_detach_threshold(args, slug: str):
    """How large a share of active customers one sync may detach before it waits for an admin (audited)."""
    found = _known(slug)
    if found is None:
        fail(409, f"{slug} is not configured yet")
    try:
        integrations.set_detach_threshold(slug, args["detach_threshold_pct"], actor())
    except VendorConfigError as err:
        db.session.rollback()
        raise _vendor_problem(err) from None
    return _describe(slug, found, _last_runs().get(found.id))


@blp.route("/integrations/<slug>/enable", methods=["POST"])
@roles(read=ADMIN, change=ADMIN)
@blp.response(200, IntegrationSchema)
def enable(slug: str):
    """Enable an integration (it must be configured)."""
    return _toggle(slug, True)


@blp.route("/integrations/<slug>/disable", methods=["POST"])
@roles(read=ADMIN, change=ADMIN)
@blp.response(200, IntegrationSchema)
def disable(slug: str):
    """Disable an integration (its schedule stops)."""
    return _toggle(slug, False)


@blp.route("/integrations/<slug>/syncs", methods=["POST"])
@roles(read=ADMIN, change=ADMIN)
@idempotent
@blp.response(202, StartedSchema)
@blp.alt_response(200, schema=StartedSchema, description="the sync ran within the request and finished")
def start_sync(slug: str):
    """Start a sync now; follow it at the `Location` (`/api/v1/sync-runs/{id}`)."""
    found = _known(slug)
    if found is None:
        fail(409, f"{slug} is not configured yet")
    who = actor().label
    previous = last_run_id(found.id)
    started = sync_runner.start(slug, found.id, lambda: run_sync(slug, trigger="manual", triggered_by=who), "Sync")
    return started_answer(started, found.id, previous)


@blp.route("/integrations/<slug>/release", methods=["POST"])
@roles(read=ADMIN, change=ADMIN)
@blp.response(200, ReleasedSchema)
def release(slug: str):
    """Release the sync lease a dead process left (as the App Center's Release button): its runs are
    marked interrupted and the integration is ready again. Audited. 409 while a sync of it is still
    running in a live process here; `released` false when nothing was running or stuck."""
    found = _known(slug)
    if found is None:
        fail(409, f"{slug} is not configured yet")
    try:
        released = release_lease(slug, actor())
    except LeaseHeld as err:
        db.session.rollback()
        raise Problem(409, f"{err}. Nothing was released.") from None
    if released is None:
        return {"released": False, "holder": None, "runs_closed": []}
    return {"released": True, "holder": released.holder, "runs_closed": released.runs_closed}
