"""``Idempotency-Key`` on creating POSTs (draft-ietf-httpapi-idempotency-key-header).

The first request with a key is answered as usual and its answer stored (status, body, Location and
ETag) per token; a retry with the same key and the same request gets that answer again and creates
nothing. The same key with another method, path or body is a 422; a retry while the first is still
being answered is a 409. A request that fails with an error stores nothing, so it may be retried
with its key. Records are kept 24 hours.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from functools import wraps

from flask import Response, make_response, request
from sqlalchemy.exc import IntegrityError

from hub.api.auth import current_token
from hub.api.problems import fail
from hub.extensions import db
from hub.models import IdempotencyRecord
from hub.timeutil import utcnow

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200
KEPT = timedelta(hours=24)
STORED_HEADERS = ("Content-Type", "Location", "ETag")


def _fingerprint() -> str:
    raw = request.get_data(cache=True)
    try:
        body = json.dumps(json.loads(raw or b"null"), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        body = raw
    return hashlib.sha256(request.method.encode() + b" " + request.full_path.encode() + b"\n" + body).hexdigest()


def _existing(token_id: int, key: str) -> IdempotencyRecord | None:
    return db.session.execute(db.select(IdempotencyRecord).filter_by(token_id=token_id, key=key)).scalar_one_or_none()


def _replay_or_refuse(record: IdempotencyRecord, fingerprint: str) -> Response:
    if record.request_hash != fingerprint:
        fail(422, "this Idempotency-Key was already used with a different request", field=HEADER, location="header")
    if record.status_code is None:
        fail(409, "the first request with this Idempotency-Key is still being answered; retry later")
    response = Response(record.response_body, status=record.status_code)
    for name, value in (record.response_headers or {}).items():
        response.headers[name] = value
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _reserve(token_id: int, key: str, fingerprint: str) -> IdempotencyRecord | Response:
    found = _existing(token_id, key)
    if found is not None:
        return _replay_or_refuse(found, fingerprint)
    db.session.execute(db.delete(IdempotencyRecord).where(IdempotencyRecord.created_at < utcnow() - KEPT))
    record = IdempotencyRecord(token_id=token_id, key=key, request_hash=fingerprint)
    db.session.add(record)
    try:
        db.session.commit()
    except IntegrityError:  # another request with this key won the race
        db.session.rollback()
        return _replay_or_refuse(_existing(token_id, key), fingerprint)
    return record


def _forget(record_id: int) -> None:
    db.session.rollback()
    db.session.execute(db.delete(IdempotencyRecord).where(IdempotencyRecord.id == record_id))
    db.session.commit()


def idempotent(view):
    """Honour ``Idempotency-Key`` on this creating POST (documented in the OpenAPI document)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return view(*args, **kwargs)
        if not 1 <= len(key) <= MAX_KEY_LENGTH:
            fail(422, f"{HEADER} must have 1 to {MAX_KEY_LENGTH} characters", field=HEADER, location="header")
        reserved = _reserve(current_token().id, key, _fingerprint())
        if isinstance(reserved, Response):
            return reserved
        record_id = reserved.id
        try:
            response = make_response(view(*args, **kwargs))
        except BaseException:
            _forget(record_id)
            raise
        if response.status_code >= 400:
            _forget(record_id)
            return response
        record = db.session.get(IdempotencyRecord, record_id)
        record.status_code = response.status_code
        record.response_body = response.get_data(as_text=True)
        record.response_headers = {h: response.headers[h] for h in STORED_HEADERS if h in response.headers}
        db.session.commit()
        return response

    wrapper.hub_idempotent = True
    return wrapper
