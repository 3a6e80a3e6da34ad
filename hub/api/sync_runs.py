"""Sync runs: list (by vendor and status), read, and confirm or dismiss a run waiting for review."""

from __future__ import annotations

import time

import marshmallow as ma

from hub.api.fields import UtcDateTime
from hub.api.auth import actor
from hub.api.paging import Key, PageArgs, keyset_page, page_response, page_schema
from hub.api.problems import fail
from hub.api.spec import Blueprint
from hub.extensions import db
from hub.models import SyncRun, SyncStatus, VendorIntegration
from hub.sync import confirm_review, dismiss_review
from hub.sync.engine import SyncNotPossible
from hub.web import sync_runner
from hub.web.access import ADMIN, ANYONE, roles

blp = Blueprint("v1_sync_runs", __name__, tag="Sync runs")


class SyncRunSchema(ma.Schema):
    id = ma.fields.Integer()
    vendor = ma.fields.Function(lambda run: run.integration.slug)
    trigger = ma.fields.String()
    triggered_by = ma.fields.String(allow_none=True)
    status = ma.fields.String(metadata={"enum": [s.value for s in SyncStatus]})
    started_at = UtcDateTime()
    finished_at = UtcDateTime(allow_none=True)
    customers_seen = ma.fields.Integer()
    customers_added = ma.fields.Integer()
    customers_updated = ma.fields.Integer()
    customers_detached = ma.fields.Integer()
    customers_reattached = ma.fields.Integer()
    counts_changed = ma.fields.Integer()
    count_failures = ma.fields.Integer()
    error_kind = ma.fields.String(allow_none=True)
    error_message = ma.fields.String(allow_none=True)
    review = ma.fields.Dict(allow_none=True, metadata={"description": "for needs_review: what would be detached"})
    reviewed_by = ma.fields.String(allow_none=True)
    reviewed_at = UtcDateTime(allow_none=True)


class RunFilter(PageArgs):
    vendor = ma.fields.String(load_default=None, validate=ma.validate.Length(1, 100))
    status = ma.fields.String(load_default=None, validate=ma.validate.OneOf([s.value for s in SyncStatus]))


SyncRunPage = page_schema(SyncRunSchema, "SyncRunPage")

#: how long a started background sync is waited for to appear, so its run can be named in the answer
FOLLOW_WAIT_SECONDS = 5.0


class StartedSchema(ma.Schema):
    outcome = ma.fields.String(metadata={"enum": ["started", "finished"]})
    message = ma.fields.String()
    run = ma.fields.Nested(SyncRunSchema, allow_none=True)


def follow(integration_id: int, previous_run_id: int) -> SyncRun | None:
    """The run a just-started background sync created, waited for briefly (None if not there yet)."""
    deadline = time.monotonic() + FOLLOW_WAIT_SECONDS
    while True:
        db.session.rollback()  # a fresh snapshot on each look
        run = db.session.execute(db.select(SyncRun).where(SyncRun.integration_id == integration_id,
                                                          SyncRun.id > previous_run_id)
                                 .order_by(SyncRun.id).limit(1)).scalar_one_or_none()
        if run is not None or time.monotonic() > deadline:
            return run
        time.sleep(0.05)


def started_answer(started: sync_runner.Started, integration_id: int, previous_run_id: int):
    """202 with the run to follow (Location) while it runs; 200 when it already finished; 409 otherwise."""
    if started.kind in ("already_running", "not_possible"):
        fail(409, started.message)
    run = started.run if started.kind == "finished" else follow(integration_id, previous_run_id)
    headers = {"Location": f"/api/v1/sync-runs/{run.id}"} if run else {}
    return {"outcome": started.kind, "message": started.message, "run": run}, \
        (200 if started.kind == "finished" else 202), headers


def last_run_id(integration_id: int) -> int:
    return db.session.execute(db.select(db.func.coalesce(db.func.max(SyncRun.id), 0))
                              .where(SyncRun.integration_id == integration_id)).scalar_one()




def run_or_404(run_id: int) -> SyncRun:
    run = db.session.get(SyncRun, run_id)
    if run is None:
        fail(404, f"sync run {run_id} does not exist")
    return run


@blp.route("/sync-runs", methods=["GET"])
@roles(read=ANYONE)
@blp.arguments(RunFilter, location="query")
@blp.response(200, SyncRunPage)
def list_runs(args):
    """Sync runs, newest first."""
    stmt = db.select(SyncRun)
    if args["vendor"]:
        stmt = stmt.join(VendorIntegration, VendorIntegration.id == SyncRun.integration_id).where(
            VendorIntegration.slug == args["vendor"])
    if args["status"]:
        stmt = stmt.where(SyncRun.status == args["status"])
    rows, cursor = keyset_page(stmt, [Key(SyncRun.id, desc=True)], args["limit"], args["cursor"], "runs")
    return page_response([r.SyncRun for r in rows], cursor)


@blp.route("/sync-runs/<id:run_id>", methods=["GET"])
@roles(read=ANYONE)
@blp.response(200, SyncRunSchema)
def get_run(run_id: int):
    """One run: poll it to follow a sync until `status` is no longer `running`."""
    return run_or_404(run_id)


@blp.route("/sync-runs/<id:run_id>/confirm", methods=["POST"])
@roles(read=ADMIN, change=ADMIN)
@blp.response(202, StartedSchema)
@blp.alt_response(200, schema=StartedSchema, description="the sync ran within the request and finished")
def confirm(run_id: int):
    """Confirm a run waiting for review: a fresh sync that may detach runs (follow it at `Location`)."""
    run = run_or_404(run_id)
    if run.status != SyncStatus.NEEDS_REVIEW.value:
        fail(409, f"sync run {run_id} is not waiting for review")
    who = actor()
    previous = last_run_id(run.integration_id)
    started = sync_runner.start(run.integration.slug, run.integration_id, lambda: confirm_review(run_id, who),
                                "Review confirmed; a sync that may detach customers")
    return started_answer(started, run.integration_id, previous)


@blp.route("/sync-runs/<id:run_id>/dismiss", methods=["POST"])
@roles(read=ADMIN, change=ADMIN)
@blp.response(200, SyncRunSchema)
def dismiss(run_id: int):
    """Dismiss a run waiting for review: nothing is detached."""
    run_or_404(run_id)
    try:
        return dismiss_review(run_id, actor())
    except SyncNotPossible as err:
        db.session.rollback()
        fail(409, str(err))
