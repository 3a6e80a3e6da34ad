"""JSON endpoints for the panel's scripts: the mapping table, Organization autocomplete, map/unmap,
suggestions, and a sync's progress. Errors are ``{"error": ..., "field": ...}`` with a 4xx status.

State-changing calls are POSTs that carry the CSRF token in the ``X-CSRFToken`` header (see
``static/hub.js``: ``hub.api``).
"""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, make_response, request
from sqlalchemy import case, func, select

from hub import integrations, mapping
from hub.extensions import db
from hub.inputs import MAX_INT, whole_number
from hub.models import Organization, SyncRun, VendorCustomer
from hub.web import sync_runner
from hub.web.access import ANYONE, BILLING, roles
from hub.web.helpers import actor
from hub.web.mapping import query_from_args
from hub.web.mapping_query import one_row, status_counts, table_page
from hub.web.paging import int_arg
from hub.web.suggestions import suggest

bp = Blueprint("api", __name__, url_prefix="/api")

AUTOCOMPLETE_LIMIT = 10
BULK_LIMIT = mapping.BULK_LIMIT


def _fail(message: str, field: str, status: int = 400):
    return jsonify(error=message, field=field), status


def _enabled_integration(slug: str | None):
    found = integrations.get_integration(slug or "")
    if found is None or not found.enabled:
        abort(404, f"no enabled vendor integration named {slug!r}")
    return found


def _body() -> dict:
    """The JSON object sent (or the form's fields); any other JSON (an array, a number) is a 400."""
    body = request.get_json(silent=True)
    if body is None:
        return request.form.to_dict()
    if not isinstance(body, dict):
        abort(make_response(*_fail("send a JSON object", "body")))
    return body


def _int(value, field: str) -> int:
    number = whole_number(value, minimum=1)
    if number is None:
        abort(make_response(*_fail(f"{field} must be a whole number between 1 and {MAX_INT}", field)))
    return number


@bp.get("/mapping/customers")
@roles(read=ANYONE)
def customers():
    found = _enabled_integration(request.args.get("vendor"))
    rows, page = table_page(query_from_args(found.id))
    # the status totals do not change with search, sort or page; ask with counts=1 when they may have
    body = {"rows": rows, "page": page.as_dict()}
    if request.args.get("counts") == "1":
        body["counts"] = status_counts(found.id)
    return jsonify(body)


@bp.get("/organizations")
@roles(read=ANYONE)
def organizations():
    """Autocomplete: names containing ``q``, names starting with it first."""
    q = (request.args.get("q") or "").strip().lower()[:200]
    name = func.lower(Organization.name)
    stmt = select(Organization.id, Organization.name, Organization.domain)
    if q:
        stmt = stmt.where(name.contains(q, autoescape=True)).order_by(
            case((name.startswith(q, autoescape=True), 0), else_=1), name)
    else:
        stmt = stmt.order_by(name)
    rows = db.session.execute(stmt.limit(AUTOCOMPLETE_LIMIT)).all()
    return jsonify(organizations=[{"id": r.id, "name": r.name, "domain": r.domain} for r in rows])


def _row_response(customer_id: int):
    """The changed row and the vendor's new status counts, so the page updates in place."""
    integration_id = db.session.scalar(select(VendorCustomer.integration_id).where(VendorCustomer.id == customer_id))
    return jsonify(row=one_row(customer_id), removed=False, counts=status_counts(integration_id))


@bp.post("/mapping/customers/<int:customer_id>/map")
@roles(read=ANYONE, change=BILLING)
def map_customer(customer_id: int):
    organization_id = _int(_body().get("organization_id"), "organization_id")
    try:
        mapping.map_customer(customer_id, organization_id, actor())
    except mapping.MappingError as err:
        db.session.rollback()
        return _fail(str(err), err.field, 404 if "does not exist" in str(err) else 400)
    return _row_response(customer_id)


@bp.post("/mapping/customers/<int:customer_id>/unmap")
@roles(read=ANYONE, change=BILLING)
def unmap_customer(customer_id: int):
    customer = db.session.get(VendorCustomer, customer_id)
    integration_id = customer.integration_id if customer else None
    try:
        kept = mapping.unmap_customer(customer_id, actor())
    except mapping.MappingError as err:
        db.session.rollback()
        return _fail(str(err), err.field, 404 if "does not exist" in str(err) else 400)
    if kept is None:
        return jsonify(row=None, removed=True, counts=status_counts(integration_id))
    return _row_response(customer_id)


@bp.post("/mapping/customers/<int:customer_id>/create-organization")
@roles(read=ANYONE, change=BILLING)
def create_organization(customer_id: int):
    """``{"name": ...}`` names the new Organization (what was typed); without it, the customer's name."""
    try:
        mapping.create_organization_from_customer(customer_id, actor(), _body().get("name"))
    except mapping.MappingError as err:
        db.session.rollback()
        return _fail(str(err), err.field, 404 if "does not exist" in str(err) else 400)
    return _row_response(customer_id)


@bp.get("/mapping/suggestions")
@roles(read=ANYONE)
def suggestions():
    found = _enabled_integration(request.args.get("vendor"))
    limit = int_arg("limit", 100, 1, BULK_LIMIT)
    found_suggestions = suggest(found.id, limit=limit)
    return jsonify(suggestions=[s.as_dict() for s in found_suggestions])


@bp.post("/mapping/suggestions/accept")
@roles(read=ANYONE, change=BILLING)
def accept_suggestions():
    """Map several customers at once: ``{"pairs": [{"customer_id", "organization_id"}]}``; each is audited."""
    try:
        mapped_ids, failed = mapping.map_pairs(_body().get("pairs"), actor())
    except mapping.MappingError as err:
        return _fail(str(err), err.field)
    mapped = [one_row(customer_id) for customer_id in mapped_ids]
    return jsonify(mapped=mapped, failed=failed), (200 if mapped or not failed else 400)


@bp.get("/integrations/<slug>/status")
@roles(read=ANYONE)
def sync_status(slug: str):
    found = integrations.get_integration(slug)
    if found is None:
        abort(404, f"{slug} is not set up")
    last = db.session.execute(select(SyncRun).filter_by(integration_id=found.id)
                              .order_by(SyncRun.started_at.desc(), SyncRun.id.desc()).limit(1)).scalar_one_or_none()
    return jsonify(state=found.state, running=sync_runner.is_running(found.id),
                   last_run=None if last is None else {"id": last.id, "status": last.status,
                                                       "error": last.error_message})


# -- destinations: the push queue -----------------------------------------------------------------


def _push_dict(push) -> dict:
    return {"id": push.id, "invoice_id": push.invoice_id, "credit_note_id": push.credit_note_id,
            "destination": push.connection.slug, "state": push.state,
            "attempts": push.attempts, "external_id": push.external_id, "external_number": push.external_number,
            "external_url": push.external_url, "last_error": push.last_error, "error_field": push.error_field,
            "next_attempt_at": push.next_attempt_at.isoformat() if push.next_attempt_at else None,
            "pushed_at": push.pushed_at.isoformat() if push.pushed_at else None,
            "void_requested": push.void_requested_at is not None}


@bp.get("/pushes")
@roles(read=ANYONE)
def pushes():
    """The push queue (invoices' and credit notes'): ``state`` (queued, pushing, pushed, retrying, blocked, voided,
    cancelled, unsupported), ``invoice_id``."""
    from hub.destinations import queue
    from hub.models import PushState

    state = request.args.get("state")
    if state and state not in {s.value for s in PushState}:
        return _fail(f"state must be one of {', '.join(s.value for s in PushState)}", "state")
    if request.args.get("invoice_id"):
        found = queue.pushes_of_invoice(_int(request.args["invoice_id"], "invoice_id"))
    else:
        found = queue.list_pushes(states=[state] if state else None, limit=int_arg("limit", 200, 1, 1000))
    return jsonify(pushes=[_push_dict(p) for p in found if not state or p.state == state])


@bp.post("/pushes/<int:push_id>/push-now")
@roles(read=ANYONE, change=BILLING)
def push_now(push_id: int):
    from hub.destinations import queue
    from hub.plugins import VendorError

    try:
        return jsonify(push=_push_dict(queue.push_now(push_id, actor())))
    except VendorError as err:
        db.session.rollback()
        return _fail(err.message, getattr(err, "field", None) or "push_id", 404 if "no push" in err.message else 409)
