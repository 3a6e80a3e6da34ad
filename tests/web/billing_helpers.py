"""Small helpers shared by the billing pages' tests."""

from __future__ import annotations

import re
from html import unescape

from hub.extensions import db
from hub.models import AuditEvent


def audit_count(action: str | None = None) -> int:
    query = db.select(db.func.count()).select_from(AuditEvent)
    if action:
        query = query.where(AuditEvent.action == action)
    return db.session.execute(query).scalar_one()


def text_of(html: str) -> str:
    """The page's visible text, whitespace collapsed (for sentences that span tags)."""
    html = re.sub(r"(?s)<(script|style|head)\b.*?</\1>", " ", html)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def field_error(html: str, field: str) -> str | None:
    """The message shown under a form field (``<p class="field-error" id="<field>-error">``)."""
    match = re.search(rf'<p class="field-error" id="{re.escape(field)}-error">(.*?)</p>', html, flags=re.S)
    return unescape(match.group(1)).strip() if match else None


def fresh(model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)
