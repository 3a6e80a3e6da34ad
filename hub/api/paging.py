"""Cursor (keyset) pagination: ``?limit=N`` and a ``next`` link carrying an opaque cursor.

Every listing orders by a fixed list of keys ending with the primary key, so the order is total and
stable; the cursor holds the last row's key values and the next page starts strictly after them
(rows added or removed meanwhile neither repeat nor skip others). Keys must never be NULL (wrap
nullable columns in ``coalesce``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Sequence
from urllib.parse import urlencode

import marshmallow as ma
from flask import request
from sqlalchemy import and_, or_

from hub.api.problems import fail
from hub.extensions import db

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


class PageArgs(ma.Schema):
    limit = ma.fields.Integer(load_default=DEFAULT_LIMIT, validate=ma.validate.Range(1, MAX_LIMIT),
                              metadata={"description": f"rows per page (at most {MAX_LIMIT})"})
    cursor = ma.fields.String(load_default=None, validate=ma.validate.Length(max=2000),
                              metadata={"description": "from the previous page's `next` link"})


class PageSchema(ma.Schema):
    next = ma.fields.String(allow_none=True, required=True,
                            metadata={"description": "URL of the next page; null on the last page"})


def page_schema(item_schema: type[ma.Schema], name: str) -> type[ma.Schema]:
    """``{"items": [...], "next": url|null}`` for one kind of row."""
    return type(name, (PageSchema,), {"items": ma.fields.List(ma.fields.Nested(item_schema), required=True)})


@dataclass(frozen=True)
class Key:
    expr: Any
    desc: bool = False


def _plain(value):
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    return value


def _typed(value):
    if isinstance(value, dict) and "t" in value:
        return datetime.fromisoformat(value["t"])
    if isinstance(value, dict) and "d" in value:
        return date.fromisoformat(value["d"])
    return value


def _signer():
    from flask import current_app
    from itsdangerous import URLSafeSerializer

    # signed, so a cursor cannot smuggle values of another type or another listing into a query
    return URLSafeSerializer(current_app.secret_key, salt="hub.api.cursor")


def encode_cursor(values: Sequence, tag: str) -> str:
    return _signer().dumps({"k": [_plain(v) for v in values], "s": tag})


def decode_cursor(cursor: str, tag: str, size: int) -> list:
    from itsdangerous import BadData

    try:
        data = _signer().loads(cursor)
        values = [_typed(v) for v in data["k"]]
        ok = data.get("s") == tag and len(values) == size
    except (BadData, ValueError, KeyError, TypeError):
        ok = False
    if not ok:
        fail(422, "the cursor is not one this listing gave (follow the `next` link as it is)", field="cursor",
             location="query")
    return values


def _after(keys: list[Key], values: list):
    """Rows strictly after ``values`` in the order of ``keys``: (k1 > v1) or (k1 = v1 and k2 > v2) ..."""
    terms = []
    for n, key in enumerate(keys):
        step = key.expr < values[n] if key.desc else key.expr > values[n]
        terms.append(and_(*[keys[i].expr == values[i] for i in range(n)], step))
    return or_(*terms)


def keyset_page(stmt, keys: list[Key], limit: int, cursor: str | None, tag: str = ""):
    """(rows, next cursor or None): ``stmt`` filtered after the cursor, ordered by ``keys``, one extra row read."""
    labelled = stmt.add_columns(*[k.expr.label(f"_key{n}") for n, k in enumerate(keys)])
    if cursor:
        labelled = labelled.where(_after(keys, decode_cursor(cursor, tag, len(keys))))
    ordered = labelled.order_by(*[k.expr.desc() if k.desc else k.expr.asc() for k in keys]).limit(limit + 1)
    rows = db.session.execute(ordered).all()
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    return rows, encode_cursor([getattr(last, f"_key{n}") for n in range(len(keys))], tag)


def next_link(cursor: str | None) -> str | None:
    if cursor is None:
        return None
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "cursor"]
    return f"{request.base_url}?{urlencode(args + [('cursor', cursor)])}"


def page_response(items: list, cursor: str | None):
    """The body and a ``Link: <...>; rel="next"`` header (RFC 8288) for a page."""
    link = next_link(cursor)
    headers = {"Link": f'<{link}>; rel="next"'} if link else {}
    return {"items": items, "next": link}, 200, headers
