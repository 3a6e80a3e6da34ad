"""``/healthz`` for load balancers: no sign-in, one trivial query, JSON either way."""

from __future__ import annotations

import logging

from flask import jsonify
from sqlalchemy import text

from hub.extensions import db
from hub.web.access import public

log = logging.getLogger("hub.web")


@public
def healthz():
    """200 ``{"status": "ok", "database": "ok"}``, or 503 when the database does not answer."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as err:  # any failure of the database is "unhealthy", never a 500
        db.session.rollback()
        log.warning("health check: the database does not answer: %s", type(err).__name__)
        return jsonify(status="error", database="unreachable"), 503
    finally:
        db.session.rollback()  # end the read transaction; it holds nothing
    return jsonify(status="ok", database="ok")
