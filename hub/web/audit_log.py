"""The audit log: who changed what, filtered by action, actor, entity and date range, paged on the server."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import Blueprint, render_template, request
from sqlalchemy import func, select

from hub.extensions import db
from hub.inputs import MAX_DAY, MIN_DAY, DayOutOfRange, day
from hub.models import AuditEvent
from hub.web.access import ANYONE, roles
from hub.web.paging import page_args, paged_query

bp = Blueprint("audit_log", __name__, url_prefix="/admin/audit")


def _date(name: str, errors: dict) -> date | None:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return day(raw)
    except DayOutOfRange:
        errors[name] = f"Enter a date between {MIN_DAY} and {MAX_DAY}."
    except ValueError:
        errors[name] = "Enter a date as YYYY-MM-DD."
    return None


@bp.get("/", endpoint="list")
@roles(read=ANYONE)
def list_events():
    filters = {k: (request.args.get(k) or "").strip()[:200] for k in ("action", "actor", "entity_type", "entity_id")}
    errors: dict[str, str] = {}
    start, end = _date("from", errors), _date("to", errors)
    if start and end and end < start:
        errors["to"] = "The end date is before the start date."
    stmt = select(AuditEvent).order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    if filters["action"]:
        # "mapping" finds every mapping.* action; "mapping.map" finds exactly that one
        stmt = stmt.where((AuditEvent.action == filters["action"])
                          | AuditEvent.action.startswith(filters["action"] + ".", autoescape=True))
    if filters["actor"]:
        stmt = stmt.where(func.lower(AuditEvent.actor).contains(filters["actor"].lower(), autoescape=True))
    if filters["entity_type"]:
        stmt = stmt.where(AuditEvent.entity_type == filters["entity_type"])
        # a type no event has is a typo, not an empty log (one lookup through the entity index)
        if db.session.execute(select(AuditEvent.id).where(AuditEvent.entity_type == filters["entity_type"])
                              .limit(1)).first() is None:
            errors["entity_type"] = (f"No event is about a {filters['entity_type']!r}: choose one of "
                                     f"{', '.join(_recent_choices()[1]) or '(none yet)'}.")
    if filters["entity_id"]:
        stmt = stmt.where(AuditEvent.entity_id == filters["entity_id"])
    if start and "to" not in errors:
        stmt = stmt.where(AuditEvent.occurred_at >= datetime.combine(start, time.min))
    if end and "to" not in errors:
        stmt = stmt.where(AuditEvent.occurred_at < datetime.combine(end + timedelta(days=1), time.min))
    page_number, per_page = page_args()
    rows, page = paged_query(db.session, stmt, page_number, per_page)
    actions, entity_types = _recent_choices()
    return render_template("audit/list.html", events=[r[0] for r in rows], page=page, filters=filters,
                           date_from=request.args.get("from", ""), date_to=request.args.get("to", ""),
                           errors=errors, actions=actions, entity_types=entity_types), (400 if errors else 200)


def _recent_choices(window: int = 5000) -> tuple[list[str], list[str]]:
    """Actions and entity types seen in the latest events, for the filter's suggestions (cheap on big logs)."""
    recent = select(AuditEvent.action, AuditEvent.entity_type).order_by(AuditEvent.id.desc()).limit(window).subquery()
    rows = db.session.execute(select(recent.c.action, recent.c.entity_type).distinct()).all()
    return sorted({r.action for r in rows}), sorted({r.entity_type for r in rows})
