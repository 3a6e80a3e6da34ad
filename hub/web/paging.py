"""Server-side paging: read ``page``/``per_page`` from the query string, describe the page for templates/JSON."""

from __future__ import annotations

import math
from dataclasses import dataclass

from flask import request

PER_PAGE_CHOICES = (25, 50, 100, 200)
DEFAULT_PER_PAGE = 50


def int_arg(name: str, default: int, lo: int, hi: int) -> int:
    """An integer query argument, clamped; junk falls back to the default (never a 500)."""
    try:
        value = int(request.args.get(name, default))
    except (TypeError, ValueError):
        return default
    return min(max(value, lo), hi)


def page_args(default_per_page: int = DEFAULT_PER_PAGE) -> tuple[int, int]:
    per_page = int_arg("per_page", default_per_page, 1, max(PER_PAGE_CHOICES))
    return int_arg("page", 1, 1, 10_000_000), per_page


@dataclass(frozen=True)
class Page:
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.per_page

    @property
    def first_item(self) -> int:
        return 0 if self.total == 0 else self.offset + 1

    @property
    def last_item(self) -> int:
        return min(self.total, self.offset + self.per_page)

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    def as_dict(self) -> dict:
        return {"page": self.number, "per_page": self.per_page, "total": self.total, "pages": self.pages,
                "first_item": self.first_item, "last_item": self.last_item}


def paged_query(session, stmt, number: int, per_page: int, count_stmt=None, window_total: bool = False):
    """Rows of one page, each with the total in an extra last column ``_total``, and the Page.

    One round trip: the total rides along with the rows, either as ``count_stmt`` in a scalar
    subquery (default: counting ``stmt``; pass a cheaper count, e.g. without joins the filters do not
    need) or, with ``window_total``, as ``count(*) over ()`` — one scan instead of two, best when a
    search cuts the rows down, worse for an unfiltered page (every row must then be sorted, not only
    the top ones). Only an empty page costs a second query; a page past the end shows the last page.
    """
    from sqlalchemy import func, select

    if count_stmt is None:
        count_stmt = select(func.count()).select_from(stmt.order_by(None).subquery())
    total = func.count().over() if window_total else count_stmt.scalar_subquery()
    rows = session.execute(stmt.add_columns(total.label("_total"))
                           .limit(per_page).offset((number - 1) * per_page)).all()
    if rows:
        return rows, Page(number, per_page, rows[0]._total)
    count = session.execute(count_stmt).scalar_one()
    last = max(1, math.ceil(count / per_page))
    if number > last:
        return paged_query(session, stmt, last, per_page, count_stmt, window_total)
    return rows, Page(number, per_page, count)


def contains_ci(column, text: str):
    """Case-insensitive "contains", with LIKE wildcards in ``text`` taken literally.

    SQLite's LIKE already ignores ASCII case (and its lower() knows no more than ASCII), so it gets a
    plain LIKE, much cheaper than lower() on every row; PostgreSQL gets ILIKE.
    """
    from hub.extensions import db

    escaped = text.replace("/", "//").replace("%", "/%").replace("_", "/_")
    if db.engine.dialect.name == "sqlite":
        return column.like(f"%{escaped}%", escape="/")
    return column.ilike(f"%{escaped}%", escape="/")
